"""The area's 55 strategy KPIs: catalogue look-up, percentage values and round-by-round status.

Targets and expected progress are data (``kpi/catalogue.yaml``, ``calendar/reporting_rounds``).
A catalogue belongs to a plan with a period (the seed's: พ.ศ. 2561-2564). A new plan is a new
file of the same shape beside it, ``kpi/catalogue_<first fiscal year>.yaml``: from its first fiscal
year it replaces the one before, and earlier years keep theirs, so last year's documents and
registers read the strategies they were made with. Every look-up takes the fiscal year it is for
(None: the current fiscal year, as a formula typed today means).
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
from functools import cache, lru_cache, partial
from typing import Any, NamedTuple, cast

from pythainlp.util import thai_digit_to_arabic_digit

from rules.defaults import default_parameters
from rules.errors import KpiError, ParseError
from rules.money import format_number, to_decimal
from rules.thai import fiscal_year as fiscal_year_of
from rules.thai import reporting_rounds


class Status(StrEnum):
    """KPI status codes; ``.th`` gives the Thai label from the catalogue."""

    ACHIEVED = "achieved"
    NOT_ACHIEVED = "not_achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"

    @property
    def th(self) -> str:
        return cast(str, catalogue_table()["statuses"][self.value]["th"])


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
    aggregate: str = "ratio"
    aggregate_th: str = ""
    population_band: str | None = None
    population_th: str = ""
    max_value: Decimal | None = None

    @property
    def is_share(self) -> bool:
        """The result is a percentage of something (so it cannot pass 100)."""
        return self.aggregate in ("ratio", "population", "share")


CATALOGUE = "kpi.catalogue"


@cache
def catalogue_tables() -> tuple[dict[str, Any], ...]:
    """Every plan's catalogue (``kpi/catalogue.yaml`` and ``kpi/catalogue_*.yaml``), oldest plan first."""
    params = default_parameters()
    names = [name for name in params.files if name == CATALOGUE or name.startswith(CATALOGUE + "_")]
    return tuple(
        sorted((params.table(name) for name in names), key=lambda table: int(table["plan"]["first_fiscal_year"]))
    )


def catalogue_table(fiscal_year: int | None = None) -> dict[str, Any]:
    """The catalogue in force in a fiscal year (None: this fiscal year): the newest plan begun by then;
    a year before every plan gets the first."""
    return _in_force(fiscal_year if fiscal_year is not None else fiscal_year_of(dt.date.today()))


@lru_cache(maxsize=64)
def _in_force(fiscal_year: int) -> dict[str, Any]:
    tables = catalogue_tables()
    begun = [table for table in tables if int(table["plan"]["first_fiscal_year"]) <= fiscal_year]
    return begun[-1] if begun else tables[0]


def _catalogue(fiscal_year: int | None = None) -> dict[str, Kpi]:
    return _indicators(int(catalogue_table(fiscal_year)["plan"]["first_fiscal_year"]))


@cache
def _indicators(first_fiscal_year: int) -> dict[str, Kpi]:
    """The indicators of the plan that begins in ``first_fiscal_year``, built once."""
    data = next(table for table in catalogue_tables() if int(table["plan"]["first_fiscal_year"]) == first_fiscal_year)
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
            aggregate=measure["aggregate"],
            aggregate_th=data["aggregates"][measure["aggregate"]]["th"],
            population_band=row.get("population_band"),
            population_th=data["population_bands"][row["population_band"]]["th"] if row.get("population_band") else "",
            max_value=Decimal(str(measure["max"])) if measure.get("max") is not None else None,
        )
    return result


@dataclass(frozen=True)
class PlanPeriod:
    """The plan the catalogue's strategies and indicators belong to, and the fiscal years it covers."""

    th: str
    first_fiscal_year: int
    last_fiscal_year: int
    source: str

    def covers(self, fiscal_year: int) -> bool:
        return self.first_fiscal_year <= fiscal_year <= self.last_fiscal_year


