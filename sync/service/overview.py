"""Where a round stands, unit by unit: what the staff dashboard and a unit's page show.

Computed from the ledger as it is now (an upload counts the moment it is stored), with the same
status rules as the master (:mod:`sync.ledger.status`), so the page and the workbook never disagree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sync.ledger.status import STATUS_TH, Notice, unit_status
from sync.ledger.store import Ledger
from sync.ledger.versions import Submission
from sync.master.data import MasterData
from sync.office.registry import Unit, load_registry, sets_for
from sync.office.settings import Settings

CHANNEL_TH = {"inbox": "วางไฟล์ในโฟลเดอร์", "upload": "อัปโหลดทางลิงก์", "gsheets": "Google Sheets"}


@dataclass
class UnitRow:
    """One line of the dashboard."""

    unit: Unit
    status: str
    forms: dict[str, str]
    latest: Submission | None
    errors: int
    notices: list[Notice] = field(default_factory=list)
    counted: list[Submission] = field(default_factory=list)  # the versions whose data count, one a form set
    counting: str | int | None = None  # their number, or why it is not the newest

    @property
    def status_th(self) -> str:
        return STATUS_TH[self.status]

    @property
    def channel_th(self) -> str:
        return CHANNEL_TH.get(self.latest.source, self.latest.source) if self.latest else ""


@dataclass
class Overview:
    """Every unit's row for a round, and the counts the summary cards show."""

    rows: list[UnitRow]
    counts: Counter[str]
    districts: list[str]
    networks: list[str]
    notices: list[Notice] = field(default_factory=list)  # the last run's, those no unit can be tied to included

    def filtered(self, *, district: str = "", network: str = "", status: str = "", text: str = "") -> list[UnitRow]:
        needle = text.strip().casefold()
        return [
            row
            for row in self.rows
            if (not district or row.unit.district_label == district)
            and (not network or row.unit.network_label == network)
            and (not status or row.status == status)
            and (not needle or needle in row.unit.code.casefold() or needle in row.unit.name_th.casefold())
        ]


def round_overview(settings: Settings, ledger: Ledger) -> Overview:
    """The overview of ``settings``' round (an empty one when there is no registry yet)."""
    if not settings.registry_path.is_file():
        return Overview([], Counter(), [], [])
    registry = load_registry(settings.registry_path)
    notices = [Notice(**n) for n in ledger.last_notices(settings.fiscal_year, settings.round)]
    data = MasterData.collect(settings, ledger, registry, notices)
    rows = []
    for unit in registry.values():
        forms = {
            form.sheet: data.statuses[(unit.code, form.code)] for form_set in sets_for(unit) for form in form_set.forms
        }
        sent = data.sent(unit)
        latest = max(sent, key=lambda s: s.submitted_at) if sent else None
        errors = sum(1 for s in sent for issue in data.issues.get(s.id, []) if issue["severity"] == "error")
        counted = [data.counted[(unit.code, s.code)] for s in sets_for(unit) if (unit.code, s.code) in data.counted]
        own = [n for n in notices if n.unit_code == unit.code]
        rows.append(
            UnitRow(
                unit,
                unit_status(list(forms.values())),
                forms,
                latest,
                errors,
                own,
                counted,
                data.views[unit.code].counting,
            )
        )
    return Overview(
        rows,
        Counter(row.status for row in rows),
        sorted({u.district_label for u in registry.values()}),
        sorted({u.network_label for u in registry.values()}),
        notices,
    )
