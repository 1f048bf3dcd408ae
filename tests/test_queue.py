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
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.jobs import STALE_S, Jobs
from sync.ledger import open_ledger
from sync.registry import load_registry
from sync.settings import load_settings


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
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
        return subprocess.Popen([str(Path(sys.executable).with_name("esaplan")), "worker", "--home", str(home)], stdout=output, stderr=subprocess.STDOUT)


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


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_worker_killed_mid_job_leaves_the_master_whole_and_the_next_worker_finishes_it(area):
    settings = load_settings(area)
    jobs = Jobs(open_ledger(settings.database_url).engine, settings)
    before = _digest(settings.master_path())
    first = _worker(area)
    try:
        job_id, new = jobs.start(settings.fiscal_year, settings.round, "test")
        assert new and jobs.start(settings.fiscal_year, settings.round, "again") == (job_id, False)  # joined, not doubled
        running = _until(jobs, job_id, lambda j: j["phase"] == "check" and j["done"] >= 20)
        assert running["worker"].endswith(f":{first.pid}")
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait()
    assert _digest(settings.master_path()) == before, "a killed run never touches the master"
    assert jobs.get(job_id)["status"] == "running"

    time.sleep(STALE_S + 1)  # its heartbeat has stopped for long enough
    second = _worker(area)
    try:
        done = _until(jobs, job_id, lambda j: j["status"] != "running", timeout_s=180)
    finally:
        _stop(second)
    assert done["status"] == "done", (done, (area.parent / "worker-1.log").read_text(errors="replace"))
    assert done["attempts"] == 2 and done["worker"].endswith(f":{second.pid}")
    assert done["result"]["master_written"] and done["result"]["files_seen"] >= 200
    book = load_workbook(settings.master_path(), read_only=True)
    status = list(book["สถานะการส่ง"].iter_rows(values_only=True))
    assert len(status) - 1 == len(load_registry(settings.registry_path)), "every unit has its line in the new master"


def test_redis_restarted_under_a_running_job(area, redis_port):
    settings = load_settings(area)
    jobs = Jobs(open_ledger(settings.database_url).engine, settings)
    worker = _worker(area)
    try:
        job_id, _ = jobs.start(settings.fiscal_year, settings.round, "test")
        _until(jobs, job_id, lambda j: j["phase"] == "check" and j["done"] >= 10)
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
    finally:
        _stop(worker)
