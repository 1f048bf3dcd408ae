"""Spreadsheet adapters: the ESA_* formulas and macros for Excel (xlwings, Office.js), Google Sheets and xlwings Lite.

Each formula is a thin wrapper over :mod:`rules`, registered once in :mod:`addin.registry`;
nothing here decides a domain question. Importing the package registers every formula.
"""

from addin import formulas, planning_formulas, thai_formulas  # noqa: F401  (each registers its formulas, in this order)
from addin.registry import FORMULAS, Formula, FormulaError, Param, call

__all__ = ["FORMULAS", "Formula", "FormulaError", "Param", "call"]
