"""Grade and level codes: one spelling inside esaplan, every spelling staff and EMIS use outside.

Inside: ``K1-K3``, ``P1-P6``, ``M1-M6`` and the levels ``kindergarten``, ``primary``,
``lower_secondary``, ``upper_secondary``. Outside: ``อ.1``, ``ป.๑``, ``อบ.1`` (EMIS),
``ประถมศึกษาปีที่ 1``, ``ม.ต้น`` ... all listed in ``rules/data/grades.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from pythainlp.util import thai_digit_to_arabic_digit

from rules.defaults import default_parameters
from rules.errors import ParseError
from rules.money import whole_count


@dataclass(frozen=True)
class Grade:
    """One grade: its code, level, Thai label and position in school order."""

    code: str
    level: str
    th: str
    order: int
    age: int  # full years on entering the grade (OBEC's admission age, grades.yaml): the census's link


def _key(text: str) -> str:
    """Fold spelling differences: Thai digits, case, dots and spaces do not matter."""
    return _folded(str(text))


@lru_cache(maxsize=4096)
def _folded(text: str) -> str:
    """A grade is spelled a few ways on thousands of rows: each spelling is folded once."""
    return re.sub(r"[\s.]+", "", thai_digit_to_arabic_digit(text)).casefold()


@cache
def _tables() -> tuple[dict[str, Grade], dict[str, str], dict[str, str]]:
    data = default_parameters().table("grades")
    grades = {
        row["code"]: Grade(row["code"], row["level"], row["th"], order, int(row["age"]))
        for order, row in enumerate(data["grades"])
    }
    grade_aliases: dict[str, str] = {}
    for row in data["grades"]:
        for spelling in (row["code"], row["th"], *row.get("aliases", [])):
            grade_aliases[_key(spelling)] = row["code"]
    level_aliases: dict[str, str] = {}
    for code, spec in data["levels"].items():
        for spelling in (code, spec["th"], spec["en"], *spec.get("aliases", [])):
            level_aliases[_key(spelling)] = code
    return grades, grade_aliases, level_aliases


def all_grades() -> list[Grade]:
    """Every grade in school order (K1 ... M6)."""
    return list(_tables()[0].values())


def grade(text: str) -> Grade:
    """The grade a spelling names; :class:`ParseError` (Thai and English) when none."""
    grades, aliases, _ = _tables()
    code = aliases.get(_key(text))
    if code is None:
        raise ParseError(
            f"ไม่รู้จักชั้น '{text}' (ตัวอย่าง: อ.1, ป.1, ม.1)",
            f"unknown grade {text!r} (e.g. K1, P1, M1, อ.1, ป.1, ม.1)",
            value=text,
        )
    return grades[code]


def level_of(grade_or_level: str) -> str:
    """The level code of a grade or level spelling: ``"ป.3"`` and ``"ประถม"`` give ``"primary"``."""
    _, grade_aliases, level_aliases = _tables()
    key = _key(grade_or_level)
    if key in level_aliases:
        return level_aliases[key]
    if key in grade_aliases:
        return grade(grade_or_level).level
    raise ParseError(
        f"ไม่รู้จักชั้นหรือระดับ '{grade_or_level}' (ตัวอย่าง: ป.1, ประถมศึกษา, ม.ต้น)",
        f"unknown grade or level {grade_or_level!r} (e.g. P1, primary, lower_secondary)",
        value=grade_or_level,
    )


def is_level(text: str) -> bool:
    """True when the spelling names a level rather than a single grade."""
    return _key(text) in _tables()[2]


def counts_by_grade(table: Mapping[str, Any], what: str) -> dict[str, int]:
    """{grade spelling: count} as {grade code: count}; blanks skipped, two spellings of a grade added."""
    counts: dict[str, int] = {}
    for spelling, value in table.items():
        if value is None or value == "":
            continue
        code = grade(spelling).code
        counts[code] = counts.get(code, 0) + whole_count(value, f"{what} ชั้น {spelling}")
    return counts
