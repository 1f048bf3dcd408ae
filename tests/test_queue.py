"""Consolidation jobs on a real task queue: Redis (Debian's redis-server on loopback) and
``esaplan worker`` processes, as several machines run them; faults made the hard way.

A worker killed with SIGKILL in the middle of a 200-school job leaves the master as it was; the
next worker puts the job back on the queue and finishes it, once. Redis restarted under a
running job: the job finishes and the next one is still taken.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.ledger.database import open_ledger
from sync.office.registry import load_registry
from sync.office.settings import load_settings
from sync.service.jobs import STALE_S, Jobs
from tests.procwatch import descendants


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    pytest.fail("redis-server did not start")


@pytest.fixture
def redis_port() -> Iterator[int]:
    """Debian's redis-server on a free loopback port, nothing kept on disk; CI requires it."""
    if shutil.which("redis-server") is None:
        if os.environ.get("ESAPLAN_REQUIRE_REDIS"):
            pytest.fail("redis-server is required (apt-get install redis-server)")
        pytest.skip("redis-server not installed")
    port = _port()
    server = _redis(port)
    yield port
    server.kill()
    server.wait()


@pytest.fixture
def area(demo200: Path, tmp_path: Path, redis_port: int) -> Path:
    """The 200-school demo with every inbox file given new bytes (so the job reads them all again),
    its queue on the Redis above."""
    home = tmp_path / "area"
    shutil.copytree(demo200, home)
    for path in sorted((home / "inbox").rglob("*.xlsx")):
        with zipfile.ZipFile(path, "a") as archive:
            archive.comment = b"sent again"
    with (home / "esaplan.toml").open("a", encoding="utf-8") as config:
        config.write(f'\nqueue_url = "redis://127.0.0.1:{redis_port}/0"\n')
    return home


