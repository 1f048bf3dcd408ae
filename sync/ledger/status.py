"""Who must send what for a round, by when, and where each unit stands (ส่งตรงเวลา / ส่งช้า / ...)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from rules.forms import FormSet
from rules.thai import reporting_rounds
from sync.ledger.versions import Submission
from sync.office.settings import BANGKOK


@dataclass(frozen=True)
class Notice:
    """A problem with the way a submission reaches the office, not with its content.

    A file nobody can be tied to, a Google Sheet deleted or no longer shared, Google refusing
    for now: the unit's last stored version stays what the master shows, and the notice is
    listed beside it (``unit_code`` None when the sender is unknown).
    """

    unit_code: str | None
    channel: str
    rule: str
    severity: str
    message_th: str


@dataclass(frozen=True)
class UnitErrors:
    """A unit whose latest version has errors: what the command line and the job summary list by name."""

    unit_code: str
    name_th: str
    errors: int
    first: str  # the first error, "sheet cell: message"


SEVERITY_TH = {"error": "ข้อผิดพลาด", "warning": "คำเตือน", "info": "ข้อสังเกต"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}  # errors are listed first everywhere
SEVERITY_COLOUR = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
STATUS_TH = {"on_time": "ส่งตรงเวลา", "late": "ส่งช้า", "errors": "มีข้อผิดพลาด", "missing": "ยังไม่ส่ง"}


def deadline(form_set: FormSet, fiscal_year: int, round_: int) -> dt.datetime:
    """End of the last day to submit: the round's end plus the set's allowed days (Bangkok time)."""
    ends = next(r.ends for r in reporting_rounds(fiscal_year) if r.months == round_)
    last_day = ends + dt.timedelta(days=form_set.deadline_days)
    return dt.datetime.combine(last_day, dt.time(23, 59, 59), BANGKOK)


def form_status(
    submission: Submission | None,
    form_code: str,
    issue_rows: list[dict[str, Any]],
    due: dt.datetime,
    sheets: Collection[str],
) -> str:
    """on_time / late / errors / missing for one unit and form (errors outrank lateness); ``sheets``
    are the forms whose sheet the version had."""
    if submission is None:
        return "missing"
    if not submission.accepted or form_code not in sheets:
        return "errors"
    if any(i["severity"] == "error" and i["form"] == form_code for i in issue_rows):
        return "errors"
    return "late" if submission.submitted_at > due else "on_time"


def unit_status(statuses: list[str]) -> str:
    """One status for a unit over its forms: errors outrank missing, missing outranks late."""
    if "errors" in statuses:
        return "errors"
    if all(s == "missing" for s in statuses):
        return "missing"
    return "late" if "late" in statuses else "on_time"
