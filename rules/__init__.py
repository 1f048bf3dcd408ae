"""esaplan's domain rules: dated data and the pure-Python engine that applies them.

Importable without Excel, Flask or a network. addin/ and sync/ only adapt these functions to
spreadsheets and the web. Every figure (rates, limits, thresholds, targets) lives in
``rules/data/*.yaml`` with the date it took effect and the regulation it comes from.
"""

from rules.allocation import allocate
from rules.check import CheckReport, check
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
from rules.kpi import Kpi, Status, kpi, kpi_status, kpi_value, kpis
from rules.merger import MergeCandidate, merge_candidates
from rules.money import baht_text
from rules.mtef import mtef
from rules.parameters import Parameters, fiscal_year_start, rules_version
from rules.defaults import default_parameters
from rules.planning import SIZE_TH, project_cohort, rooms_needed, school_size
from rules.subsidy import Subsidy, per_head, per_head_subsidy, rate
from rules.thai import ReportingRound, fiscal_year, parse_date, parse_number, reporting_round, round_of, thai_digits
from rules.transfers import BudgetLine, TransferResult, validate_transfer, validate_transfers

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
    "check",
    "default_parameters",
    "rules_version",
    "fiscal_year",
    "fiscal_year_start",
    "grade",
    "kpi",
    "kpi_status",
    "kpi_value",
    "kpis",
    "level_of",
    "merge_candidates",
    "mtef",
    "parse_date",
    "parse_number",
    "per_head",
    "per_head_subsidy",
    "project_cohort",
    "rate",
    "reporting_round",
    "rooms_needed",
    "round_of",
    "school_size",
    "thai_digits",
    "validate_transfer",
    "validate_transfers",
]
