"""Consolidate what units submitted into the master workbook: the one function behind the button.

``consolidate`` (CLI ``esaplan consolidate``, later the web button and the Excel macro) takes
every incoming file, stores each new version in the ledger with its validation results, works
out each unit's status per form for the round (on time / late / has errors / missing) and
writes the master workbook. Submissions come from *sources*: the inbox folder, uploads and
Google Sheets (:mod:`sync.intake.gsheets`) all produce the same :class:`Incoming` records; a problem
with a channel itself (an unknown file, a sheet no longer shared) is a :class:`Notice`.

Safety: one run at a time (a lock file), the master is written to a temporary file and
atomically replaced, the previous masters are kept, and a failed run leaves the master as it
was. A bad file becomes issues for its unit, never an exception that stops the others.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rules import EsaplanError
from sync.files.cachefile import code_salt
from sync.intake.inbox import Progress, inbox_files, misplaced_notices, readable_items
from sync.intake.isolation import warm_up
from sync.intake.keep import read_round_files, recheck_stale, store_new
from sync.intake.seenfiles import SeenFiles
from sync.ledger.database import open_ledger
from sync.ledger.lock import consolidation_lock, remove_leftovers
from sync.ledger.records import Incoming
from sync.ledger.status import Notice, UnitErrors
from sync.master.data import MasterData
from sync.office.registry import load_registry
from sync.office.settings import Settings
from sync.rounds.plausible import plausibility_notices

PHASES_TH = {
    "google": "อ่าน Google Sheets",
    "check": "ตรวจข้อมูล",
    "feedback": "เขียนผลการตรวจสอบลง Google Sheets",
    "master": "เขียนไฟล์รวม",
}


class NoRegistry(EsaplanError):
    """The installation has no unit registry yet: nobody is expected to submit."""


@dataclass
class RunResult:
    """What a run did: the master it wrote and counts per form."""

    run_id: int
    master_path: Path
    fiscal_year: int
    round: int
    summary: dict[str, dict[str, int]]
    new_versions: int
    files_seen: int
    notices: list[Notice] = field(default_factory=list)
    master_written: bool = True
    units_with_errors: list[UnitErrors] = field(default_factory=list)
    rechecked: int = 0  # kept versions read again with this esaplan's checks (the first run after an upgrade)


# --- the run ---------------------------------------------------------------------------------


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cycle collector far less often while consolidating, with the thresholds mypy's
    ``build()`` sets for the same reason (it "can spend a large fraction of cpu in gc").

    A run allocates millions of short-lived objects (rows, cells, XML) while it holds every unit's
    submitted data; at Python's default threshold (700 allocations) the collector walks that data
    again and again: ~10 % of a run where ten schools changed. Reference counting still frees
    everything but cycles, and those are still collected, less often.
    """
    before = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def require_registry(settings: Settings) -> None:
    """Refuse, in Thai, an installation that has no registry yet (before anything is created for it)."""
    if not settings.registry_path.is_file():
        raise NoRegistry(
            f"ยังไม่มีทะเบียนหน่วยงาน {settings.registry_path}: คัดลอกรายชื่อโรงเรียน (CSV จาก สพฐ. หรือแบบของ esaplan) มาไว้ที่นี่ก่อน",
            f"no unit registry at {settings.registry_path}: copy the school list (OBEC CSV or esaplan format) there first",
            path=settings.registry_path,
        )


