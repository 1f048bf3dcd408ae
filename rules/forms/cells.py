"""Cell addresses (A1 names, column letters) and the folding of header text that lets ``ชาย (คน)``,
``ชาย(คน)`` and ``ชาย  คน`` name the same column.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pythainlp.util import thai_digit_to_arabic_digit


@lru_cache(maxsize=8192)
def fold_text(text: str) -> str:
    return re.sub(r"[\s.()/\-]+", "", thai_digit_to_arabic_digit(text)).casefold()


def fold(text: Any) -> str:
    """Header spelling folded: Thai digits, spaces, dots, brackets, slashes and case do not matter."""
    return fold_text(str(text))


def column_letter(index: int) -> str:
    """Spreadsheet column letters for a 0-based index: 0 -> A, 27 -> AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, col: int) -> str:
    """A1-style address for 0-based row and column."""
    return f"{column_letter(col)}{row + 1}"


def row_of(cell: str) -> int | None:
    """The row number of an A1-style address ("E12" -> 12); None for "-" (a whole file or sheet)."""
    digits = cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits) if digits.isdigit() else None


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
