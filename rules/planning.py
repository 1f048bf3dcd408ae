"""Class planning and school size: rooms from the class-size rule, size bands, cohort projection.

The seed's class plan (แผนการจัดชั้นเรียน, part 4 section 2.5) needs, per school and grade, how
many rooms the pupils fill and how many pupils to expect in the coming years - M1 three years
ahead above all. ``project_cohort`` uses the cohort-survival method: the grade progression
ratio GPR(g) = pupils in grade g+1 next year / pupils in grade g this year, pooled over the
history, carries each cohort forward; the entry grade's intake follows its least-squares trend.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

from rules.defaults import default_parameters
from rules.errors import ParseError
from rules.grades import all_grades, counts_by_grade, level_of
from rules.money import round_count, to_decimal, whole_count
from rules.parameters import Parameters
from rules.trend import linear_trend

SIZE_TH = {
    "small": "ขนาดเล็ก",
    "medium": "ขนาดกลาง",
    "large": "ขนาดใหญ่",
    "extra-large": "ขนาดใหญ่พิเศษ",
}  # the bands' names in OBEC's words


def school_size(pupils: Any, *, on: dt.date | None = None, params: Parameters | None = None) -> str:
    """Size band of a school by its pupils: "small" | "medium" | "large" | "extra-large"."""
    count = whole_count(pupils, "จำนวนนักเรียน")
    bands = (params or default_parameters())["school.size_bands"](on or dt.date.today())
    return cast(str, next(band["band"] for band in bands if band["max"] is None or count <= band["max"]))


def rooms_needed(
    pupils: Any, grade_or_level: str, *, on: dt.date | None = None, params: Parameters | None = None
) -> int:
    """Rooms the pupils of one grade (``"P1"``, ``"ป.1"``) or level (``"primary"``) need."""
    count = whole_count(pupils, "จำนวนนักเรียน")
    level = level_of(grade_or_level)
    most = (params or default_parameters())["class_size.max_pupils_per_room"](on or dt.date.today(), level)
    return math.ceil(Fraction(count) / Fraction(most))


def project_cohort(history: Mapping[Any, Mapping[str, Any]], years: int = 3) -> dict[int, dict[str, int]]:
    """Projected pupils per grade for the ``years`` after the last year of ``history``.

    ``history`` maps consecutive years (BE or CE, as you like) to {grade: pupils}; grades may be
    spelled ``"P1"``, ``"ป.1"``, ``"อบ.1"``. Needs two years or more. A grade whose previous
    grade is absent from the history is an entry grade: its intake is projected from its
    least-squares trend (never below zero). Results are whole pupils, rounded half up.
    """
    if years < 1:
        raise ParseError("years ต้องอย่างน้อย 1", "years must be at least 1", value=years)
    table = _normalise_history(history)
    if len(table) < 2:  # before min/max: a table of headers only has no year at all
        raise ParseError(
            "ต้องมีข้อมูลย้อนหลังอย่างน้อย 2 ปี", "cohort projection needs at least two years of history", value=list(history)
        )
    first_year, last_year = min(table), max(table)
    if sorted(table) != list(range(first_year, last_year + 1)):
        raise ParseError("ปีในข้อมูลย้อนหลังต้องต่อเนื่องกัน", "history years must be consecutive", value=sorted(table))
    present = [g.code for g in all_grades() if any(g.code in row for row in table.values())]
    order = [g.code for g in all_grades()]
    ratios: dict[str, Fraction] = {}
    entry: list[str] = []
    for code in present:
        previous = order[order.index(code) - 1] if order.index(code) else None
        if previous in present:
            moved = sum(table[y + 1].get(code, 0) for y in range(first_year, last_year))
            base = sum(table[y].get(previous, 0) for y in range(first_year, last_year))
            ratios[code] = Fraction(moved, base) if base else Fraction(0)
        else:
            entry.append(code)
    current: dict[str, Fraction] = {code: Fraction(table[last_year].get(code, 0)) for code in present}
    result: dict[int, dict[str, int]] = {}
    for step in range(1, years + 1):
        year = last_year + step
        nxt: dict[str, Fraction] = {}
        for code in present:
            if code in entry:
                xs = sorted(table)
                nxt[code] = max(Fraction(0), linear_trend(xs, [Fraction(table[x].get(code, 0)) for x in xs], year))
            else:
                nxt[code] = current[order[order.index(code) - 1]] * ratios[code]
        current = nxt
        result[year] = {
            code: round_count(Decimal(value.numerator) / Decimal(value.denominator)) for code, value in nxt.items()
        }
    return result


def _normalise_history(history: Mapping[Any, Mapping[str, Any]]) -> dict[int, dict[str, int]]:
    return {int(to_decimal(year, "ปี")): counts_by_grade(row, f"นักเรียนปี {year}") for year, row in history.items()}
