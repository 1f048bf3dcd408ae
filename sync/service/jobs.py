"""The Consolidate button's job: queued on the installation's task queue, its progress in the database.

Pressing รวมข้อมูล (or calling the API from a macro) records a job in the ``jobs`` table and puts
it on the queue (:mod:`sync.service.queue`); a worker - the one inside ``esaplan serve``, or
``esaplan worker`` on other machines - runs :func:`~sync.rounds.consolidate.consolidate` and writes the
run's progress there a few times a second (phase, units done of how many, the unit being read,
the percent of the whole run), so any page, request or macro on any machine can follow it; the
summary is kept there when it ends. A job queued or running is joined rather than doubled.

A worker that dies (killed, its machine restarted) leaves its job abandoned: at once when the
worker was a process of this machine that no longer exists (the job names it by host, process id
and start time), otherwise when its heartbeat has been silent for :data:`STALE_S`. An abandoned job
goes back on the queue, or is taken over by the next ``esaplan consolidate`` that finds it, and is
run again from the start, which is its safe point: every version already stored is found by its
hash and the master is only ever replaced whole. A worker claims a job in one UPDATE, so two never
run it at once, and the consolidation's file lock still guarantees a single writer of the master.
After :data:`MAX_ATTEMPTS` runs it is reported failed, with the reason in Thai.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys
import threading
import time
from collections.abc import Collection
from dataclasses import asdict
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.sql import ColumnElement

from rules import EsaplanError
from sync.intake.inbox import Progress
from sync.ledger.schema import ACTIVE, as_utc, jobs, utc_now
from sync.ledger.versions import dumps, loads
from sync.office.areas import Area, area_settings, load_areas
from sync.office.errorlog import record_failure
from sync.office.settings import Settings
from sync.rounds.consolidate import PHASES_TH, consolidate

if TYPE_CHECKING:  # the queue library is imported when a job is handed to a queue
    from sync.service.queue import EmbeddedWorker, JobQueue

# Each phase's share of the whole bar, from measured run times: at 200 schools the master takes
# most of a local run, and the Sheets API's quota makes reading Google Sheets the longest phase.
SPANS_LOCAL = {"check": (0, 40), "master": (40, 100)}
SPANS_GOOGLE = {"google": (0, 60), "check": (60, 70), "feedback": (70, 85), "master": (85, 100)}
WRITE_EVERY_S = 0.25  # progress is written at most this often (and at every phase change)
HEARTBEAT_S = 5.0  # a running job says it is alive this often
STALE_S = 20.0  # a job silent this long lost its worker and goes back on the queue
MAX_ATTEMPTS = 3
GAVE_UP = "รวมข้อมูลไม่สำเร็จหลังลอง {attempts} ครั้ง (เครื่องที่ทำงานหยุดไประหว่างทาง) ไฟล์รวมเดิมยังอยู่ครบ กดรวมข้อมูลอีกครั้ง"
QUEUED_TH = "รอคิว (queued)"


def overall_percent(phase: str, done: int, total: int, *, google: bool) -> int:
    """How far the whole run is, 0-99, from how far its current phase is; 100 only once it has ended."""
    low, high = (SPANS_GOOGLE if google else SPANS_LOCAL)[phase]
    return min(low + (high - low) * done // total if total else low, 99)


class Jobs:
    """Start, follow and finish consolidation jobs for one installation."""

    _starting = threading.Lock()

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings

    @cached_property
    def queue(self) -> JobQueue:
        """The installation's queue (huey on SQLite or Redis), opened when a job is first handed to it:
        a command-line run that does its own job loads no queue library."""
        from sync.service.queue import JobQueue, make_huey

        return JobQueue(make_huey(self.settings), self.run, self.stalled)

    def start(
        self, fiscal_year: int, round_: int, started_by: str, area: str | None = None, *, enqueue: bool = True
    ) -> tuple[int, bool]:
        """Queue a consolidation of the round (of one ``area`` of areas.csv, or of this installation);
        returns (job id, whether it is new) - one queued or running for the same area and round is joined, whichever process or machine started it
        (the database holds one such job at most: ``jobs_one_active`` in :mod:`sync.ledger.schema`)."""
        with self._starting:
            running = self._running(fiscal_year, round_, area)
            if running is not None:
                return running, False
            try:
                with self.engine.begin() as connection:
                    job_id = connection.execute(
                        insert(jobs).values(
                            fiscal_year=fiscal_year,
                            round=round_,
                            started_by=started_by,
                            status="queued",
                            done=0,
                            total=0,
                            attempts=0,
                            area=area,
                            started_at=utc_now(),
                        )
                    ).inserted_primary_key[0]  # type: ignore[index]  # an insert always has its key
            except IntegrityError:  # another process or machine started it in the meantime (jobs_one_active)
                running = self._running(fiscal_year, round_, area)
                if running is None:
                    raise
                return running, False
        if enqueue:  # the command line runs its job itself unless a queue of several machines is set
            self.queue.enqueue(job_id)
        return job_id, True

    def embedded_worker(self) -> EmbeddedWorker:
        """The worker ``esaplan serve`` runs when no other machine works the queue (started by the caller)."""
        from sync.service.queue import EmbeddedWorker

        return EmbeddedWorker(self.queue, self.stalled)

    def _running(self, fiscal_year: int, round_: int, area: str | None) -> int | None:
        """A job of the same area and round already queued or running, to join."""
        same_area = jobs.c.area.is_(None) if area is None else jobs.c.area == area
        active = jobs.c.status.in_(ACTIVE)
        with self.engine.connect() as connection:
            found = (
                select(jobs.c.id)
                .where(active, same_area, jobs.c.fiscal_year == fiscal_year, jobs.c.round == round_)
                .order_by(jobs.c.id.desc())
                .limit(1)
            )
            return connection.execute(found).scalar_one_or_none()

    def stalled(self) -> list[int]:
        """Abandoned jobs: back to queued (or failed after MAX_ATTEMPTS), returned to requeue.

        Queued jobs that waited past STALE_S are returned too (a queue restarted without its data
        loses them); enqueuing a job twice is harmless, as only one worker can claim it.
        """
        stale = utc_now() - dt.timedelta(seconds=STALE_S)
        with self.engine.begin() as connection:
            dead = connection.execute(
                select(jobs.c.id, jobs.c.attempts).where(jobs.c.status == "running", _abandoned(connection, stale))
            ).all()
            for job_id, attempts in dead:
                if (attempts or 0) >= MAX_ATTEMPTS:
                    connection.execute(
                        update(jobs)
                        .where(jobs.c.id == job_id)
                        .values(status="failed", error=GAVE_UP.format(attempts=attempts), finished_at=utc_now())
                    )
                else:
                    connection.execute(
                        update(jobs).where(jobs.c.id == job_id, jobs.c.status == "running").values(status="queued")
                    )
            waiting = (
                connection.execute(select(jobs.c.id).where(jobs.c.status == "queued", jobs.c.started_at < stale))
                .scalars()
                .all()
            )
        return sorted({job_id for job_id, attempts in dead if (attempts or 0) < MAX_ATTEMPTS} | set(waiting))

    def _claim(self, job_id: int) -> dict[str, Any] | None:
        """Take the job for this worker in one UPDATE (queued, or running and abandoned); None if another has it."""
        stale = utc_now() - dt.timedelta(seconds=STALE_S)
        with self.engine.begin() as connection:
            claimable = or_(jobs.c.status == "queued", (jobs.c.status == "running") & _abandoned(connection, stale))
            taken = connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, claimable)
                .values(status="running", worker=WORKER, heartbeat_at=utc_now(), attempts=jobs.c.attempts + 1)
            ).rowcount
            row = connection.execute(select(jobs).where(jobs.c.id == job_id)).first() if taken else None
        return dict(row._mapping) if row is not None else None

    def run(self, job_id: int, *, progress: Progress | None = None, full: bool = False) -> bool:
        """The queue's task: consolidate the job's round here, beating while it runs. The command
        line calls it too, with its own ``progress`` and ``full``; returns whether this process ran
        it (False: another worker has it, or it has ended)."""
        job = self._claim(job_id)
        if job is None:
            return False
        area = load_areas(self.settings)[job["area"]] if job["area"] else None
        settings = (
            area_settings(area, job["fiscal_year"], job["round"])
            if area
            else self.settings.with_round(job["fiscal_year"], job["round"])
        )
        beating = threading.Event()
        heart = threading.Thread(
            target=self._beat, args=(job_id, beating), name=f"esaplan-job-{job_id}-heartbeat", daemon=True
        )
        heart.start()
        try:
            self._consolidate(job_id, settings, area, progress, full)
        finally:
            beating.set()
            heart.join()
        return True

    def take_over(self, job_id: int, *, progress: Progress | None = None, full: bool = False) -> bool:
        """Run the job here if it has been abandoned (what the command line following it calls);
        returns whether it ran. Asked with a read, so following a live job writes nothing."""
        stale = utc_now() - dt.timedelta(seconds=STALE_S)
        with self.engine.connect() as connection:
            abandoned = connection.execute(
                select(jobs.c.id).where(jobs.c.id == job_id, jobs.c.status == "running", _abandoned(connection, stale))
            ).first()
        return abandoned is not None and self.run(job_id, progress=progress, full=full)

    def _beat(self, job_id: int, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT_S):
            try:
                self._set(job_id, heartbeat_at=utc_now())
            except SQLAlchemyError:  # the database is away (restarting): the job itself will fail and be run again
                continue

    def _consolidate(
        self, job_id: int, settings: Settings, area: Area | None, watcher: Progress | None, full: bool
    ) -> None:
        last: list[Any] = [0.0, ""]  # when and which phase was last written

        def progress(phase: str, done: int, total: int, unit_code: str) -> None:
            if watcher is not None:  # the command line's bars
                watcher(phase, done, total, unit_code)
            now = time.monotonic()
            if phase == last[1] and done < total and now - last[0] < WRITE_EVERY_S:
                return
            last[:] = [now, phase]
            percent = overall_percent(phase, done, total, google=settings.google is not None)
            self._set(
                job_id,
                phase=phase,
                done=done,
                total=total,
                unit_code=unit_code or None,
                percent=percent,
                heartbeat_at=utc_now(),
            )

        try:
            result = consolidate(settings, progress=progress, full=full)
            if area is not None:  # what the office over the areas unions, made here on the area's worker
                from sync.master.province import (
                    export_tidy,
                )  # DuckDB and pyarrow: the [areas] extra, loaded by area jobs only

                export_tidy(settings, area)
        except EsaplanError as exc:
            self._set(job_id, status="failed", error=exc.message_th, finished_at=utc_now())
            return
        except (OperationalError, InterfaceError):
            raise  # the database went away (restarted, unreachable): left running, its heartbeat stops, it is run again
        except Exception:
            self._set(job_id, status="failed", error=record_failure(settings, f"job {job_id}"), finished_at=utc_now())
            return
        summary = {
            "fiscal_year": result.fiscal_year,
            "round": result.round,
            "summary": result.summary,
            "new_versions": result.new_versions,
            "rechecked": result.rechecked,
            "files_seen": result.files_seen,
            "master": result.master_path.name,
            "master_written": result.master_written,
            "notices": [asdict(n) for n in result.notices],
            "units_with_errors": [asdict(u) for u in result.units_with_errors],
        }
        self._set(job_id, status="done", result=dumps(summary), finished_at=utc_now())

    def _set(self, job_id: int, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(jobs).where(jobs.c.id == job_id).values(**values))

    def get(self, job_id: int) -> dict[str, Any] | None:
        """A job as the pages and the API show it: status, phase in Thai, counts, percent, summary."""
        with self.engine.connect() as connection:
            row = connection.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else _shown(row)

    def ended(self, job_ids: Collection[int]) -> dict[int, dict[str, Any]]:
        """Those of ``job_ids`` that have ended, as :meth:`get` shows them, in one query: the command
        line follows 120 areas' jobs without asking after each one a few times a second."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(jobs).where(jobs.c.id.in_(list(job_ids)), jobs.c.status.not_in(ACTIVE))
            ).all()
        return {row.id: _shown(row) for row in rows}

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


