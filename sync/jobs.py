"""The Consolidate button's background job: one consolidation at a time, its progress in the database.

Pressing รวมข้อมูล (or calling the API from a macro) starts :func:`~sync.consolidate.consolidate`
in a thread of the web service and returns at once. The run's progress - phase, how many
units done of how many, the unit being read, the percent of the whole run - is written to the
``jobs`` table a few times a second, so any page, request or macro can follow it; the summary
is kept there when it ends.
A job already running is joined rather than doubled. A job a server restart cut short is
marked failed at the next start, with a message saying the previous master is intact.

A thread and a table suit one office server; the consolidation's own lock still guarantees a
single writer if two services share an installation folder.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import asdict
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from rules import EsaplanError

from .consolidate import PHASES_TH, consolidate, record_failure
from .ledger import dumps, loads
from .schema import jobs
from .settings import Settings

# Each phase's share of the whole bar, from measured run times: at 200 schools the master takes
# most of a local run, and the Sheets API's quota makes reading Google Sheets the longest phase.
SPANS_LOCAL = {"check": (0, 40), "master": (40, 100)}
SPANS_GOOGLE = {"google": (0, 60), "check": (60, 70), "feedback": (70, 85), "master": (85, 100)}
WRITE_EVERY_S = 0.25  # progress is written at most this often (and at every phase change)
RESTARTED = "เซิร์ฟเวอร์เริ่มใหม่ระหว่างรวมข้อมูล งานนี้จึงไม่เสร็จ ไฟล์รวมเดิมยังอยู่ครบ กดรวมข้อมูลอีกครั้ง"


def overall_percent(phase: str, done: int, total: int, *, google: bool) -> int:
    """How far the whole run is, 0-99, from how far its current phase is; 100 only once it has ended."""
    low, high = (SPANS_GOOGLE if google else SPANS_LOCAL)[phase]
    return min(low + (high - low) * done // total if total else low, 99)


class Jobs:
    """Start, follow and finish consolidation jobs for one installation."""

    _starting = threading.Lock()

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings

    def start(self, fiscal_year: int, round_: int, started_by: str) -> tuple[int, bool]:
        """Start a consolidation of the round; returns (job id, whether it is new) - a running one is joined."""
        with self._starting:
            running = self._running()
            if running is not None:
                return running, False
            with self.engine.begin() as connection:
                job_id = connection.execute(
                    insert(jobs).values(fiscal_year=fiscal_year, round=round_, started_by=started_by, status="running", done=0, total=0, started_at=dt.datetime.now(dt.UTC))
                ).inserted_primary_key[0]
        threading.Thread(target=self._run, args=(job_id, self.settings.with_round(fiscal_year, round_)), name=f"esaplan-job-{job_id}", daemon=True).start()
        return job_id, True

    def _running(self) -> int | None:
        with self.engine.connect() as connection:
            return connection.execute(select(jobs.c.id).where(jobs.c.status == "running").order_by(jobs.c.id.desc()).limit(1)).scalar_one_or_none()

    def _run(self, job_id: int, settings: Settings) -> None:
        last = [0.0, ""]

        def progress(phase: str, done: int, total: int, unit_code: str) -> None:
            now = time.monotonic()
            if phase == last[1] and done < total and now - last[0] < WRITE_EVERY_S:
                return
            last[:] = [now, phase]
            percent = overall_percent(phase, done, total, google=settings.google is not None)
            self._set(job_id, phase=phase, done=done, total=total, unit_code=unit_code or None, percent=percent)

        try:
            result = consolidate(settings, progress=progress)
        except EsaplanError as exc:
            self._set(job_id, status="failed", error=exc.message_th, finished_at=dt.datetime.now(dt.UTC))
            return
        except Exception:
            self._set(job_id, status="failed", error=record_failure(settings, f"job {job_id}"), finished_at=dt.datetime.now(dt.UTC))
            return
        summary = {
            "fiscal_year": result.fiscal_year,
            "round": result.round,
            "summary": result.summary,
            "new_versions": result.new_versions,
            "files_seen": result.files_seen,
            "master": result.master_path.name,
            "master_written": result.master_written,
            "notices": [asdict(n) for n in result.notices],
            "units_with_errors": [asdict(u) for u in result.units_with_errors],
        }
        self._set(job_id, status="done", result=dumps(summary), finished_at=dt.datetime.now(dt.UTC))

    def _set(self, job_id: int, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(jobs).where(jobs.c.id == job_id).values(**values))

    def get(self, job_id: int) -> dict[str, Any] | None:
        """A job as the pages and the API show it: status, phase in Thai, counts, percent, summary."""
        with self.engine.connect() as connection:
            row = connection.execute(select(jobs).where(jobs.c.id == job_id)).first()
        if row is None:
            return None
        job = dict(row._mapping)
        job["result"] = loads(job["result"]) if job["result"] else None
        job["phase_th"] = PHASES_TH.get(job["phase"] or "", "เริ่มรวมข้อมูล")
        if job["status"] == "done":
            job["percent"] = 100
        for key in ("started_at", "finished_at"):
            if job[key] is not None and job[key].tzinfo is None:
                job[key] = job[key].replace(tzinfo=dt.UTC)
        return job

    def latest(self) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            job_id = connection.execute(select(jobs.c.id).order_by(jobs.c.id.desc()).limit(1)).scalar_one_or_none()
        return self.get(job_id) if job_id is not None else None

    def wait(self, job_id: int, timeout_s: float) -> dict[str, Any] | None:
        """The job once it has ended, or as it stands after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        job = self.get(job_id)
        while job is not None and job["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
            job = self.get(job_id)
        return job

    def abandon_interrupted(self) -> None:
        """At start-up: jobs still marked running were cut short by a restart."""
        with self.engine.begin() as connection:
            connection.execute(update(jobs).where(jobs.c.status == "running").values(status="failed", error=RESTARTED, finished_at=dt.datetime.now(dt.UTC)))
