"""A consolidation killed at any moment (kill -9: a power cut, a closed terminal, the OOM killer) is
taken over by the very next ``esaplan consolidate``, at once, and leaves nothing half-written."""

from __future__ import annotations

import random
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from python_calamine import CalamineWorkbook

from sync.office.settings import load_settings
from sync.service.jobs import STALE_S

ESAPLAN = str(Path(sys.executable).with_name("esaplan"))


def _resend(home: Path, every: int, mark: str) -> None:
    """Every ``every``-th school sends its file again with new bytes (the run reads them anew)."""
    for path in sorted((home / "inbox").rglob("*.xlsx"))[::every]:
        try:
            with zipfile.ZipFile(path, "a") as archive:
                archive.comment = mark.encode()
        except zipfile.BadZipFile:  # the demo's planted non-workbooks stay as they are
            continue


def test_a_run_killed_at_any_point_is_taken_over_at_once_and_leaves_nothing_behind(demo200, tmp_path):
    home = tmp_path / "area"
    shutil.copytree(demo200, home)
    settings = load_settings(home)
    rng = random.Random(2570)
    half_written = 0
    for attempt in range(8):
        _resend(home, every=1 + attempt % 3, mark=f"attempt {attempt}")
        killed = subprocess.Popen(
            [ESAPLAN, "consolidate", "--home", str(home)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if attempt % 2:  # while the new master is being written: a temporary master is on disk
            _until(
                lambda killed=killed: any(settings.master_dir.glob(".master-*.xlsx.tmp")) or killed.poll() is not None
            )
            time.sleep(rng.uniform(0, 0.05))
        else:  # anywhere from reading the inbox to the end
            time.sleep(rng.uniform(0.2, 2.5))
        killed.kill()
        killed.wait()
        half_written += any(settings.master_dir.glob(".master-*.xlsx.tmp"))
        started = time.monotonic()
        again = subprocess.run(
            [ESAPLAN, "consolidate", "--home", str(home)], capture_output=True, text=True, timeout=300
        )
        took = time.monotonic() - started
        assert again.returncode == 0, (attempt, again.stderr[-2000:])
        assert "กำลังทำอยู่" not in again.stderr, "the dead run is not waited for"
        assert took < STALE_S + 15, f"taken over at once, not after the heartbeat went stale ({took:.1f} s)"
        leftovers = [
            p.name
            for folder in (settings.master_dir, settings.store)
            for p in folder.iterdir()
            if p.name.endswith((".tmp", ".part"))
        ]
        assert leftovers == [], leftovers
        with CalamineWorkbook.from_path(str(settings.master_path())) as book:
            assert "สรุป" in book.sheet_names
        with sqlite3.connect(home / "ledger.sqlite") as ledger:
            assert ledger.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            kept = {sha for (sha,) in ledger.execute("SELECT sha256 FROM submissions WHERE source != 'gsheets'")}
        assert all((settings.store / f"{sha}.xlsx").is_file() for sha in kept), "every version recorded has its file"
    assert half_written >= 2, "some runs were killed with their new master half-written, and it was cleaned away"


def _until(ready, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.005)
