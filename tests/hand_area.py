"""An installation on the real registry, with school workbooks filled in cell by cell as a person does.

Templates come from the real command line (``esaplan templates``); a "school" opens one, types its
code in C5 and values into the yellow cells, and saves it into the inbox. Nothing here builds a
workbook any other way, so what the tests consolidate is what staff will receive.
"""

from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from openpyxl import load_workbook

from sync.cli import main
from sync.office.settings import Settings, load_settings
from tests.conftest import SHARED_DATA

REGISTRY = SHARED_DATA / "khonkaen-area5-schools-2022.csv"
HEADER_ROW = 3


def real_registry(home: Path, schools: int | None = None) -> list[dict[str, str]]:
    """Copy the real OBEC list (or its first ``schools`` lines, as they are) as the installation's registry."""
    home.mkdir(parents=True, exist_ok=True)
    with REGISTRY.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if schools is None:
        shutil.copy(REGISTRY, home / "registry.csv")
        return rows
    with REGISTRY.open(encoding="utf-8-sig") as source, (home / "registry.csv").open("w", encoding="utf-8") as target:
        target.writelines(line for index, line in enumerate(source) if index <= schools)
    return rows[:schools]


@dataclass
class HandArea:
    """An installation folder, the round it consolidates, and the template folder staff handed out."""

    home: Path
    fiscal_year: int
    round: int

    @property
    def settings(self) -> Settings:
        return load_settings(self.home, fiscal_year=self.fiscal_year, round=self.round)

    def templates(self, fiscal_year: int | None = None, round_: int | None = None) -> Path:
        """``esaplan templates`` for a round (this one by default); returns the school template."""
        fy, rnd = fiscal_year or self.fiscal_year, round_ or self.round
        out = self.home.parent / f"templates-{fy}-{rnd}"
        result = CliRunner().invoke(
            main, ["templates", "--home", str(self.home), "--fy", str(fy), "--round", str(rnd), "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        return out / "แบบรายงานโรงเรียน.xlsx"

    def fill(
        self,
        code: Any,
        cells: dict[str, dict[str, Any]],
        *,
        template: Path | None = None,
        folder: str | None = None,
        name: str = "แบบรายงาน.xlsx",
        when: float | None = None,
    ) -> Path:
        """A school opens the template, types its code into C5 and ``cells`` ({sheet: {"C8": value}}), saves into the inbox."""
        book = load_workbook(template or self.templates())
        book["คำชี้แจง"]["C5"] = code
        for sheet, values in cells.items():
            for address, value in values.items():
                book[sheet][address] = value
        target = self.home / "inbox" / (folder or str(code).strip()) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        book.save(target)
        if when is not None:
            os.utime(target, (when, when))
        return target

    def consolidate(self, *options: str) -> Any:
        """``esaplan consolidate`` as staff run it; returns click's result."""
        return CliRunner().invoke(
            main,
            [
                "consolidate",
                "--home",
                str(self.home),
                "--fy",
                str(self.fiscal_year),
                "--round",
                str(self.round),
                *options,
            ],
        )


def enrolment(rows: list[tuple[int, int, int]]) -> dict[str, Any]:
    """Enrolment typed from อ.1 down: (boys, girls, rooms) per grade row."""
    cells: dict[str, Any] = {}
    for offset, (boys, girls, rooms) in enumerate(rows):
        row = HEADER_ROW + 1 + offset
        cells |= {f"B{row}": boys, f"C{row}": girls, f"E{row}": rooms}
    return cells


def kpi_row(position: int, numerator: Any, denominator: Any = None) -> dict[str, Any]:
    """Numerator and denominator typed on the ``position``-th indicator of the KPI sheet (1 = S1.1)."""
    row = HEADER_ROW + position
    return {f"C{row}": numerator, **({f"D{row}": denominator} if denominator is not None else {})}
