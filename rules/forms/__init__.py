"""Submission forms as data, and the validation of one filled-in sheet against its form.

Each form (``rules/data/forms/<code>.yaml``) declares its sheet, its columns and cross-field checks
in the style of DHIS2 validation rules: a left expression, an operator, a right expression, a
severity and a Thai message, evaluated exactly in Decimal. The package composes the domain rules
(grades, KPIs, transfers, planning); none of them imports it.

- :mod:`.model`: the forms and form sets, loaded from the rules data.
- :mod:`.read`: :func:`read_sheet`, every problem of a filled sheet with its cell, rule and message.
- :mod:`.checks`: checks beyond one cell (one key one row, multi-grade rooms, merged cells, transfers).
- :mod:`.expressions`: the rule functions checks may call. :mod:`.cells`: A1 addresses, header folding.
- :mod:`.display`: a value as the master shows it.

What the rest of esaplan uses is importable from here.
"""

from rules.forms.cells import cell_name, column_letter, row_of
from rules.forms.display import computed, shown
from rules.forms.model import (
    FORMULA_PREFIXES,
    Form,
    FormSet,
    Problem,
    SheetResult,
    form_sets,
    form_version,
    forms,
    preload,
)
from rules.forms.read import as_typed, find_header, read_sheet

__all__ = [
    "FORMULA_PREFIXES",
    "Form",
    "FormSet",
    "Problem",
    "SheetResult",
    "as_typed",
    "cell_name",
    "column_letter",
    "computed",
    "find_header",
    "form_sets",
    "form_version",
    "forms",
    "preload",
    "read_sheet",
    "row_of",
    "shown",
]