def _abandoned(connection: Connection, stale: dt.datetime) -> ColumnElement[bool]:
    """Running jobs' condition for having lost their worker: silent since ``stale``, or run by a
    process of this machine that has ended (known at once, without waiting for the silence)."""
    workers = connection.execute(select(jobs.c.worker).where(jobs.c.status == "running").distinct()).scalars()
    gone = [worker for worker in workers if worker and _process_ended(worker)]
    return or_(jobs.c.heartbeat_at.is_(None), jobs.c.heartbeat_at < stale, jobs.c.worker.in_(gone))


def _process_ended(worker: str) -> bool:
    """Whether ``worker`` (``host:pid:start``, as :data:`WORKER`) names a process of this machine that
    no longer runs. A process of another machine, or one this machine cannot see, is not known to
    have ended: its heartbeat tells. The start time tells a reused process id from the worker."""
    parts = worker.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    return _started(int(parts[1])) != parts[2]


def _started(pid: int) -> str:
    """A process's start time (clock ticks since boot, Linux), "" when it does not exist; "?" where it cannot be told."""
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
                return handle.read().rsplit(")", 1)[1].split()[19]
        except (OSError, IndexError):
            return ""
    return "?"


def _shown(row: Any) -> dict[str, Any]:
    """A jobs row as the pages, the API and the command line show it."""
    job = dict(row._mapping)
    job["result"] = loads(job["result"]) if job["result"] else None
    job["phase_th"] = QUEUED_TH if job["status"] == "queued" else PHASES_TH.get(job["phase"] or "", "เริ่มรวมข้อมูล")
    if job["status"] == "queued":  # the pages and macros follow a queued job as a running one
        job["status"] = "running"
    if job["status"] == "done":
        job["percent"] = 100
    for key in ("started_at", "finished_at", "heartbeat_at"):
        if job[key] is not None:
            job[key] = as_utc(job[key])
    return job


WORKER = f"{socket.gethostname()}:{os.getpid()}:{_started(os.getpid())}"
