"""What a hostile file costs the office: one consolidation per file, on the real registry. Prints figures.

Run: ``.venv/bin/python bench/hostile.py`` (from the repository, beside ``../shared/data``).

Each case is a school workbook written by ``esaplan templates``, filled, then changed as
tests/hostile.py changes it (a cell far away, a legal file that inflates tenfold, a sheet of the
school's own, a control character, a link to another workbook). Each is dropped alone in the inbox
of a fresh installation holding the area's 260-school registry, and ``esaplan consolidate`` runs in
a new process, watched from outside: its wall time, and the largest resident memory of any process
of the run (the command, its fork server and its reading workers), sampled every 10 ms. A file
refused before it is read costs little; one that is read costs what reading it costs, up to the
installation's limits (``read_memory_mb``, ``read_seconds``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the generator and the watcher are the tests' own (tests/hostile.py, tests/procwatch.py)

from tests import hostile  # noqa: E402
from tests.hand_area import HandArea, enrolment, real_registry  # noqa: E402
from tests.procwatch import run_watched  # noqa: E402

ESAPLAN = str(Path(sys.executable).with_name("esaplan"))
CASES: list[tuple[str, Callable[[Path], object]]] = [
    ("a school's ordinary file", lambda path: path),
    ("control characters in a line name", lambda path: hostile.control_characters(path, "ค่าจัดการเรียนการสอน")),
    ("one value at XFD1048576", lambda path: hostile.cell_at(path, hostile.ENROLMENT, 1_048_576, 16_384)),
    ("one value at row 1,048,576, column 200", lambda path: hostile.cell_at(path, hostile.ENROLMENT, 1_048_576, 200)),
    (
        "one value at row 1,048,576, column 2,000",
        lambda path: hostile.cell_at(path, hostile.ENROLMENT, 1_048_576, 2000),
    ),
    ("one value at row 100,000, column 100", lambda path: hostile.cell_at(path, hostile.ENROLMENT, 100_000, 100)),
    (
        "26,000 rows of text in a form's sheet",
        lambda path: hostile.bulk(path, hostile.BUDGET, rows=26_000, columns=6, text_bytes=1800),
    ),
    (
        "60,000 rows of text in a sheet of its own",
        lambda path: hostile.extra_sheet_bulk(path, rows=60_000, text_bytes=2000),
    ),
    ("a value linked to another workbook", lambda path: hostile.external_link(path, hostile.ENROLMENT, "B4", 999)),
]


def measure(name: str, make: Callable[[Path], object], scratch: Path) -> str:
    area = HandArea(scratch / "home", 2570, 6)
    real_registry(area.home)
    typed = {
        "ข้อมูลนักเรียน": enrolment([(30, 30, 2)]),
        "การใช้งบประมาณ": {"A4": "ค่าจัดการเรียนการสอน", "B4": "งบเงินอุดหนุน", "C4": 100000, "D4": 0, "E4": 50000},
    }
    path = area.fill("40050004", typed, template=area.templates())
    make(path)
    with zipfile.ZipFile(path) as archive:
        inflated = sum(info.file_size for info in archive.infolist())
    size = path.stat().st_size
    result, peak = run_watched(
        [ESAPLAN, "consolidate", "--home", str(area.home), "--fy", "2570", "--round", "6"], timeout_s=600
    )
    said = "finished" if result.returncode == 0 else f"exit {result.returncode}"
    issues = sorted(
        {
            rule
            for rule in ("FILE-TOO-COMPLEX", "FILE-UNREADABLE", "TOO-MANY-PROBLEMS", "CONTROL-CHARS", "EXTERNAL-LINK")
            if rule in _issue_rules(area)
        }
    )
    shutil.rmtree(area.home)
    return f"{name:<42} {size / 2**20:>8.2f} {inflated / 2**20:>8.1f} {peak.seconds:>7.2f} {peak.mib:>8.0f}   {said}, {', '.join(issues) or 'no issue'}"


def _issue_rules(area: HandArea) -> set[str]:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(area.settings.master_path())) as book:
        return {str(row[8]) for row in book.get_sheet_by_name("ปัญหาที่พบ").to_python()[1:] if len(row) > 8}


def main() -> None:
    print(
        f"{'case':<42} {'file MiB':>8} {'XML MiB':>8} {'wall s':>7} {'peak MiB':>8}   outcome (one esaplan consolidate, a new process)"
    )
    for name, make in CASES:
        with tempfile.TemporaryDirectory(prefix="esaplan-hostile-") as scratch:
            print(measure(name, make, Path(scratch)), flush=True)


if __name__ == "__main__":
    main()
