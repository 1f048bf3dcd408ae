"""What the ledger holds, as the rest of esaplan sees it: a stored version of a submission (its data
read on demand), the versions of a round and the one that counts, a Google Sheet's last seen state,
and the JSON that keeps Decimals and dates exact in the database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from rules import EsaplanError


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, (dt.date, dt.datetime)):
        return {"$t": value.isoformat()}
    raise TypeError(f"cannot store {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if "$d" in obj and len(obj) == 1:
        return Decimal(obj["$d"])
    if "$t" in obj and len(obj) == 1:
        text = obj["$t"]
        return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    return obj


def dumps(data: Any) -> str:
    """JSON that keeps Decimals and dates exact."""
    return json.dumps(data, default=_encode, ensure_ascii=False)


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_decode)


@dataclass(frozen=True)
class Submission:
    """One stored version of one unit's workbook for one round."""

    id: int
    unit_code: str
    form_set: str
    fiscal_year: int
    round: int
    version: int
    sha256: str
    source: str
    original_name: str
    submitted_at: dt.datetime
    received_at: dt.datetime
    accepted: bool
    errors: int
    warnings: int
    stored: str | Callable[[], str] = field(
        repr=False, compare=False
    )  # the data as stored (JSON), or what reads it: decoded when first used
    form_fiscal_year: int | None = None
    form_round: int | None = None
    made_at: dt.datetime | None = None
    checked_with: str | None = None  # the esaplan whose checks made its data and issues

    @cached_property
    def data(self) -> dict[str, Any]:
        """The rows read from the file, by form code. A run loads every unit's latest version but
        needs the rows of those whose kept facts and blocks do not answer: decoding is ~0.2 ms each,
        and :meth:`Ledger.latest` leaves them in the database until asked."""
        return loads(self.stored if isinstance(self.stored, str) else self.stored())


@dataclass(frozen=True)
class RoundVersions:
    """A round's versions by (unit, form set): each one's latest, and the one whose data count."""

    latest: dict[tuple[str, str], Submission]
    counted: dict[tuple[str, str], Submission]


class VersionError(EsaplanError):
    """A version staff asked to count cannot count."""


MADE_AT_SLACK = dt.timedelta(
    days=1
)  # a workbook's saved time may run ahead of arrival by clock drift and time zones, no more


@dataclass(frozen=True)
class SheetState:
    """What esaplan knows of one unit's Google Sheet: set-up done, what it last read, what feedback it wrote.

    ``read_modified`` is Drive's modifiedTime of the content last read: a sheet listed with the
    same time has not changed and is not read again. ``gids`` maps tab titles to sheet ids,
    which the Sheets API needs for formatting and protection requests.
    """

    unit_code: str
    spreadsheet_id: str
    shared_with: str | None = None
    protected: bool = False
    gids: dict[str, int] | None = None
    read_modified: str | None = None
    read_sha: str | None = None
    feedback_sha: str | None = None
