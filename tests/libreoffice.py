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


def resaved(workbooks: list[Path], workdir: Path) -> list[Path]:
    """The workbooks opened and saved again by LibreOffice Calc (one start for all), as a school that
    fills its form there sends it: formulas get the values LibreOffice computed."""
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{workdir / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(workdir),
            *map(str, workbooks),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return [workdir / (path.stem + ".xlsx") for path in workbooks]


def to_pdf(workbooks: list[Path], workdir: Path) -> list[Path]:
    """Print workbooks to PDF with LibreOffice (one start for all), as a reader would print them."""
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{workdir / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workdir),
            *map(str, workbooks),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return [workdir / (path.stem + ".pdf") for path in workbooks]


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (poppler's pdftotext, which CI installs with LibreOffice)."""
    found = shutil.which("pdftotext")
    if not found:
        pytest.fail("pdftotext (poppler-utils) is required to read printed pages")
    text = subprocess.run([found, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def page_png(pdf: Path, page: int, target: Path) -> Path:
    """One printed page as a PNG, kept for people to look at."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "70",
            "-png",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(target.with_suffix("")),
        ],
        check=True,
        capture_output=True,
    )
    return target
