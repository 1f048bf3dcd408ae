"""Where an action-plan project's money comes from (rules/data/plan/sources.yaml).

The office's envelope for a year is set per source, so every budget line of the plan names one;
staff pick it from a drop-down in Thai, the register keeps its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rules.defaults import default_parameters
from rules.errors import ParseError


@dataclass(frozen=True)
class BudgetSource:
    code: str
    th: str


@cache
def plan_sources() -> tuple[BudgetSource, ...]:
    """The sources in the order the plan's tables list them."""
    return tuple(BudgetSource(row["code"], row["th"]) for row in default_parameters().table("plan.sources")["sources"])


def plan_source(text: str) -> BudgetSource:
    """A source by its code or its Thai name (spaces and case ignored)."""
    wanted = "".join(str(text).split()).lower()
    for source in plan_sources():
        if wanted in (source.code, "".join(source.th.split()).lower()):
            return source
    listed = ", ".join(s.th for s in plan_sources())
    raise ParseError(f"ไม่มีแหล่งงบประมาณ '{text}' (เลือกจาก: {listed})", f"unknown budget source {text!r}", value=text)
