"""Time the whole consolidation for N schools; compare with a plain openpyxl load loop. Prints figures.

Run: ``.venv/bin/python bench/consolidate.py`` (200 schools) or ``... --schools 200 5000``.
The consolidation runs in a fresh interpreter (imports included), which reports its own peak
memory (max RSS of the run and of its worker processes).
The openpyxl comparison (``load_workbook`` on every file, nothing else) runs for sizes up to
``--openpyxl-up-to`` schools, since it alone takes minutes at 5,000.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sync.demo import DEMO_FY, DEMO_ROUND, build_registry, plan_files, write_files
from sync.registry import save_registry
from sync.settings import load_settings, write_config

ROOT = Path(__file__).resolve().parents[1]


def generate(home: Path, schools: int) -> int:
    """Write one filled workbook per unit into the inbox; returns the number of files."""
    settings = load_settings(home, fiscal_year=DEMO_FY, round=DEMO_ROUND)
    settings.ensure_folders()
    write_config(settings)
    units = build_registry(schools, random.Random(schools))
    save_registry(units, settings.registry_path)
    files, _ = plan_files(units, random.Random(schools), mistakes=False)
    write_files(files, settings.inbox, DEMO_FY, DEMO_ROUND)
    return len(files)


CONSOLIDATE_TWICE = """
import json, resource, sys, time
start = time.perf_counter()
from sync.consolidate import consolidate
from sync.settings import load_settings
settings = load_settings(sys.argv[1])
first = consolidate(settings)
middle = time.perf_counter()
consolidate(settings)
end = time.perf_counter()
print(json.dumps({"first": middle - start, "again": end - middle, "versions": first.new_versions,
    "size": first.master_path.stat().st_size,
    "rss_kib": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)}))
"""


def consolidate_in_fresh_process(home: Path) -> dict:
    """Run two consolidations in a new interpreter, as ``esaplan consolidate`` would; imports included."""
    started = time.perf_counter()
    output = subprocess.run([sys.executable, "-c", CONSOLIDATE_TWICE, str(home)], check=True, capture_output=True, text=True, cwd=ROOT).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    figures["wall"] = time.perf_counter() - started - figures["again"]
    return figures


def _read_stage(home: Path, queue: multiprocessing.Queue) -> None:
    """Only what replaces the openpyxl loop: read every file with calamine and validate it."""
    from sync.consolidate import _parse_all, inbox_files
    from sync.registry import load_registry

    settings = load_settings(home, fiscal_year=DEMO_FY, round=DEMO_ROUND)
    registry = load_registry(settings.registry_path)
    items = list(inbox_files(settings, registry, []))
    start = time.perf_counter()
    parsed = list(_parse_all(settings, registry, items))
    queue.put((time.perf_counter() - start, len(parsed)))


def _openpyxl_loop(home: Path, queue: multiprocessing.Queue) -> None:
    from openpyxl import load_workbook

    start = time.perf_counter()
    for path in sorted((home / "inbox").rglob("*.xlsx")):
        load_workbook(path)
    queue.put(time.perf_counter() - start)


def in_child(target, home: Path):  # type: ignore[no-untyped-def]
    """Run ``target(home, queue)`` in a forked child (modules already imported, as in a CLI run)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=target, args=(home, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, nargs="+", default=[200])
    parser.add_argument("--openpyxl-up-to", type=int, default=1000)
    args = parser.parse_args()
    for schools in args.schools:
        with tempfile.TemporaryDirectory() as folder:
            home = Path(folder) / "area"
            start = time.perf_counter()
            files = generate(home, schools)
            print(f"\n{schools:,} schools: generated {files:,} workbooks in {time.perf_counter() - start:.1f} s (not part of the figures)")
            run = consolidate_in_fresh_process(home)
            first = run["first"]
            print(f"  consolidate, first run        {first:7.2f} s   (in-process, imports included; {run['wall']:.2f} s wall with interpreter start; {run['versions']:,} new versions, master {run['size'] / 1048576:.1f} MiB)")
            print(f"  consolidate, nothing changed  {run['again']:7.2f} s")
            print(f"  peak memory (max RSS)         {run['rss_kib'] / 1024:7.0f} MiB")
            read, count = in_child(_read_stage, home)
            print(f"  read + validate stage         {read:7.2f} s   (python-calamine + form checks, {count:,} files)")
            if schools <= args.openpyxl_up_to:
                loop = in_child(_openpyxl_loop, home)
                print(f"  openpyxl load_workbook loop   {loop:7.2f} s   (loading only, no validation)")
                print(f"  ratio, read + validate vs openpyxl loop     {loop / read:5.1f}x")
                print(f"  ratio, whole consolidation vs openpyxl loop {loop / first:5.1f}x  (the master write with openpyxl dominates)")


if __name__ == "__main__":
    main()
