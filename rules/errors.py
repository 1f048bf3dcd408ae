"""Every error esaplan raises on purpose, under one base class.

Staff read these messages in a cell, a web page or a printed report, so each error carries a
Thai message first and an English one second, plus the offending input as attributes. Adapters
(addin/, sync/) show ``message_th`` to people and keep the attributes for logs; they never show
a traceback.
"""

from __future__ import annotations

from typing import Any


class EsaplanError(ValueError):
    """Base of all domain errors: a Thai message, an English message and the offending input."""

    def __init__(self, message_th: str, message_en: str, **details: Any) -> None:
        self.message_th = message_th
        self.message_en = message_en
        self.details = details
        for key, value in details.items():
            setattr(self, key, value)
        super().__init__(f"{message_th} / {message_en}")


class RulesDataError(EsaplanError):
    """A rules data file is malformed: carries the file and line so staff can fix it by hand."""


class ParameterNotSet(EsaplanError):
    """A dated parameter has no value (or only a value still "to be filled") at the asked date."""


class ParseError(EsaplanError):
    """Text that should be a number, date, grade or code could not be read."""


class AllocationError(EsaplanError):
    """``allocate`` cannot satisfy its inputs: says which input and why."""


class TransferError(EsaplanError):
    """A transfer request is not well formed (missing budget-line field, unknown category)."""


class KpiError(EsaplanError):
    """Unknown KPI code, or impossible numerator/denominator."""
