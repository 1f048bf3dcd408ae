"""Recalculate a workbook's own formulas with LibreOffice headless and read the results back.

Used where a test needs a spreadsheet engine as the oracle (Excel-compatible BAHTTEXT). CI
installs LibreOffice (``.ci/run``); elsewhere the tests skip unless ESAPLAN_REQUIRE_LIBREOFFICE
is set, in which case a missing LibreOffice is a failure, not a skip.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def soffice() -> str:
    """Path of the soffice binary, or skip/fail the test as the environment asks."""
    found = shutil.which("soffice")
    if found:
        return found
    if os.environ.get("ESAPLAN_REQUIRE_LIBREOFFICE"):
        pytest.fail("LibreOffice (soffice) is required here but not installed")
    pytest.skip("LibreOffice (soffice) not installed")


def recalculated_rows(workbook: Path, workdir: Path) -> list[list[str]]:
    """Open ``workbook`` in LibreOffice, recalculate, and return the first sheet as CSV rows."""
    profile = workdir / "lo-profile"
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # comma, quote, UTF-8
            "--outdir",
            str(workdir),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    with (workdir / (workbook.stem + ".csv")).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))
