"""What the office knows before any school sends anything: the installation's settings, the
registry of reporting units, the province's areas and OBEC's EMIS export. The reference data
every later stage reads.
"""
