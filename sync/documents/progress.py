"""What the progress reports are made of (seed part 4, 4.2 steps 7-9): each register project's spending
and status as its group reported it in the round, the problems and suggestions groups wrote, and the
round's master data (:class:`sync.master.data.MasterData`). The documents are :mod:`.reports`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from rules.plan import Register
from sync.ledger.database import open_ledger
from sync.master.data import MasterData
from sync.office.registry import load_registry
from sync.office.settings import Settings


@dataclass(frozen=True)
class ProjectProgress:
    """One project of the register at a round: what was planned, what its group reports."""

    code: str
    name: str
    group_th: str
    strategy: int
    planned: Decimal
    used: Decimal
    status: str
    reported: bool


def project_progress(register: Register, data: MasterData) -> list[ProjectProgress]:
    """Each register project with its group's latest counted progress rows summed (by project code)."""
    used: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    statuses: dict[tuple[str, str], list[str]] = defaultdict(list)
    for unit in data.registry.values():
        if unit.kind != "group":
            continue
        for row in data.counted_rows(unit, "project_progress"):
            key = (unit.code, str(row.get("project_code") or ""))
            used[key] += Decimal(row.get("budget_used") or 0)
            statuses[key].append(row.get("status") or "")
    result = []
    for project in register.projects:
        key = (project.group_code, project.code)
        found = statuses.get(key, [])
        status = (
            "ยังไม่รายงาน"
            if not found
            else next(
                (s for s in ("กำลังดำเนินการ", "ยังไม่เริ่ม") if s in found), "เสร็จสิ้น" if "เสร็จสิ้น" in found else found[0]
            )
        )
        result.append(
            ProjectProgress(
                project.code,
                project.name,
                project.group_th,
                project.strategy,
                project.budget,
                used.get(key, Decimal(0)),
                status,
                bool(found),
            )
        )
    return result


@dataclass(frozen=True)
class Obstacle:
    """What a group wrote about a project it is behind on: the problem and its suggestion."""

    project: str
    group_th: str
    problem: str
    suggestion: str


def obstacles(register: Register, data: MasterData) -> list[Obstacle]:
    """Each project's problems and suggestions as its group wrote them in the round (once per text)."""
    names = {(p.group_code, p.code): (p.name, p.group_th) for p in register.projects}
    found: dict[tuple[str, str, str], Obstacle] = {}
    for unit in data.registry.values():
        if unit.kind != "group":
            continue
        for row in data.counted_rows(unit, "project_progress"):
            problem, suggestion = str(row.get("problems") or "").strip(), str(row.get("suggestions") or "").strip()
            if problem or suggestion:
                name, group = names.get(
                    (unit.code, str(row.get("project_code") or "")), (row.get("project"), unit.name_th)
                )
                found.setdefault((str(name), problem, suggestion), Obstacle(str(name), group, problem, suggestion))
    return list(found.values())


def round_data(settings: Settings) -> MasterData:
    """The round's master data, as the last consolidation saw it (ledger and registry)."""
    registry = load_registry(settings.registry_path)
    return MasterData.collect(settings, open_ledger(settings.database_url), registry, [])
