"""Many areas on many workers: ``esaplan consolidate --all-areas`` over Redis with 1, 2 and 4
``esaplan worker`` processes on this machine. Prints figures; asserts only that every area ended done.

Run: ``.venv/bin/python bench/scale.py`` (120 areas of 250 synthetic schools: 30,000) or
``... --areas 12 --schools 250 --workers 1 2``. Needs redis-server (Debian) and the bench extra.

One synthetic area is generated (``bench/consolidate.py``'s generator, the demo's workbooks) and
copied as every area, each its own installation; the office's areas.csv lists them and its queue
is a redis-server started here on loopback. For each number of workers, every area starts
afresh (ledger, store and master removed; copying is not timed), the workers are started, and
the command line's run is timed to its summary; then 100 schools (10 in each of 10 areas) send a
new version and it runs again. Peak memory is each worker process's high-water mark (VmHWM) and
its parsing processes'.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from consolidate import CHANGED, generate  # noqa: E402  (bench/consolidate.py, run as a script)

from sync.demo.area import build_registry  # noqa: E402

ESAPLAN = str(Path(sys.executable).with_name("esaplan"))
AREA_STATE = ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm", "store", "master", "queue.sqlite3")


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _peak_kib(pid: int) -> int:
    """The high-water mark of a process and of its children still alive (the parsing pool)."""
    total = 0
    for task in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{task}/status").read_text()
        except OSError:
            continue
        total = max(
            total, int(next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), 0))
        )  # an exited child not yet reaped has none
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _reset(areas: list[Path]) -> None:
    for home in areas:
        for name in AREA_STATE:
            path = home / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


def _run(office: Path, workers: int) -> tuple[float, list[int], str]:
    """One `consolidate --all-areas` with ``workers`` worker processes: wall seconds, peak KiB each, output."""
    started = [
        subprocess.Popen(
            [ESAPLAN, "worker", "--home", str(office)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(workers)
    ]
    peaks = [0] * workers
    try:
        begin = time.perf_counter()
        command = subprocess.Popen(
            [ESAPLAN, "consolidate", "--all-areas", "--no-worker", "--home", str(office)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        while command.poll() is None:
            peaks = [max(peak, _peak_kib(worker.pid)) for peak, worker in zip(peaks, started, strict=True)]
            time.sleep(0.5)
        wall = time.perf_counter() - begin
        output = command.stdout.read() if command.stdout else ""
    finally:
        for worker in started:
            worker.terminate()
        for worker in started:
            worker.wait(timeout=60)
    if command.returncode != 0 or "ไม่สำเร็จ 0 เขต" not in output:
        raise SystemExit(f"the run failed:\n{output}")
    return wall, peaks, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--areas", type=int, default=120)
    parser.add_argument("--schools", type=int, default=250, help="schools per area")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is needed (apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="esaplan-scale-") as scratch_name:
        scratch = Path(scratch_name)
        template = scratch / "template" / "area"
        units = build_registry(args.schools, random.Random(2570))
        generate(template, units, seed=2570)
        office = scratch / "office"
        office.mkdir()
        homes = [scratch / "areas" / f"A{n:03d}" for n in range(1, args.areas + 1)]
        for home in homes:
            shutil.copytree(template, home)
        (office / "areas.csv").write_text(
            "code,name_th,province,home\n" + "".join(f"{h.name},เขตทดลอง {h.name},จังหวัดทดลอง,{h}\n" for h in homes),
            encoding="utf-8",
        )
        port = _port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        (office / "esaplan.toml").write_text(
            f'queue_url = "redis://127.0.0.1:{port}/0"\n' + (template / "esaplan.toml").read_text(encoding="utf-8"),
            encoding="utf-8",
        )
        schools = sum(1 for u in units if u.kind == "school") * args.areas
        print(
            f"{args.areas} areas x {args.schools} synthetic schools ({schools:,} schools), redis-server on loopback, {os.cpu_count()} cores"
        )
        firsts: dict[int, float] = {}
        try:
            for workers in args.workers:
                _reset(homes)
                first, peaks, _ = _run(office, workers)
                firsts[workers] = first
                for home in homes[:10]:  # 10 schools in each of 10 areas send a new version
                    shutil.copytree(template.parent / "changed", home / "inbox", dirs_exist_ok=True)
                changed, _, _ = _run(office, workers)
                for home in homes[:10]:  # back to the first versions for the next number of workers
                    shutil.rmtree(home / "inbox")
                    shutil.copytree(template / "inbox", home / "inbox")
                print(
                    f"  {workers} worker(s): first {first:7.1f} s = {schools / first:6.0f} schools/s, {first / args.areas:5.2f} s an area;"
                    f" {CHANGED * len(homes[:10])} changed {changed:6.1f} s; peak per worker {max(peaks) / 1024:5.0f} MiB;"
                    f" scaling x{firsts[args.workers[0]] / first:.2f} of {args.workers[0]}"
                )
        finally:
            redis.kill()
            redis.wait()


if __name__ == "__main__":
    main()