def plan_period(fiscal_year: int | None = None) -> PlanPeriod:
    """The plan in force in the fiscal year; ``covers`` is False past its period while no newer plan is recorded."""
    plan = catalogue_table(fiscal_year)["plan"]
    return PlanPeriod(plan["th"], int(plan["first_fiscal_year"]), int(plan["last_fiscal_year"]), plan["source"])


def strategies(fiscal_year: int | None = None) -> dict[int, str]:
    """The strategies of the plan in force in the fiscal year, by number, in Thai."""
    return {int(number): row["th"] for number, row in catalogue_table(fiscal_year)["strategies"].items()}


def strategy_label(number: int, fiscal_year: int | None = None) -> str:
    """``3`` -> ``"3 เพิ่มศักยภาพครูและบุคลากรทางการศึกษา"``: how a strategy reads in a drop-down and a cell."""
    return f"{number} {strategies(fiscal_year)[number]}"


def kpis(reported_by: str | None = None, *, fiscal_year: int | None = None) -> list[Kpi]:
    """The indicators of the plan in force in the fiscal year, in catalogue order; ``reported_by="school"``
    also keeps those marked "both"."""
    rows = list(_catalogue(fiscal_year).values())
    if reported_by is None:
        return rows
    return [k for k in rows if k.reported_by in (reported_by, "both")]


@lru_cache(maxsize=4096)
def _code_key(code: str) -> str:
    """A code as the catalogue keys it; each spelling folded once (every KPI row names one)."""
    return re.sub(r"\s+", "", thai_digit_to_arabic_digit(code)).upper()


def kpi(code: str, *, fiscal_year: int | None = None) -> Kpi:
    """The catalogue entry for ``"S2.4"`` (also ``"s2.4"``, ``"S๒.๔"``) in the plan in force in the fiscal year."""
    try:
        return _catalogue(fiscal_year)[_code_key(str(code))]
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
    fy = fiscal_year if fiscal_year is not None else fiscal_year_of(dt.date.today())
    indicator = kpi(code, fiscal_year=fy)
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


# --- one school's report, and the area's result ---------------------------------------------


@dataclass(frozen=True)
class ReportProblem:
    """Something wrong in one school's report of an indicator: the column to point at and why."""

    column: str  # "numerator" or "denominator"
    rule: str
    severity: str
    message_th: str


def check_report(indicator: Kpi, numerator: Decimal, denominator: Decimal | None) -> list[ReportProblem]:
    """What is wrong with one school's numerator and denominator, judged by how the indicator adds up.

    A ratio needs a denominator above zero and a numerator not above it; a population indicator
    takes its denominator from the office's census, so the school's own is optional; yes/no is 1
    or 0; a mean has the measure's range; counts are whole. Errors keep the row out of every
    total; warnings do not.
    """
    code, result = indicator.code, []
    n, d = (
        partial(format_number, numerator),
        partial(format_number, denominator),
    )  # formatted only for a message (most rows have none)
    whole = "ต้องเป็นจำนวนเต็ม (นับเป็นคน)"
    if indicator.aggregate in ("ratio", "population", "sum") and numerator != numerator.to_integral_value():
        result.append(ReportProblem("numerator", "KPI-COUNT", "error", f"{code}: ตัวตั้ง {n()} {whole}"))
    if indicator.aggregate == "ratio":
        if denominator is None or denominator == 0:
            result.append(
                ReportProblem(
                    "denominator",
                    "KPI-DENOMINATOR",
                    "error",
                    f"{code}: ต้องกรอกตัวหาร ({indicator.denominator_th}) มากกว่า 0",
                )
            )
        elif denominator != denominator.to_integral_value():
            result.append(ReportProblem("denominator", "KPI-COUNT", "error", f"{code}: ตัวหาร {d()} {whole}"))
    if indicator.aggregate in ("ratio", "population") and denominator and numerator > denominator:
        result.append(
            ReportProblem("numerator", "KPI-RATIO", "error", f"{code}: ตัวตั้ง {n()} มากกว่าตัวหาร {d()} (ร้อยละเกิน 100)")
        )
    if indicator.aggregate == "share" and numerator not in (0, 1):
        result.append(
            ReportProblem(
                "numerator", "KPI-YESNO", "error", f"{code}: กรอก 1 (ดำเนินการแล้ว) หรือ 0 (ยังไม่ดำเนินการ) ได้ {n()}"
            )
        )
    if indicator.max_value is not None and numerator > indicator.max_value:
        result.append(
            ReportProblem(
                "numerator",
                "KPI-RANGE",
                "error",
                f"{code}: {indicator.numerator_th} ต้องไม่เกิน {format_number(indicator.max_value)} (ได้ {n()})",
            )
        )
    unused = indicator.aggregate in ("mean", "sum") or (indicator.aggregate == "share" and denominator not in (None, 1))
    if unused and denominator is not None:
        result.append(
            ReportProblem(
                "denominator",
                "KPI-NO-DENOMINATOR",
                "warning",
                f"{code}: ตัวชี้วัดนี้ไม่ใช้ตัวหาร ({indicator.aggregate_th}) ตัวหาร {d()} ไม่ถูกนำไปใช้",
            )
        )
    return result


