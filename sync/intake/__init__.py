"""Where a school's file enters: the inbox folders, uploads and Google Sheets sources, the
workbook handed to schools (templates), and reading a file into records under isolation and
limits (reader, parse, sheetscan, safety). Produces records for the ledger; knows nothing of
the master.
"""
