"""baht_text against a spreadsheet engine's own BAHTTEXT (LibreOffice's port of Excel's algorithm).

LibreOffice writes หนึ่ง for a final 1 after a higher digit other than a ten (101 หนึ่งร้อยหนึ่ง); official
Thai writing reads it เอ็ด (101 หนึ่งร้อยเอ็ด, Royal Institute; see test_thai). Those amounts are left out
of the comparison here, and the test checks that the ones left out are exactly those.
"""

from __future__ import annotations

import random
from decimal import Decimal

from openpyxl import Workbook

from rules import baht_text
from tests.libreoffice import recalculated_rows


def _amounts() -> list[Decimal]:
    rng = random.Random(2570)
    amounts = [Decimal(n) for n in range(0, 130)]
    amounts += [
        Decimal(n)
        for n in (
            1000,
            1001,
            1010,
            1011,
            10_001,
            100_001,
            1_000_001,
            1_010_101,
            21_000_021,
            101_000_000,
            1_000_000_000_001,
        )
    ]
    amounts += [Decimal(f"0.{n:02d}") for n in range(1, 100, 7)]
    amounts += [Decimal(rng.randrange(0, 10**9)) / 100 for _ in range(150)]
    amounts += [-a for a in amounts[1:30:4]]
    return amounts


def _reads_et_officially(amount: Decimal) -> bool:
    """Whether some six-digit group of the whole baht ends in a lone 1 (tens digit 0) with a higher
    non-zero digit before it in the number: where LibreOffice says หนึ่ง and a Thai letter says เอ็ด."""
    digits = str(int(abs(amount)))
    for end in range(len(digits), 0, -6):
        group = digits[max(0, end - 6) : end]
        if group.endswith("01") or (len(group) == 1 and group == "1"):
            if any(d != "0" for d in digits[: end - 1]):
                return True
    return False


def test_baht_text_equals_the_spreadsheet_bahttext_for_many_amounts(tmp_path):
    every = _amounts()
    amounts = [a for a in every if not _reads_et_officially(a)]
    assert {Decimal(101), Decimal(1001), Decimal(1_000_001), Decimal(101_000_000)} <= set(every) - set(amounts)
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