@dataclass(frozen=True)
class KpiResult:
    """The area's result for one indicator in one round, from the schools' valid reports."""

    indicator: Kpi
    reporting: int
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    status: Status | None
    note_th: str = ""


class Reported(NamedTuple):
    """What the schools' valid reports of one indicator add up to: how many, and the sums of their
    numerators and denominators (a report without a denominator adds 0). Sums, not the reports, so
    an area's can be kept and a changed school's difference added (:mod:`sync.master.tally`)."""

    count: int = 0  # type: ignore[assignment]  # a field named count, over tuple.count, as read everywhere
    numerator: Decimal = Decimal(0)
    denominator: Decimal = Decimal(0)


def aggregate(
    indicator: Kpi,
    reported: Reported,
    *,
    round: int,
    fiscal_year: int,
    population: Decimal | None = None,
    baseline: Decimal | None = None,
) -> KpiResult:
    """The area's result from the sums of the schools' valid reports, the way the catalogue says.

    ``population`` is the office's census count for a population indicator (never enrolment);
    ``baseline`` is last year's area result, which "increase" indicators are judged against.
    Where the result cannot be known the value is None and ``note_th`` says why in Thai.
    """
    count, numerator = reported.count, reported.numerator
    denominator: Decimal | None = None
    value: Decimal | None = None
    note = ""
    kind = indicator.aggregate
    if kind == "ratio":
        denominator = reported.denominator
    elif kind == "population":
        denominator = population
    elif kind == "share":
        denominator = Decimal(count)
    if not count:
        note = "ยังไม่มีโรงเรียนรายงาน"
    elif kind in ("ratio", "population", "share"):
        if denominator is None:
            note = f"ไม่มีตัวหาร: ใส่จำนวน{indicator.population_th}ตามสำมะโนใน population.csv"
        elif denominator == 0:
            note = "ตัวหารรวมเป็น 0"
        elif numerator > denominator:
            note = f"ผลรวมตัวตั้ง {format_number(numerator)} มากกว่าตัวหาร {format_number(denominator)}: ตรวจ{' population.csv' if kind == 'population' else 'ข้อมูลที่รายงาน'}"
        else:
            value = kpi_value(numerator, denominator)
    elif kind == "mean":
        value = (numerator / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        value = numerator
    status = None
    if value is not None:
        if indicator.direction == "increase" and baseline is None:
            note = "ไม่มีผลปีงบประมาณก่อนเป็นค่าฐาน จึงยังบอกสถานะไม่ได้"
        else:
            status = kpi_status(indicator.code, value, round, baseline=baseline, fiscal_year=fiscal_year)
    shown = numerator if count and kind != "mean" else None  # a total of scores means nothing
    return KpiResult(indicator, count, shown, denominator, value, status, note)