@_fewer_collections()
def consolidate(
    settings: Settings,
    *,
    sources: Iterable[Incoming] | None = None,
    progress: Progress | None = None,
    full: bool = False,
) -> RunResult:
    """Ingest everything new, then write the round's master workbook; returns what was done.

    ``sources`` replaces the installation's own channels (the inbox and, when configured,
    Google Sheets); ``full`` reads every Google Sheet, changed or not.
    """
    require_registry(settings)
    settings.ensure_folders()
    report = progress or _silent
    warm_up()
    with consolidation_lock(settings):
        remove_leftovers(settings)
        ledger = open_ledger(settings.database_url)
        run_id = ledger.start_run(settings.fiscal_year, settings.round)
        notices: list[Notice] = []
        try:
            registry = load_registry(settings.registry_path)
            sheets = seen = None
            if sources is not None:
                items = list(sources)
            else:
                seen = SeenFiles(settings.master_dir / ".inbox-seen.json")
                items = readable_items(inbox_files(settings, registry, notices, seen=seen), notices)
                if settings.google is not None:
                    from sync.intake.gsheets.source import (
                        SheetsSource,
                    )  # Google's libraries load only where they are used

                    sheets = SheetsSource.open(settings, ledger, registry, notices)
                    if sheets:
                        items += sheets.changed(report, full=full)
            round_ = (settings.fiscal_year, settings.round)
            rechecked = recheck_stale(settings, ledger, registry, round_, read_round_files(settings, registry))
            new_versions = store_new(settings, ledger, registry, items, report)
            if seen:
                seen.save(i for i in items if i.source == "inbox")
            if sheets:
                sheets.feedback(report)
            data = MasterData.collect(settings, ledger, registry, notices)
            notices.extend(data.census.notices)
            notices.extend(misplaced_notices(ledger, settings, items, {s.id for s in data.latest.values()}))
            notices.extend(plausibility_notices(settings, ledger, data))
            summary = data.summary()
            fingerprint = _fingerprint(settings, data)
            master = settings.master_path()
            kept = [asdict(n) for n in notices]
            if master.exists() and ledger.last_fingerprint(settings.fiscal_year, settings.round) == fingerprint:
                ledger.finish_run(
                    run_id,
                    status="unchanged",
                    master_path=str(master),
                    summary=summary,
                    fingerprint=fingerprint,
                    notices=kept,
                )
                report("master", 1, 1, "")
                return RunResult(
                    run_id,
                    master,
                    settings.fiscal_year,
                    settings.round,
                    summary,
                    new_versions,
                    len(items),
                    notices,
                    False,
                    data.units_with_errors(),
                    rechecked,
                )
            from sync.master.writer import keep_added_sheets, write_master  # openpyxl loads only to write

            if moved := keep_added_sheets(settings):
                notices.append(moved)  # shown in ปัญหาที่พบ of the new master and on the dashboard
                kept.append(asdict(moved))
            master = write_master(settings, data, lambda done, steps: report("master", done, steps, ""))
            ledger.finish_run(
                run_id, status="ok", master_path=str(master), summary=summary, fingerprint=fingerprint, notices=kept
            )
            return RunResult(
                run_id,
                master,
                settings.fiscal_year,
                settings.round,
                summary,
                new_versions,
                len(items),
                notices,
                True,
                data.units_with_errors(),
                rechecked,
            )
        except BaseException as exc:
            ledger.finish_run(run_id, status="failed", error=f"{type(exc).__name__}: {exc}")
            raise


def _silent(phase: str, done: int, total: int, unit_code: str) -> None:
    """Progress nobody watches."""


def _fingerprint(settings: Settings, data: Any) -> str:
    """A hash of everything the master is built from: when it is unchanged, so is the master.

    Covers the newest and the counted version of each submission, the registry, the orphan files, the census
    and last year's KPI results, and esaplan's code and rules data (rates, forms, KPI targets:
    :func:`~sync.master.data.code_salt`), so any change rebuilds the master.
    """
    digest = hashlib.sha256()
    digest.update(f"{code_salt()}|{settings.fiscal_year}|{settings.round}".encode())
    for key, submission in sorted(data.latest.items()):
        digest.update(f"|{key}:{submission.id}".encode())
    for key, submission in sorted(data.counted.items()):  # staff's choice of the version that counts
        digest.update(f"|counted {key}:{submission.id}".encode())
    digest.update(settings.registry_path.read_bytes())
    digest.update("|".join(map(repr, data.notices)).encode())
    digest.update(
        repr((sorted(data.census.by_band.items()), sorted(data.baseline.items()))).encode()
    )  # KPI denominators and baselines
    return digest.hexdigest()