def _worker(home: Path) -> subprocess.Popen[bytes]:
    """`esaplan worker` as a machine runs it, its output in worker-<n>.log beside the area."""
    log = home.parent / f"worker-{len(list(home.parent.glob('worker-*.log')))}.log"
    with log.open("wb") as output:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("esaplan")), "worker", "--home", str(home)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """Ctrl+C, as a person stops it (huey finishes nothing new and exits)."""
    worker.send_signal(signal.SIGINT)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _until(jobs: Jobs, job_id: int, ready, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if ready(job):
            return job
        time.sleep(0.05)
    pytest.fail(f"the job never got there: {jobs.get(job_id)}")


@contextmanager
def _job_under_way(home: Path, done: int) -> Iterator[tuple[Jobs, int]]:
    """A worker started on ``home`` and a job it has read ``done`` files of; the worker is stopped
    with Ctrl+C when the block ends, whatever happened to the services under it."""
    settings = load_settings(home)
    jobs = Jobs(open_ledger(settings.database_url).engine, settings)
    worker = _worker(home)
    try:
        job_id, _ = jobs.start(settings.fiscal_year, settings.round, "test")
        _until(jobs, job_id, lambda j: j["phase"] == "check" and j["done"] >= done)
        yield jobs, job_id
    finally:
        _stop(worker)


def _left_behind(pids: set[int], timeout_s: float) -> set[int]:
    """Those of ``pids`` still running after ``timeout_s`` (zombies reaped by nobody count as ended)."""
    deadline = time.monotonic() + timeout_s
    while True:
        alive = set()
        for pid in pids:
            try:
                if (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    alive.add(pid)
            except OSError:
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_worker_killed_mid_job_leaves_the_master_whole_and_the_next_worker_finishes_it(area):
    settings = load_settings(area)
    jobs = Jobs(open_ledger(settings.database_url).engine, settings)
    before = _digest(settings.master_path())
    first = _worker(area)
    try:
        job_id, new = jobs.start(settings.fiscal_year, settings.round, "test")
        assert new and jobs.start(settings.fiscal_year, settings.round, "again") == (
            job_id,
            False,
        )  # joined, not doubled
        running = _until(jobs, job_id, lambda j: j["phase"] == "check" and j["done"] >= 20)
        assert running["worker"].split(":")[1] == str(first.pid)
        readers = descendants(first.pid)
        assert readers, "files are read in processes of their own"
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait()
    assert _digest(settings.master_path()) == before, "a killed run never touches the master"
    assert _left_behind(readers, timeout_s=5) == set(), "the killed worker's reading processes end with it"
    assert jobs.get(job_id)["status"] == "running"

    killed_at = time.monotonic()  # no waiting for its heartbeat to go stale: its process is known to be gone
    second = _worker(area)
    try:
        _until(jobs, job_id, lambda j: j["worker"].split(":")[1] == str(second.pid), timeout_s=STALE_S)
        assert time.monotonic() - killed_at < STALE_S, "taken over before its heartbeat would have gone stale"
        done = _until(jobs, job_id, lambda j: j["status"] != "running", timeout_s=180)
    finally:
        _stop(second)
    assert done["status"] == "done", (done, (area.parent / "worker-1.log").read_text(errors="replace"))
    assert done["attempts"] == 2 and done["worker"].split(":")[1] == str(second.pid)
    assert done["result"]["master_written"] and done["result"]["files_seen"] >= 200
    book = load_workbook(settings.master_path(), read_only=True)
    status = list(book["สถานะการส่ง"].iter_rows(values_only=True))
    book.close()
    assert len(status) - 1 == len(load_registry(settings.registry_path)), "every unit has its line in the new master"


def test_redis_restarted_under_a_running_job(area, redis_port):
    settings = load_settings(area)
    with _job_under_way(area, done=10) as (jobs, job_id):
        # the fixture's redis-server is found by its port and killed; a new one takes the port (nothing kept)
        subprocess.run(["pkill", "-KILL", "-f", f"redis-server 127.0.0.1:{redis_port}"], check=False)
        time.sleep(0.5)
        restarted = _redis(redis_port)
        try:
            assert _until(jobs, job_id, lambda j: j["status"] != "running", timeout_s=180)["status"] == "done"
            later, new = jobs.start(settings.fiscal_year, settings.round, "test")
            assert new
            assert _until(jobs, later, lambda j: j["status"] != "running", timeout_s=180)["status"] == "done"
        finally:
            restarted.kill()
            restarted.wait()


def test_a_full_disk_under_the_master_fails_the_job_in_thai_and_loses_nothing(demo_copy, tmp_path):
    """The master folder on a tmpfs just big enough for what it holds: the job ends failed saying
    the disk is full, the master is the one it was, and the new versions are in the ledger."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    from sqlalchemy import func, select

    from sync.ledger.schema import submissions
    from sync.service.web import create_app

    master_dir = demo_copy / "master"
    kept = tmp_path / "master-before"
    shutil.copytree(master_dir, kept)
    shutil.rmtree(master_dir)
    master_dir.mkdir()
    used = sum(p.stat().st_size for p in kept.rglob("*") if p.is_file())
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={used + 256 * 1024}", "tmpfs", str(master_dir)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace')}")
    try:
        shutil.copytree(kept, master_dir, dirs_exist_ok=True)
        settings = load_settings(demo_copy)
        before = _digest(settings.master_path())
        for path in sorted((demo_copy / "inbox").rglob("*.xlsx")):
            with zipfile.ZipFile(path, "a") as archive:
                archive.comment = b"sent again"
        app = create_app(settings, api_token="t")
        jobs = app.extensions["esaplan"].jobs
        with jobs.engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(submissions)).scalar_one()
        job_id, _ = jobs.start(settings.fiscal_year, settings.round, "test")
        failed = jobs.wait(job_id, 180)
        assert failed["status"] == "failed" and "เต็ม" in failed["error"] and "ไฟล์รวมเดิมยังอยู่ครบ" in failed["error"], (
            failed["error"]
        )
        assert _digest(settings.master_path()) == before
        load_workbook(settings.master_path(), read_only=True).close()
        with jobs.engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(submissions)).scalar_one() > stored, (
                "the versions read are kept"
            )
    finally:
        subprocess.run(["umount", "-l", str(master_dir)], check=False)


def test_postgresql_restarted_under_a_running_job(demo200, tmp_path, postgres, fresh_database):
    """The ledger on PostgreSQL, stopped and started again while a worker reads 200 schools: the
    job is left to its stopped heartbeat, run again, and ends done; every file is one version."""
    from sqlalchemy import func, select

    from sync.ledger.schema import submissions

    home = tmp_path / "area"
    shutil.copytree(demo200, home)
    for state in ("ledger.sqlite", "store"):  # the area starts on an empty PostgreSQL ledger
        path = home / state
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    with (home / "esaplan.toml").open("a", encoding="utf-8") as config:
        config.write(f'\ndatabase_url = "{fresh_database}"\n')
    with _job_under_way(home, done=20) as (jobs, job_id):
        postgres.stop()
        time.sleep(1)
        postgres.start()
        done = _until(jobs, job_id, lambda j: j["status"] != "running", timeout_s=240)
    assert done["status"] == "done" and done["attempts"] >= 2, done
    load_workbook(load_settings(home).master_path(), read_only=True).close()
    with jobs.engine.connect() as connection:
        stored, distinct = connection.execute(
            select(func.count(), func.count(func.distinct(submissions.c.unit_code + submissions.c.sha256)))
        ).one()
    assert stored == distinct >= 200, "each file sent is one version, none lost and none twice"
