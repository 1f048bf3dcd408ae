"""What ten changed schools cost a long-lived process, by the size of the area. Prints figures.

Run: ``.venv/bin/python bench/change_cost.py`` (260, 1,000 and 5,000 synthetic schools) or
``... --schools 260 1000``. Needs nothing beyond esaplan itself.

For each area: one filled workbook per school (``bench/consolidate.py``'s generator), a first
consolidation, then ``--runs`` rounds of, in the same process as the service's worker runs them:
a run where nothing changed, then 10 schools picked at random sending a new version (a number
changed in their enrolment sheet, not timed) and a run. The figures are medians. What a change
costs is the changed run less the run where nothing changed: the issue asks that it grow with
the change, not with the area. (``bench/consolidate.py``'s "nothing changed" is the run right
after the first, which also does once-a-day and first-time bookkeeping: this one is steady.)
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from consolidate import generate  # bench/consolidate.py, beside this script
from openpyxl import load_workbook

from sync.demo.area import DEMO_FY, DEMO_ROUND, build_registry
from sync.office.settings import load_settings
from sync.rounds.consolidate import consolidate

CHANGED = 10


def measure(schools: int, runs: int) -> tuple[float, float]:
    """Median seconds of a run where nothing changed and of one after 10 random schools sent a new version."""
    with tempfile.TemporaryDirectory(prefix="esaplan-change-cost-") as scratch:
        home = Path(scratch) / "area"
        generate(home, build_registry(schools, random.Random(schools)), seed=schools)
        settings = load_settings(home, fiscal_year=DEMO_FY, round=DEMO_ROUND)
        consolidate(settings)
        files = sorted(settings.inbox.glob("*/*.xlsx"))
        pick = random.Random(7)
        nothing, changed = [], []
        for run in range(runs):
            started = time.perf_counter()
            assert not consolidate(settings).master_written
            nothing.append(time.perf_counter() - started)
            for path in pick.sample(files, CHANGED):
                book = load_workbook(path)
                sheet = book["ข้อมูลนักเรียน"]
                sheet["B4"] = 100 + run  # a new number of boys in the first grade: a new version
                book.save(path)
            started = time.perf_counter()
            assert consolidate(settings).new_versions == CHANGED
            changed.append(time.perf_counter() - started)
        return statistics.median(nothing), statistics.median(changed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, nargs="*", default=[260, 1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    print(
        f"{'schools':>8} {'nothing changed':>16} {'10 changed':>11} {'the change costs':>17}   (seconds, median of {options.runs}, one warm process)"
    )
    for schools in options.schools:
        nothing, changed = measure(schools, options.runs)
        print(f"{schools:>8,} {nothing:>16.3f} {changed:>11.3f} {changed - nothing:>17.3f}", flush=True)


if __name__ == "__main__":
    main()
