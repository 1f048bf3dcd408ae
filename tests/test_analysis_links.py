"""The analysts' own workbook follows the master through LibreOffice's external links (README, งานวิเคราะห์).

An analyst builds a workbook in master/analysis/ whose formulas read the master's tidy sheet; a
school resubmits and the office consolidates again; the analyst opens the workbook in LibreOffice
and sees the new master's figures, worked out by LibreOffice itself and compared with sums taken
independently from the new master with openpyxl. With LibreOffice's default settings the links are
not refreshed on opening (a security default), which is why the README's set-up steps exist.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.office.settings import load_settings
from sync.rounds.consolidate import consolidate
from tests.libreoffice import soffice
from tests.masters import resubmit

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python3-uno binds to the system interpreter


def _uno_python() -> str:
    soffice()
    if (
        Path(SYSTEM_PYTHON).exists()
        and subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, check=False).returncode == 0
    ):
        return SYSTEM_PYTHON
    if os.environ.get("ESAPLAN_REQUIRE_LIBREOFFICE"):
        pytest.fail("python3-uno (Debian) is required to drive LibreOffice here but not installed")
    pytest.skip("python3-uno not installed")


def _profile(path: Path, trusted: Path | None) -> Path:
    """A LibreOffice user profile; ``trusted`` set as the README tells staff to set it:
    Tools > Options > LibreOffice Calc > General > Update links when opening: Always, and the
    analysis folder added under Security > Macro Security > Trusted Sources > Trusted File Locations."""
    items = ""
    if trusted is not None:
        items = (
            '<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>0</value></prop></item>'
            f'<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="SecureURL" oor:op="fuse"><value><it>{trusted.as_uri()}</it></value></prop></item>'
        )
    (path / "user").mkdir(parents=True)
    (path / "user" / "registrymodifications.xcu").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{items}</oor:items>\n',
        encoding="utf-8",
    )
    return path


def _calc(python: str, profile: Path, action: str, workbook: Path, *formulas: str) -> list[float]:
    script = Path(__file__).with_name("lo_links.py")
    done = subprocess.run(
        [python, str(script), str(profile), action, str(workbook), *formulas],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pupils_and_rows(master: Path) -> tuple[int, int]:
    """Independently of LibreOffice: pupils in rows counted in the totals, and data rows."""
    book = load_workbook(master, read_only=True)  # read-only keeps the file open until closed
    rows = list(book["ข้อมูลนักเรียน"].iter_rows(min_row=2, values_only=True))
    book.close()
    return sum(r[10] for r in rows if r[13] == "ใช่"), len(rows)


def test_an_analysts_libreoffice_workbook_shows_the_new_masters_figures_after_a_consolidation(demo_copy, tmp_path):
    python = _uno_python()
    settings = load_settings(demo_copy)
    master = settings.master_path()
    folder = settings.master_dir / "analysis"
    folder.mkdir(exist_ok=True)
    own = folder / "งานวิเคราะห์นักเรียน.xlsx"
    sheet = f"'{master.as_uri()}'#$ข้อมูลนักเรียน"
    formulas = (f'=SUMIF({sheet}.N2:N20000;"ใช่";{sheet}.K2:K20000)', f"=COUNTA({sheet}.A2:A20000)", "=A1/A2")
    trusted = _profile(tmp_path / "trusted", folder)

    made = _calc(python, trusted, "make", own, *formulas)
    pupils, rows = _pupils_and_rows(master)
    assert made == [pupils, rows, pytest.approx(pupils / rows)]
    saved = own.read_bytes()

    resubmit(demo_copy, 77)  # 99000001 now reports one grade with 77 + 12 pupils
    assert consolidate(settings).master_written
    assert own.read_bytes() == saved  # esaplan never writes the analysts' folder
    new_pupils, new_rows = _pupils_and_rows(master)
    assert (new_pupils, new_rows) != (pupils, rows)

    assert _calc(python, trusted, "read", own) == [new_pupils, new_rows, pytest.approx(new_pupils / new_rows)]
    assert _calc(python, _profile(tmp_path / "default", None), "read", own) == made  # untrusted: the cached figures
