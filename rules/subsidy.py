"""Per-head money of the 15-year free-education programme, from the dated rates in rules/data.

Rates are looked up for the fiscal year asked: by grade where the rate is per grade
(textbooks), else by the grade's level. A rate still "to be filled" is not counted as zero:
``per_head`` raises, and ``per_head_subsidy`` lists it in ``not_set`` so the sheet can say which
rates the office still has to enter before the totals are complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, cast

from rules.defaults import default_parameters
from rules.errors import ParameterNotSet, ParseError
from rules.grades import counts_by_grade, grade, is_level, level_of
from rules.money import whole_count
from rules.parameters import DatedValue, Parameters
from rules.planning import school_size
from rules.thai import fiscal_year as fiscal_year_of
from rules.thai import fold_name


def _fiscal_year(value: int | None) -> int:
    return fiscal_year_of(dt.date.today()) if value is None else int(value)


def item_code(item: str, *, params: Parameters | None = None) -> str:
    """The per-head item a cell names: its code (``tuition``), its Thai name as staff type it
    (``ค่าจัดการเรียนการสอน``, ``ค่าหนังสือเรียน``, spaces and Thai digits aside) or its English name,
    from ``per_head/items.yaml``; anything else is refused with the names it could be."""
    items = (params or default_parameters()).table("per_head.items")["items"]
    wanted = fold_name(item)
    for row in items:
        if wanted in {fold_name(row["code"]), fold_name(row["th"]), fold_name(row["en"])}:
            return str(row["code"])
    names = ", ".join(f"{row['th']} ({row['code']})" for row in items)
    raise ParseError(
        f"ไม่รู้จักรายการเงินอุดหนุน '{item}': ใช้ได้ {names}",
        f"unknown per-head item {item!r}",
        value=item,
    )


def rate(
    item: str, level_or_grade: str, fiscal_year: int | None = None, *, params: Parameters | None = None
) -> DatedValue:
    """The dated rate of ``item`` for a grade or a level, with its reference and verified flag."""
    params = params or default_parameters()
    parameter = params[f"per_head.{item_code(item, params=params)}"]
    fy = _fiscal_year(fiscal_year)
    if is_level(level_or_grade):
        level = level_of(level_or_grade)
        if level not in parameter.series:
            raise ParseError(
                f"{parameter.description}: อัตรากำหนดรายชั้น ระบุชั้น เช่น ป.1 แทนระดับ '{level_or_grade}'",
                f"{parameter.name} is set per grade: give a grade such as P1 instead of the level {level_or_grade!r}",
                value=level_or_grade,
            )
        return parameter.entry(fy, level)
    code = grade(level_or_grade)
    key = code.code if code.code in parameter.series else code.level
    return parameter.entry(fy, key)


def per_head(
    level_or_grade: str,
    pupils: Any,
    item: str = "tuition",
    fiscal_year: int | None = None,
    *,
    params: Parameters | None = None,
) -> Decimal:
    """Money for ``pupils`` pupils of one grade or level for one item and fiscal year (BE)."""
    count = whole_count(pupils, "จำนวนนักเรียน")
    return cast(Decimal, rate(item, level_or_grade, fiscal_year, params=params).value * count)


@dataclass(frozen=True)
class SubsidyLine:
    """One grade's money for one item."""

    grade: str
    item: str
    pupils: int
    rate: Decimal
    amount: Decimal


@dataclass
class Subsidy:
    """A school's per-head money for one fiscal year, item by item."""

    fiscal_year: int
    pupils: int
    size: str
    by_item: dict[str, Decimal]
    lines: list[SubsidyLine] = field(default_factory=list)
    not_set: list[tuple[str, str]] = field(default_factory=list)
    unconfirmed: list[tuple[str, str]] = field(default_factory=list)  # rates used whose source is weak (รอยืนยัน)

    @property
    def total(self) -> Decimal:
        return sum(self.by_item.values(), Decimal(0))

    @property
    def complete(self) -> bool:
        """False while a rate this school needs is still to be filled."""
        return not self.not_set


def per_head_subsidy(
    enrolment: Mapping[str, Any],
    fiscal_year: int | None = None,
    *,
    poor_pupils: Mapping[str, Any] | None = None,
    params: Parameters | None = None,
) -> Subsidy:
    """All per-head items for a school's enrolment {grade: pupils}, with the small-school top-up.

    ``poor_pupils`` maps grades to the number of pupils entitled to the poor-pupil allowance.
    """
    params = params or default_parameters()
    fy = _fiscal_year(fiscal_year)
    counts = counts_by_grade(enrolment, "จำนวนนักเรียน")
    poor = counts_by_grade(poor_pupils or {}, "นักเรียนยากจน")
    pupils = sum(counts.values())
    result = Subsidy(fy, pupils, school_size(pupils, on=dt.date(fy - 543, 4, 1), params=params), {})
    for spec in params.table("per_head.items")["items"]:
        item = spec["code"]
        result.by_item[item] = Decimal(0)
        if spec["per"] == "small_school":
            if result.size == "small":
                _add(result, item, "school", 1, partial(params[f"per_head.{item}"].entry, fy))
            continue
        heads = poor if spec["per"] == "poor_pupil" else counts
        for code, count in heads.items():
            if count:
                _add(result, item, code, count, partial(rate, item, code, fy, params=params))
    return result


def _add(result: Subsidy, item: str, key: str, count: int, lookup: Callable[[], DatedValue]) -> None:
    try:
        entry = lookup()
    except ParameterNotSet:
        result.not_set.append((item, key))
        return
    if not entry.verified:
        result.unconfirmed.append((item, key))
    value = entry.value
    amount = value * count
    result.lines.append(SubsidyLine(key, item, count, value, amount))
    result.by_item[item] += amount
