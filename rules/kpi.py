"""The area's 55 strategy KPIs: catalogue look-up, percentage values and round-by-round status.

Targets and expected progress are data (``kpi/catalogue.yaml``, ``calendar/reporting_rounds``).
At the 12-month round an indicator is achieved or not; at the 6- and 9-month rounds it is on
track when the actual value has reached the share of the target expected by then (50 % and
75 % by default). "Increase" indicators (O-NET, NT, PISA) are judged against a baseline.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from typing import Any

from pythainlp.util import thai_digit_to_arabic_digit

from .errors import KpiError, ParseError
from .money import to_decimal
from .parameters import default_parameters
from .thai import fiscal_year as fiscal_year_of
from .thai import reporting_rounds


class Status(StrEnum):
    """KPI status codes; ``.th`` gives the Thai label from the catalogue."""

    ACHIEVED = "achieved"
    NOT_ACHIEVED = "not_achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"

    @property
    def th(self) -> str:
        return default_parameters().table("kpi.catalogue")["statuses"][self.value]["th"]


@dataclass(frozen=True)
class Kpi:
    """One indicator of the catalogue."""

    code: str
    strategy: int
    number: int
    name_th: str
    strategy_th: str
    unit: str
    target: Decimal | None
    direction: str
    measure: str
    reported_by: str
    report_as: str
    numerator_th: str
    denominator_th: str


@cache
def _catalogue() -> dict[str, Kpi]:
    data = default_parameters().table("kpi.catalogue")
    result = {}
    for row in data["indicators"]:
        strategy, number = (int(part) for part in row["code"][1:].split("."))
        measure = data["measures"][row["measure"]]
        result[row["code"]] = Kpi(
            code=row["code"],
            strategy=strategy,
            number=number,
            name_th=row["name_th"],
            strategy_th=data["strategies"][strategy]["th"],
            unit=row["unit"],
            target=Decimal(str(row["target"])) if row["target"] is not None else None,
            direction=row["direction"],
            measure=row["measure"],
            reported_by=row["reported_by"],
            report_as=row["report_as"],
            numerator_th=measure["numerator_th"],
            denominator_th=measure["denominator_th"],
        )
    return result


def kpis(reported_by: str | None = None) -> list[Kpi]:
    """All indicators in catalogue order; ``reported_by="school"`` also keeps those marked "both"."""
    rows = list(_catalogue().values())
    if reported_by is None:
        return rows
    return [k for k in rows if k.reported_by in (reported_by, "both")]


def kpi(code: str) -> Kpi:
    """The catalogue entry for ``"S2.4"`` (also ``"s2.4"``, ``"S๒.๔"``)."""
    key = re.sub(r"\s+", "", thai_digit_to_arabic_digit(str(code))).upper()
    try:
        return _catalogue()[key]
    except KeyError:
        raise KpiError(
            f"ไม่มีตัวชี้วัดรหัส '{code}' (รูปแบบ S<กลยุทธ์>.<ลำดับ> เช่น S2.4)",
            f"no KPI with code {code!r} (format S<strategy>.<n>, e.g. S2.4)",
            code=code,
        ) from None


def kpi_value(numerator: Any, denominator: Any) -> Decimal | None:
    """Percentage numerator/denominator x 100, rounded half up to 0.01; None when nothing to divide by."""
    try:
        num = to_decimal(numerator, "ตัวตั้ง (numerator)")
        den = to_decimal(denominator, "ตัวหาร (denominator)")
    except ParseError as exc:
        raise KpiError(exc.message_th, exc.message_en, code=None) from None
    if num < 0 or den < 0:
        raise KpiError("ตัวตั้งและตัวหารติดลบไม่ได้", "numerator and denominator must not be negative", code=None)
    if den == 0:
        return None
    if num > den:
        raise KpiError(
            f"ตัวตั้ง ({num}) มากกว่าตัวหาร ({den}) ร้อยละเกิน 100 ไม่ได้",
            f"numerator {num} is larger than denominator {den}",
            code=None,
        )
    return (num * 100 / den).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def kpi_status(
    code: str,
    actual: Any,
    round: int = 12,
    *,
    baseline: Any = None,
    fiscal_year: int | None = None,
) -> Status:
    """Status of an indicator at a 6/9/12-month round of the fiscal year (BE; this year by default)."""
    indicator = kpi(code)
    fy = fiscal_year if fiscal_year is not None else fiscal_year_of(dt.date.today())
    rounds = {r.months: r for r in reporting_rounds(fy)}
    if round not in rounds:
        raise KpiError(
            f"รอบรายงานต้องเป็น {', '.join(str(m) for m in rounds)} เดือน (ได้ {round})",
            f"round must be one of {sorted(rounds)} months, got {round}",
            code=code,
        )
    value = to_decimal(actual, f"ผลการดำเนินงาน {indicator.code}")
    final = round == max(rounds)
    if indicator.direction == "increase":
        if baseline in (None, ""):
            raise KpiError(
                f"{indicator.code} วัดจากการเพิ่มขึ้น ต้องระบุค่าฐาน (ผลปีก่อน)",
                f"{indicator.code} is judged by an increase: give the baseline (last year's result)",
                code=code,
            )
        base = to_decimal(baseline, "ค่าฐาน")
        if final:
            return Status.ACHIEVED if value > base else Status.NOT_ACHIEVED
        return Status.ON_TRACK if value >= base else Status.AT_RISK
    target = indicator.target or Decimal(0)
    if final:
        return Status.ACHIEVED if value >= target else Status.NOT_ACHIEVED
    expected = target * rounds[round].expected_progress
    return Status.ON_TRACK if value >= expected else Status.AT_RISK
