"""Time a whole consolidation against the two plain alternatives on the same inbox. Prints figures.

Run: ``.venv/bin/python bench/consolidate.py`` (the real 260-school registry and 200 synthetic
schools) or ``... --schools 1000 5000 --no-real --runs 1``. Needs the ``bench`` extra
(``pip install -e '.[bench]'``: pandas and XlsxWriter for the baseline script).

For each inbox the contenders run interleaved, ``--runs`` times, each in a fresh interpreter on a
fresh copy of the same generated installation (copying is not timed):

- esaplan: first run (everything new), then in the same process: nothing changed, then 10
  schools send a new version (their files replaced, not timed) and it runs again, as the
  service's or a worker's process does, which keeps its last run's facts and row blocks in
  memory; then 10 other schools send one and a new interpreter runs it, as ``esaplan
  consolidate`` does, reading them from the files next to the master;
- the plain openpyxl loop and the pandas + python-calamine + XlsxWriter script of
  ``bench/baselines.py``, up to ``--baselines-up-to`` schools (the openpyxl loop alone takes
  minutes at 5,000).

Figures are min and median over the runs; ratios compare wall times (interpreter start included
for all three) and the changed run with esaplan's own first run, both measured in-process.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the watcher of a process tree is the tests' own (tests/procwatch.py)

from sync.demo.area import DEMO_FY, DEMO_ROUND, build_registry, plan_files, write_files  # noqa: E402
from sync.demo.plan import plan_values  # noqa: E402
from sync.office.registry import Unit, load_registry, save_registry  # noqa: E402
from sync.office.settings import load_settings, write_config  # noqa: E402
from tests.procwatch import run_watched  # noqa: E402

REAL_REGISTRY = ROOT.parent / "shared" / "data" / "khonkaen-area5-schools-2022.csv"
CHANGED = 10

ESAPLAN_RUN = """
import json, resource, shutil, sys, time
start = time.perf_counter()
from sync.intake.isolation import warm_up
warm_up()  # as `esaplan consolidate` does before its imports
from sync.rounds.consolidate import consolidate
from sync.office.settings import load_settings
settings = load_settings(sys.argv[1])
first = consolidate(settings)
t1 = time.perf_counter()
consolidate(settings)
t2 = time.perf_counter()
shutil.copytree(sys.argv[2], settings.inbox, dirs_exist_ok=True)  # 10 schools send a new version
t3 = time.perf_counter()
changed = consolidate(settings)
t4 = time.perf_counter()
assert changed.new_versions == int(sys.argv[3]), changed.new_versions
print(json.dumps({"first": t1 - start, "again": t2 - t1, "changed": t4 - t3, "versions": first.new_versions,
    "size": first.master_path.stat().st_size, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

ESAPLAN_NEW_PROCESS = """
import json, shutil, sys, time
from sync.intake.isolation import warm_up
warm_up()  # as `esaplan consolidate` does before its imports
from sync.rounds.consolidate import consolidate
from sync.office.settings import load_settings
settings = load_settings(sys.argv[1])
shutil.copytree(sys.argv[2], settings.inbox, dirs_exist_ok=True)  # 10 other schools send a new version
start = time.perf_counter()
changed = consolidate(settings)
assert changed.new_versions == int(sys.argv[3]), changed.new_versions
print(json.dumps({"changed_new_process": time.perf_counter() - start}))
"""


def generate(home: Path, units: list[Unit], seed: int) -> int:
    """Write one filled workbook per unit into the inbox, a second version for 10 schools in
    ``home/../changed`` and for 10 others in ``home/../changed-again``; returns the number of
    files in the inbox."""
    settings = load_settings(home, fiscal_year=DEMO_FY, round=DEMO_ROUND)
    settings.ensure_folders()
    write_config(settings)
    save_registry(units, settings.registry_path)
    plans = {u.code: plan_values(u, DEMO_FY, random.Random(seed)) for u in units if u.kind == "group"}
    files, _ = plan_files(units, random.Random(seed), plans, mistakes=False)
    write_files(files, settings.inbox, DEMO_FY, DEMO_ROUND)
    later, _ = plan_files(units, random.Random(seed + 1), plans, mistakes=False)
    schools = [f for f in later if f.unit.kind == "school"]
    picked = random.Random(seed).sample(schools, 2 * CHANGED)
    for folder, second in (("changed", picked[:CHANGED]), ("changed-again", picked[CHANGED:])):
        write_files(second, home.parent / folder, DEMO_FY, DEMO_ROUND)
        for path in (home.parent / folder).rglob("*.xlsx"):
            path.touch()  # sent now: after the first versions
    return len(files)


def fresh_copy(base: Path, scratch: Path) -> Path:
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(base, scratch)
    return scratch / "area"


def run_esaplan(base: Path, scratch: Path) -> dict:
    home = fresh_copy(base, scratch)
    started = time.perf_counter()
    result, peak = run_watched(
        [sys.executable, "-c", ESAPLAN_RUN, str(home), str(scratch / "changed"), str(CHANGED)], timeout_s=3600, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["wall"] = time.perf_counter() - started - figures["again"] - figures["changed"]
    figures["workers_mib"] = peak.under_mib  # the reading workers are forked by a fork server: watched from outside
    output = subprocess.run(
        [sys.executable, "-c", ESAPLAN_NEW_PROCESS, str(home), str(scratch / "changed-again"), str(CHANGED)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return figures | json.loads(output.strip().splitlines()[-1])


def run_baseline(kind: str, base: Path, scratch: Path) -> float:
    home = fresh_copy(base, scratch)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "baselines.py"), kind, str(home / "inbox"), str(scratch / "out.xlsx")],
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - started


def spread(values: list[float]) -> str:
    return f"{min(values):6.2f} {statistics.median(values):6.2f}"


def measure(label: str, units: list[Unit], runs: int, baselines: bool) -> None:
    schools = sum(u.kind == "school" for u in units)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base"
        start = time.perf_counter()
        files = generate(base / "area", units, seed=schools)
        print(
            f"\n{label}: {schools:,} schools, {files:,} workbooks generated in {time.perf_counter() - start:.0f} s (not part of the figures)"
        )
        esaplan: list[dict] = []
        loops: dict[str, list[float]] = {"openpyxl": [], "pandas": []}
        for _ in range(runs):  # interleaved, so a slow moment of the machine hits every contender alike
            esaplan.append(run_esaplan(base, Path(folder) / "run"))
            for kind in loops if baselines else ():
                loops[kind].append(run_baseline(kind, base, Path(folder) / "run"))
        first = [r["first"] for r in esaplan]
        wall = [r["wall"] for r in esaplan]
        changed = [r["changed"] for r in esaplan]
        print(f"  {'(seconds, min median of ' + str(runs) + ')':44} {'min':>6} {'median':>6}")
        print(
            f"  esaplan first run, in-process, imports in    {spread(first)}   ({esaplan[0]['versions']:,} new versions, master {esaplan[0]['size'] / 1048576:.1f} MiB)"
        )
        print(f"  esaplan first run, wall                      {spread(wall)}")
        print(f"  esaplan nothing changed, in-process          {spread([r['again'] for r in esaplan])}")
        print(
            f"  esaplan {CHANGED} schools changed, in-process       {spread(changed)}   ({statistics.median(changed) / statistics.median(first):.0%} of a first run)"
        )
        print(
            f"  esaplan {CHANGED} others changed, new process      {spread([r['changed_new_process'] for r in esaplan])}   (imports not counted)"
        )
        print(
            f"  peak memory (max RSS) main / workers         {max(r['rss_kib'] for r in esaplan) / 1024:6.0f} {max(r['workers_mib'] for r in esaplan):6.0f} MiB"
        )
        for kind, times in loops.items():
            if times:
                print(
                    f"  {kind + ' baseline, wall':44} {spread(times)}   esaplan faster by {min(times) / min(wall):.1f}x (min) {statistics.median(times) / statistics.median(wall):.1f}x (median)"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, nargs="*", default=[200], help="synthetic areas of this many schools")
    parser.add_argument("--no-real", dest="real", action="store_false", help="skip the real 260-school registry")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baselines-up-to", type=int, default=1000)
    args = parser.parse_args()
    if args.real:
        real = list(load_registry(REAL_REGISTRY).values())
        measure("real registry (Khon Kaen Area 5)", real, args.runs, len(real) <= args.baselines_up_to)
    for schools in args.schools:
        measure(
            "synthetic", build_registry(schools, random.Random(schools)), args.runs, schools <= args.baselines_up_to
        )


if __name__ == "__main__":
    main()
