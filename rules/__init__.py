"""esaplan's domain rules: dated data and the pure-Python engine that applies them.

Importable without Excel, Flask or a network. addin/ and sync/ only adapt these functions to
spreadsheets and the web. Every figure (rates, limits, thresholds, targets) lives in
``rules/data/*.yaml`` with the date it took effect and the regulation it comes from.
"""

from .allocation import allocate
from .check import CheckReport, check
from .errors import (
    AllocationError,
    EsaplanError,
    KpiError,
    ParameterNotSet,
    ParseError,
    RulesDataError,
    TransferError,
)
from .grades import grade, level_of
from .kpi import Kpi, Status, kpi, kpi_status, kpi_value, kpis
from .merger import MergeCandidate, merge_candidates
from .mtef import mtef
from .parameters import Parameters, default_parameters, fiscal_year_start, rules_version
from .planning import SIZE_TH, project_cohort, rooms_needed, school_size
from .subsidy import Subsidy, per_head, per_head_subsidy, rate
from .thai import ReportingRound, baht_text, fiscal_year, parse_date, parse_number, reporting_round, round_of, thai_digits
from .transfers import BudgetLine, TransferResult, validate_transfer, validate_transfers

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
