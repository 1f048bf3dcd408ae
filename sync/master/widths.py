"""How wide a cell's value shows, in the unit Excel measures column widths in (the digit 0).

Thai is measured by its visible characters only (tone marks and upper/lower vowels take no width),
so Thai names neither wrap early nor leave wide gaps. Used to fit every sheet's columns and by the
fast row writer, which measures each table's data once.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal
from functools import lru_cache
from typing import Any

THAI_LETTER = 0.9  # a Thai letter's width in the unit column widths are measured in (the digit 0), as rendered


def shown_width(value: Any, number_format: str | None = None) -> float:
    """Roughly how many character widths a cell shows: Thai by its visible characters only."""
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 18
    if isinstance(value, dt.date):
        return 12
    if isinstance(value, bool):
        return 5
    if isinstance(value, (int, float, Decimal)):
        return len(f"{value:,.2f}") if ".00" in (number_format or "") else len(f"{value:,}")
    return _text_width(str(value))


@lru_cache(maxsize=65536)
def _text_width(text: str) -> float:
    """Names, districts and messages repeat on thousands of rows: each is measured once."""
    return sum(
        THAI_LETTER if "\u0e00" <= ch <= "\u0e7f" else 1.0
        for ch in text
        if unicodedata.category(ch) not in ("Mn", "Me")
    )
