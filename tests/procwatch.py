"""The peak memory of a process and everything it starts (reading workers included), watched from outside.

A reading worker is forked by a fork server, so its peak is not in the starting process's
``RUSAGE_CHILDREN``; it is read here from each process's own high-water mark (``VmHWM`` in
``/proc/<pid>/status``, Linux), every few milliseconds while the watched command runs.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass
class Peak:
    """The highest resident memory seen of one process of the tree (``mib``) and of one of the
    processes under the command (``under_mib``: its fork server and workers), in MiB, and how long it all took."""

    mib: float = 0.0
    under_mib: float = 0.0
    seconds: float = 0.0


def descendants(pid: int) -> set[int]:
    """The processes under ``pid``, at this moment."""
    parents = {}
    for entry in PROC.iterdir():
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def high_water_mib(pid: int) -> float:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def run_watched(
    command: list[str], *, timeout_s: float, every_s: float = 0.01, **options: object
) -> tuple[subprocess.CompletedProcess[str], Peak]:
    """Run ``command`` to its end, watching the peak memory of it and every process under it."""
    peak = Peak()
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options)  # type: ignore[call-overload]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak.mib = max(peak.mib, high_water_mib(process.pid))
            for pid in descendants(process.pid):
                peak.under_mib = max(peak.under_mib, high_water_mib(pid))
            peak.mib = max(peak.mib, peak.under_mib)
            time.sleep(every_s)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        out, err = process.communicate(timeout=timeout_s)
    finally:
        done.set()
        watcher.join()
        if process.poll() is None:
            process.kill()
            process.communicate()
    peak.seconds = time.monotonic() - started
    return subprocess.CompletedProcess(command, process.returncode, out, err), peak
