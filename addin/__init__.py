"""Spreadsheet adapters: the ESA_* formulas and macros for Excel (xlwings, Office.js) and Google Sheets.

Each formula is a thin wrapper over :mod:`rules`; nothing here decides a domain question.
"""
