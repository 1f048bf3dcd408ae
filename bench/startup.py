"""What staff wait for at the command line, each command a new process as they run it. Prints figures.

Run: ``.venv/bin/python bench/startup.py`` (the area's 260 real schools from ../shared/data, one filled
workbook each) or ``... --registry other.csv --runs 5``. Needs nothing beyond esaplan itself.

Figures (medians of ``--runs``): ``esaplan --help``; a first ``esaplan consolidate``; one where nothing
changed; one after 10 schools sent a new version, also as a share of the first. Then the heavy
libraries each kind of run imported (``python -X importtime``): none of a queue, PostgreSQL, Alembic,
pandas, numpy or DuckDB should load unless the run needs it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/consolidate.py, beside this script: its generator and names, so the same script measures an older tree
from consolidate import DEMO_FY, DEMO_ROUND, generate, load_registry

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT.parent / "shared" / "data" / "khonkaen-area5-schools-2022.csv"
ESAPLAN = str(Path(sys.executable).with_name("esaplan"))
HEAVY = ("huey", "redis", "psycopg", "alembic", "pandas", "numpy", "duckdb", "pyarrow", "matplotlib", "docx", "flask")
CONSOLIDATE = ["consolidate", "--fy", str(DEMO_FY), "--round", str(DEMO_ROUND)]


def timed(*args: str, home: Path | None = None) -> float:
    env = {**os.environ, **({"ESAPLAN_HOME": str(home)} if home else {})}
    start = time.perf_counter()
    subprocess.run([ESAPLAN, *args], check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def heavy_imports(*args: str, home: Path | None = None) -> list[str]:
    """The heavy top-level packages a command imported, from ``-X importtime``."""
    env = {**os.environ, **({"ESAPLAN_HOME": str(home)} if home else {})}
    code = "import sys; from sync.cli import main; sys.argv = ['esaplan', *sys.argv[1:]]; main()"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    found = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    return sorted(found & set(HEAVY))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--registry", type=Path, default=REGISTRY)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    units = list(load_registry(args.registry).values())
    print(f"{len(units)} units ({args.registry.name}), medians of {args.runs} runs, load {os.getloadavg()[0]:.2f}")
    print(f"esaplan --help: {statistics.median(timed('--help') for _ in range(args.runs)):.2f} s")
    with tempfile.TemporaryDirectory(prefix="esaplan-startup-") as scratch:
        base = Path(scratch) / "base" / "area"
        generate(base, units, seed=len(units))
        firsts, quiets, changes = [], [], []
        for run in range(args.runs):
            home = Path(scratch) / f"run{run}" / "area"
            shutil.copytree(base.parent, home.parent)
            firsts.append(timed(*CONSOLIDATE, home=home))
            quiets.append(timed(*CONSOLIDATE, home=home))
            for path in (home.parent / "changed").rglob("*.xlsx"):
                target = home / "inbox" / path.relative_to(home.parent / "changed")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
            changes.append(timed(*CONSOLIDATE, home=home))
        first, quiet, change = (statistics.median(x) for x in (firsts, quiets, changes))
        print(f"first consolidate: {first:.2f} s")
        print(f"nothing changed:   {quiet:.2f} s")
        print(f"10 schools changed: {change:.2f} s ({change / first:.0%} of a first run)")
        print(f"heavy imports, --help: {heavy_imports('--help') or 'none'}")
        print(f"heavy imports, nothing changed: {heavy_imports(*CONSOLIDATE, home=home) or 'none'}")


if __name__ == "__main__":
    main()
