"""baht_text against a spreadsheet engine's own BAHTTEXT (LibreOffice's port of Excel's algorithm)."""

from __future__ import annotations

import random
from decimal import Decimal

from openpyxl import Workbook

from rules import baht_text
from tests.libreoffice import recalculated_rows


def _amounts() -> list[Decimal]:
    rng = random.Random(2570)
    amounts = [Decimal(n) for n in range(0, 130)]
    amounts += [Decimal(n) for n in (1000, 1001, 1010, 1011, 10_001, 100_001, 1_000_001, 1_010_101, 21_000_021, 101_000_000, 1_000_000_000_001)]
    amounts += [Decimal(f"0.{n:02d}") for n in range(1, 100, 7)]
    amounts += [Decimal(rng.randrange(0, 10**9)) / 100 for _ in range(150)]
    amounts += [-a for a in amounts[1:30:4]]
    return amounts


def test_baht_text_equals_the_spreadsheet_bahttext_for_many_amounts(tmp_path):
    amounts = _amounts()
    book = Workbook()
    sheet = book.active
    for row, amount in enumerate(amounts, start=1):
        sheet.cell(row=row, column=1, value=float(amount))
        # xlsx stores BAHTTEXT with the _xlfn. prefix; written bare, spreadsheet engines say #NAME?
        sheet.cell(row=row, column=2, value=f"=_xlfn.BAHTTEXT(A{row})")
    path = tmp_path / "bahttext.xlsx"
    book.save(path)
    rows = recalculated_rows(path, tmp_path)
    mismatches = [(str(a), r[1], baht_text(a)) for a, r in zip(amounts, rows, strict=True) if r[1] != baht_text(a)]
    assert not mismatches, mismatches[:10]
