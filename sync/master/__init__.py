"""The master workbook of one round, built from the ledger: round data and facts per unit,
tallies, summaries for the director, the sheet layout and the fast writer; the province master
that joins several areas' masters.
"""
