"""esaplan's domain rules: dated data and the pure-Python engine that applies them.

Importable without Excel, Flask or a network. addin/ and sync/ only adapt these functions to
spreadsheets and the web. Every figure (rates, limits, thresholds, targets) lives in
``rules/data/*.yaml`` with the date it took effect and the regulation it comes from.

The names below are imported on first use (PEP 562), so a program that needs one rule (the command
line's help, a worker reading a file) does not load them all: ``from rules import allocate`` works as
it always did. ``check``, ``kpi`` and ``mtef`` are taken from their modules (``from rules.kpi import
kpi``): a function named as its module would be hidden by the module once that is imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rules.allocation import allocate
    from rules.check import CheckReport
    from rules.defaults import default_parameters
    from rules.errors import (
        AllocationError,
        EsaplanError,
        KpiError,
        ParameterNotSet,
        ParseError,
        RulesDataError,
        TransferError,
    )
    from rules.grades import grade, level_of
    from rules.kpi import Kpi, Status, kpi_status, kpi_value, kpis
    from rules.merger import MergeCandidate, merge_candidates
    from rules.money import baht_text
    from rules.parameters import Parameters, fiscal_year_start, rules_version
    from rules.planning import SIZE_TH, project_cohort, rooms_needed, school_size
    from rules.subsidy import Subsidy, per_head, per_head_subsidy, rate
    from rules.thai import ReportingRound, fiscal_year, parse_date, parse_number, reporting_round, round_of, thai_digits
    from rules.transfers import BudgetLine, TransferResult, validate_transfer, validate_transfers

_WHERE = {
    "AllocationError": "rules.errors",
    "BudgetLine": "rules.transfers",
    "CheckReport": "rules.check",
    "EsaplanError": "rules.errors",
    "Kpi": "rules.kpi",
    "KpiError": "rules.errors",
    "MergeCandidate": "rules.merger",
    "ParameterNotSet": "rules.errors",
    "Parameters": "rules.parameters",
    "ParseError": "rules.errors",
    "ReportingRound": "rules.thai",
    "RulesDataError": "rules.errors",
    "SIZE_TH": "rules.planning",
    "Status": "rules.kpi",
    "Subsidy": "rules.subsidy",
    "TransferError": "rules.errors",
    "TransferResult": "rules.transfers",
    "allocate": "rules.allocation",
    "baht_text": "rules.money",
    "default_parameters": "rules.defaults",
    "fiscal_year": "rules.thai",
    "fiscal_year_start": "rules.parameters",
    "grade": "rules.grades",
    "kpi_status": "rules.kpi",
    "kpi_value": "rules.kpi",
    "kpis": "rules.kpi",
    "level_of": "rules.grades",
    "merge_candidates": "rules.merger",
    "parse_date": "rules.thai",
    "parse_number": "rules.thai",
    "per_head": "rules.subsidy",
    "per_head_subsidy": "rules.subsidy",
    "project_cohort": "rules.planning",
    "rate": "rules.subsidy",
    "reporting_round": "rules.thai",
    "rooms_needed": "rules.planning",
    "round_of": "rules.thai",
    "rules_version": "rules.parameters",
    "school_size": "rules.planning",
    "thai_digits": "rules.thai",
    "validate_transfer": "rules.transfers",
    "validate_transfers": "rules.transfers",
}

__all__ = [
    "AllocationError",
    "BudgetLine",
    "CheckReport",
    "EsaplanError",
    "Kpi",
    "KpiError",
    "MergeCandidate",
    "ParameterNotSet",
    "Parameters",
    "ParseError",
    "ReportingRound",
    "RulesDataError",
    "SIZE_TH",
    "Status",
    "Subsidy",
    "TransferError",
    "TransferResult",
    "allocate",
    "baht_text",
    "default_parameters",
    "fiscal_year",
    "fiscal_year_start",
    "grade",
    "kpi_status",
    "kpi_value",
    "kpis",
    "level_of",
    "merge_candidates",
    "parse_date",
    "parse_number",
    "per_head",
    "per_head_subsidy",
    "project_cohort",
    "rate",
    "reporting_round",
    "rooms_needed",
    "round_of",
    "rules_version",
    "school_size",
    "thai_digits",
    "validate_transfer",
    "validate_transfers",
]


def __getattr__(name: str) -> Any:
    """``rules.allocate`` and ``from rules import allocate``: the module that defines it, imported now."""
    if name not in _WHERE:
        raise AttributeError(f"module 'rules' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # once: the next use is an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
