"""Dated rule parameters, OpenFisca style: one YAML file per parameter, its path is its name.

``rules/data/per_head/tuition.yaml`` is the parameter ``per_head.tuition``. Each value carries
the date it takes effect, the regulation it comes from and whether it was verified. A value
stays in force until a newer dated value replaces it, so a rate known up to FY 2567 still
answers for FY 2570 - and says ``verified: false`` where the source is weak. Past values are
never edited: a change of rate is a new dated entry.

A value written as ``null`` is a parameter "to be filled" (รอกรอก): the regulation exists but
the figure was not found. Asking for it raises :class:`ParameterNotSet` naming the parameter,
the level/grade and the fiscal year, instead of silently using zero.

Files that are not parameters (the KPI catalogue, the transfer rule table, the grade list) are
*tables*: dated as a whole by ``effective`` and read with :meth:`Parameters.table`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from rules.errors import ParameterNotSet, RulesDataError
from rules.yamlfile import YamlFile, load_yaml

#: The rules data every surface answers from: the package's own, or the office's copy named by
#: ESAPLAN_RULES_DATA (rates the office fills in there survive an upgrade of the package, and the
#: service, its web pages and every spreadsheet asking it answer from that one folder).
DATA_DIR = Path(os.environ.get("ESAPLAN_RULES_DATA") or Path(__file__).parent / "data")

#: units whose values must be numbers (or null = to be filled)
NUMERIC_UNITS = {
    "baht",
    "baht_per_pupil_year",
    "baht_per_school_year",
    "pupils",
    "pupils_per_room",
    "km",
    "minutes",
    "days",
    "month",
    "fraction",
}
BREAKDOWNS = {"level", "grade", "level_or_grade"}


@dataclass(frozen=True)
class DatedValue:
    """One value of a parameter and where it comes from."""

    start: dt.date
    value: Any
    reference: str
    verified: bool
    note: str | None = None


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data file, with the line to look at."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Parameter:
    """A dated parameter, optionally broken down by level or grade."""

    name: str
    description: str
    unit: str
    breakdown: str | None
    series: Mapping[str | None, tuple[DatedValue, ...]]
    source: Path

    def entry(self, at: dt.date | int, key: str | None = None) -> DatedValue:
        """The value in force at ``at`` (a date, or a BE fiscal year meaning its first day)."""
        day = fiscal_year_start(at) if isinstance(at, int) else at
        series = self.series.get(key)
        if series is None:
            raise ParameterNotSet(
                f"พารามิเตอร์ {self.name} ไม่มีค่าสำหรับ {key}",
                f"parameter {self.name} has no value for {key!r}",
                parameter=self.name,
                key=key,
                fiscal_year=_fy_of(day),
            )
        current = None
        for dated in series:
            if dated.start <= day:
                current = dated
        if current is None or current.value is None:
            fy = _fy_of(day)
            what = f" ({key})" if key else ""
            why_th = "ยังไม่ได้กรอกค่า (รอกรอก)" if current is not None else "ยังไม่มีผลใช้บังคับ"
            why_en = "is still to be filled" if current is not None else "is not yet in force"
            raise ParameterNotSet(
                f"พารามิเตอร์ {self.name}{what} ปีงบประมาณ {fy}: {why_th}",
                f"parameter {self.name}{what} for fiscal year {fy} {why_en}",
                parameter=self.name,
                key=key,
                fiscal_year=fy,
            )
        return current

    def __call__(self, at: dt.date | int, key: str | None = None) -> Any:
        return self.entry(at, key).value


def fiscal_year_start(fiscal_year: int) -> dt.date:
    """First day of a BE fiscal year: FY 2568 starts 1 Oct 2024 CE."""
    month, day = _fy_start_month_day()
    return dt.date(fiscal_year - 543 - 1, month, day)


def _fy_of(day: dt.date) -> int:
    month, first = _fy_start_month_day()
    return day.year + 543 + (1 if (day.month, day.day) >= (month, first) else 0)


@cache
def _fy_start_month_day() -> tuple[int, int]:
    # The Budget Procedure Act fixes the start; read it from data like every other figure.
    entry = load_yaml(DATA_DIR / "calendar" / "fiscal_year_start.yaml").data
    value = entry["values"][max(entry["values"])]["value"]
    return int(value["month"]), int(value["day"])


class Parameters:
    """All parameters and tables below one data folder (the package's own by default)."""

    def __init__(self, root: Path = DATA_DIR) -> None:
        self.root = root
        self.files: dict[str, YamlFile] = {}
        problems: list[Problem] = []
        for path in sorted(root.rglob("*.yaml")):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            try:
                self.files[name] = load_yaml(path)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                problems.append(Problem(path, mark.line + 1 if mark else 1, f"YAML อ่านไม่ได้: {exc}"))
        self.problems = problems
        self._parameters: dict[str, Parameter] = {}
        keys = self._breakdown_keys()
        for name, file in self.files.items():
            if isinstance(file.data, dict) and "values" in file.data:
                found = list(_parameter_problems(file, keys))
                problems.extend(found)
                if not found:
                    self._parameters[name] = _build_parameter(name, file)

    def _breakdown_keys(self) -> dict[str, str | None]:
        """Every level (mapped to None) and every grade (mapped to its level) in grades.yaml."""
        grades = self.files.get("grades")
        if grades is None or not isinstance(grades.data, dict):
            return {}
        keys: dict[str, str | None] = {level: None for level in grades.data.get("levels") or {}}
        for row in grades.data.get("grades") or []:
            if isinstance(row, dict) and "code" in row:
                keys[row["code"]] = row.get("level")
        return keys

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self._parameters[name]
        except KeyError:
            raise ParameterNotSet(
                f"ไม่มีพารามิเตอร์ชื่อ {name} ใน {self.root}",
                f"no parameter named {name} in {self.root}",
                parameter=name,
                key=None,
                fiscal_year=None,
            ) from None

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def table(self, name: str) -> dict[str, Any]:
        """A non-parameter data file (catalogue, rule table) as plain data."""
        file = self.files.get(name)
        if file is None or not isinstance(file.data, dict):
            raise RulesDataError(
                f"ไม่พบตารางข้อมูล {name} ใน {self.root}",
                f"rules table {name} not found in {self.root}",
                path=self.root / f"{name}.yaml",
                line=1,
            )
        return file.data

    def raise_for_problems(self) -> None:
        """Refuse to run on broken data: the first problem becomes a RulesDataError."""
        if self.problems:
            first = self.problems[0]
            raise RulesDataError(
                f"ข้อมูลกฎไม่ถูกต้อง {first}",
                f"invalid rules data {first}",
                path=first.path,
                line=first.line,
            )


@cache
def rules_version() -> str:
    """A short hash of the rules data this process answers from (read once, as the data is): the
    spreadsheet surfaces key their caches by it and show it, so a rate filled in on the service
    is never answered from a cache of the old one."""
    digest = hashlib.blake2b(digest_size=6)
    for path in sorted(DATA_DIR.rglob("*.yaml")):
        digest.update(path.relative_to(DATA_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _build_parameter(name: str, file: YamlFile) -> Parameter:
    data = file.data
    default_ref = data.get("reference", "")
    breakdown = data.get("breakdown")
    raw_series = data["values"] if breakdown else {None: data["values"]}
    series = {
        key: tuple(
            DatedValue(
                start=start,
                value=_number(entry.get("value")) if data["unit"] in NUMERIC_UNITS else entry.get("value"),
                reference=entry.get("reference", default_ref),
                verified=entry.get("verified", True),
                note=entry.get("note"),
            )
            for start, entry in dated.items()
        )
        for key, dated in raw_series.items()
    }
    return Parameter(
        name=name,
        description=data["description"],
        unit=data["unit"],
        breakdown=breakdown,
        series=series,
        source=file.path,
    )


def _number(value: Any) -> Any:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    return Decimal(str(value))


def _parameter_problems(file: YamlFile, keys: dict[str, str | None]) -> Iterator[Problem]:
    data = file.data

    def problem(message: str, *path: Any) -> Problem:
        return Problem(file.path, file.line(*path), message)

    for field in ("description", "unit"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            yield problem(f"ต้องมี '{field}' เป็นข้อความ (missing '{field}')", field)
    breakdown = data.get("breakdown")
    if breakdown is not None and breakdown not in BREAKDOWNS:
        yield problem(f"breakdown ต้องเป็น {sorted(BREAKDOWNS)} (got {breakdown!r})", "breakdown")
        return
    values = data["values"]
    if not isinstance(values, dict) or not values:
        yield problem("'values' ต้องเป็นตารางค่าตามวันที่ (values must be a non-empty mapping)", "values")
        return
    if breakdown:
        for key in values:
            if key not in keys:
                yield problem(f"ไม่รู้จักระดับ/ชั้น '{key}' (unknown level or grade)", "values", key)
        levels = {key for key, level in keys.items() if level is None}
        grades = {key: level for key, level in keys.items() if level is not None}
        if breakdown == "level":
            missing = levels - set(values)
        elif breakdown == "grade":
            missing = set(grades) - set(values)
        else:  # level_or_grade: each grade is covered by its own key or by its level's
            missing = {grade for grade, level in grades.items() if grade not in values and level not in values}
        for key in sorted(missing):
            yield problem(f"ขาดค่าสำหรับ '{key}' (no values for {key}: a gap)", "values")
        series: Iterable[tuple[Any, Any]] = values.items()
    else:
        series = [(None, values)]
    for key, dated in series:
        path = ("values", key) if key is not None else ("values",)
        yield from _series_problems(file, data, dated, path)


def _series_problems(file: YamlFile, data: dict[str, Any], dated: Any, path: tuple[Any, ...]) -> Iterator[Problem]:
    if not isinstance(dated, dict) or not dated:
        yield Problem(file.path, file.line(*path), "ต้องเป็นตารางค่าตามวันที่ (expected date: {value: ...} entries)")
        return
    previous: dt.date | None = None
    seen_value = False
    for start, entry in dated.items():
        where = file.line(*path, start)
        if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
            yield Problem(file.path, where, f"'{start}' ไม่ใช่วันที่ YYYY-MM-DD (not a date)")
            continue
        if previous is not None and start <= previous:
            yield Problem(file.path, where, f"วันที่ {start} ต้องอยู่หลัง {previous} (dates must be in increasing order)")
        previous = start
        if not isinstance(entry, dict) or "value" not in entry:
            yield Problem(file.path, where, "ต้องมี 'value' (each dated entry needs a 'value'; null = to be filled)")
            continue
        if not (entry.get("reference") or data.get("reference")):
            yield Problem(file.path, where, "ต้องมี 'reference' อ้างอิงระเบียบ/หนังสือสั่งการ (missing reference)")
        if "verified" in entry and not isinstance(entry["verified"], bool):
            yield Problem(file.path, where, "'verified' ต้องเป็น true/false")
        value = entry["value"]
        if value is None:
            if seen_value:
                yield Problem(
                    file.path, where, "ค่าว่างหลังค่าที่กำหนดแล้วทำให้เกิดช่องว่าง (a null after a set value leaves a gap)"
                )
            if entry.get("verified", True):
                yield Problem(file.path, where, "ค่าที่รอกรอกต้องมี verified: false (a to-be-filled value is unverified)")
            continue
        seen_value = True
        if data.get("unit") in NUMERIC_UNITS and not _is_number_tree(value):
            yield Problem(file.path, where, f"ค่าต้องเป็นตัวเลข (value must be a number, got {value!r})")


def _is_number_tree(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_is_number_tree(v) for v in value.values())
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
