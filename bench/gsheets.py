"""What a consolidation of schools' Google Sheets costs: requests per run and wall time. Prints figures.

Run: ``.venv/bin/python bench/gsheets.py`` (200 schools, 10 of them changing) or
``... --schools 200 --changed 10``. Google is the local stand-in of the tests
(tests/google_standin.py) on loopback, so the times are esaplan's own work plus loopback HTTP,
not Google's latency; the request counts are what Google would see. The quota window is
lifted for the measurement (with Google's 60 reads a minute, 200 first reads take ~3 minutes).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.intake.gsheets.provision import provision  # noqa: E402
from sync.rounds.consolidate import consolidate  # noqa: E402
from tests.google_standin import GoogleStandIn  # noqa: E402
from tests.gsheets_area import make_area  # noqa: E402


def measure(schools: int, changed: int) -> None:
    standin = GoogleStandIn()
    with standin.serving() as base, tempfile.TemporaryDirectory() as folder:
        area = make_area(Path(folder), standin, base, schools=schools)
        started = time.perf_counter()
        provision(area.settings)
        print(
            f"provision {schools} schools: {time.perf_counter() - started:.1f} s, {len(standin.log)} requests {dict(Counter(k for k, _ in standin.log))}"
        )
        units = area.schools()
        area.fill(units[0])
        area.copy_filled(units[0], units[1:])
        for label, edit in (
            ("first run, all sheets new", []),
            ("nothing changed", []),
            (f"{changed} sheets changed", units[:changed]),
        ):
            for unit in edit:
                standin.edit(unit.sheet_id, "ข้อมูลนักเรียน", "B4", 21)
            start = len(standin.log)
            started = time.perf_counter()
            result = consolidate(area.settings)
            took = time.perf_counter() - started
            kinds = Counter(k for k, _ in standin.log[start:])
            print(
                f"{label}: {took:.2f} s, {sum(kinds.values())} requests {dict(kinds)}, new versions {result.new_versions}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--changed", type=int, default=10)
    args = parser.parse_args()
    measure(args.schools, args.changed)


if __name__ == "__main__":
    main()
