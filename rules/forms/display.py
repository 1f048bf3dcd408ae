"""A value as the master, the feedback and the documents show it: grades and categories in Thai,
ใช่/ไม่ใช่, KPI codes with their names, and the columns a form computes (รวม) from the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.budget_sources import plan_source, plan_sources
from rules.errors import EsaplanError
from rules.forms.expressions import Missing, evaluate
from rules.forms.model import Column, Form
from rules.grades import grade
from rules.kpi import kpi as kpi_entry
from rules.kpi import strategy_label
from rules.transfers import category_th

YES_NO_TH = {True: "ใช่", False: "ไม่ใช่"}


def shown(column: Column, value: Any, fiscal_year: int | None = None) -> Any:
    """A read value as staff read it on a sheet: grade and category codes as their Thai names
    (``P1`` -> ``ป.1``, ``subsidy`` -> ``งบเงินอุดหนุน``), yes/no as ใช่/ไม่ใช่; anything else as it is."""
    if value is None:
        return None
    if column.type == "grade":
        return grade(str(value)).th
    if column.type == "category":
        return category_th(str(value))
    if column.type == "yesno" and isinstance(value, bool):
        return YES_NO_TH[value]
    if column.type == "kpis" and isinstance(value, list):
        return ", ".join(value)
    if column.type == "strategy" and isinstance(value, int):
        return strategy_label(value, fiscal_year)
    if column.type == "source" and value in {s.code for s in plan_sources()}:
        return plan_source(value).th
    return value


def computed(form: Form, row: Mapping[str, Any], fiscal_year: int | None = None) -> dict[str, Any]:
    """Values of the form's formula and lookup columns for one normalised row (for the master)."""
    values: dict[str, Any] = {}
    for column in form.columns:
        if column.formula:
            try:
                values[column.key] = evaluate(column.formula, {k: (v if v is not None else 0) for k, v in row.items()})
            except (Missing, EsaplanError, ArithmeticError):
                values[column.key] = None
        elif column.lookup == "kpi_name" and row.get("kpi"):
            values[column.key] = kpi_entry(row["kpi"], fiscal_year=fiscal_year).name_th
    return values
