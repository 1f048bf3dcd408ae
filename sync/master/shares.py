"""What each unit adds to the master's summaries, under the keys the summaries read the area's sums by.

A unit's share is worked out once from its counted facts and kept by a long-lived process, which
then changes the area's tallies (:mod:`sync.master.tally`) by the changed units' difference only.
Apart from the summaries themselves so that the round's data (:mod:`sync.master.data`) can hold each
unit's share without depending on how the summary sheets are laid out.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from sync.master.tally import ONE, Key, Share, Vector
from sync.master.unitfacts import NO_FACTS, Facts
from sync.office.registry import Unit

ZERO = Decimal(0)


@lru_cache(maxsize=2**16)  # bounded: budget items are free text, and a worker lives for months
def share_key(*parts: str) -> tuple[str, ...]:
    """One tuple for each key, shared by every unit's share: a process keeps every unit's share,
    ~50 parts a school (an indicator report each), and the keys repeat from school to school."""
    return parts


def unit_share(unit: Unit, status: str, size: str, facts: dict[str, Facts]) -> Share:
    """What one unit adds to every table here, under the keys the tables read the area's sums by
    (:mod:`sync.master.tally`): a school's totals by district, size class and network and its status over
    its forms; budget lines and indicator reports from the counted rows of any unit. ``facts`` are
    those of the versions its rows come from, by form code."""
    parts: list[tuple[Key, Vector]] = []
    use = facts.get("budget_use", NO_FACTS)
    if unit.kind == "school":
        enrolment = facts.get("enrolment", NO_FACTS)
        totals = (1, int(enrolment.counted("enrolment") > 0), enrolment.pupils, enrolment.rooms, *_money(use))
        groups = [
            share_key("area"),
            share_key("district", unit.district_label),
            share_key("size", size),
            share_key("network", unit.network_label),
            share_key("network", unit.network_label, size),
        ]
        parts += [(group, totals) for group in groups]
        parts.append((share_key("school", status), ONE))
        if unit.network:
            parts.append((share_key("has-network"), ONE))
    parts += [
        (share_key("budget", line.category_th, line.item), (1, line.allocated, line.committed, line.disbursed))
        for line in use.budget
    ]
    reports = facts.get("kpi_report", NO_FACTS)
    parts += [
        (share_key("kpi", report.kpi), (1, report.numerator, report.denominator or ZERO)) for report in reports.kpis
    ]
    parts += [(share_key("kpi-left-out", code), ONE) for code in reports.kpis_left_out]
    return tuple(parts)


def _money(use: Facts) -> tuple[Decimal, Decimal, Decimal]:
    return (
        sum((line.allocated for line in use.budget), Decimal(0)),
        sum((line.committed for line in use.budget), Decimal(0)),
        sum((line.disbursed for line in use.budget), Decimal(0)),
    )
