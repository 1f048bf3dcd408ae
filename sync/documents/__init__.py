"""The documents the office publishes (DOCX/PDF, Thai): the action plan, the progress and annual
reports, allocation letters, the eMENSCR export, and the list of what is published.
"""
