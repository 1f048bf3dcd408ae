"""``esaplan rules check``: validate every rules data file and say file and line for each problem.

Parameter files are checked as they load (:mod:`rules.parameters`); this module adds the checks
for tables (grades, budget structure, transfer rules, KPI catalogue) and for the two parameters
whose values are structures (size bands, reporting rounds). It also lists what staff still have
to fill in or verify, because a rate marked ``verified: false`` is a question for the office.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rules.errors import ParseError
from rules.parameters import DATA_DIR, Parameters, Problem
from rules.vocabulary import COMPARE_OPERATORS, FEATURES, FUNCTION_NAMES, OPERATORS, SEVERITIES, TYPES, expression_names
from rules.yamlfile import YamlFile

TABLE_FIELDS = ("description", "reference", "effective")
KPI_CODE = re.compile(r"^S(\d+)\.(\d+)$")


@dataclass
class CheckReport:
    """What ``rules check`` found: problems (errors), values to fill and values to verify."""

    files: int = 0
    problems: list[Problem] = field(default_factory=list)
    to_fill: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(root: Path = DATA_DIR) -> CheckReport:
    """Check every YAML file below ``root``; never raises for bad data, it reports it."""
    params = Parameters(root)
    report = CheckReport(files=len(list(root.rglob("*.yaml"))))
    report.problems.extend(params.problems)
    report.problems.extend(table_problems(params))
    for parameter in params:
        for key, series in parameter.series.items():
            label = parameter.name + (f"[{key}]" if key else "")
            for dated in series:
                where = f"{label} @ {dated.start}"
                if dated.value is None:
                    report.to_fill.append(where)
                elif not dated.verified:
                    report.unverified.append(where)
    return report


def table_problems(params: Parameters) -> list[Problem]:
    """Problems in the table files and the structured parameters of one data folder."""
    found: list[Problem] = []
    for name, checker in _TABLE_CHECKS.items():
        file = params.files.get(name)
        if file is None:
            found.append(
                Problem(
                    params.root / (name.replace(".", "/") + ".yaml"), 1, f"ไม่พบไฟล์ตาราง {name} (missing table file)"
                )
            )
            continue
        if not isinstance(file.data, dict):
            found.append(Problem(file.path, 1, "ไฟล์ต้องเป็นตาราง key: value (expected a mapping)"))
            continue
        found.extend(_common_table_problems(file))
        found.extend(checker(file, params))
    for name, file in params.files.items():
        if name.startswith("forms.") and isinstance(file.data, dict):
            found.extend(_common_table_problems(file))
            found.extend(_check_form_sets(file, params) if name == "forms.sets" else _check_form(file, params))
    found.extend(_later_plans_problems(params))
    for name, check_value in _STRUCTURED_PARAMETERS.items():
        file = params.files.get(name)
        if file is not None and isinstance(file.data, dict) and isinstance(file.data.get("values"), dict):
            for start, entry in file.data["values"].items():
                if isinstance(entry, dict) and entry.get("value") is not None:
                    found.extend(check_value(file, start, entry["value"]))
    return found


def _later_plans_problems(params: Parameters) -> Iterator[Problem]:
    """A later plan's catalogue (``kpi/catalogue_<year>.yaml``) is checked as the first one is, and
    no two plans may begin in the same fiscal year (which would be in force would be a guess)."""
    began: dict[int, YamlFile] = {}
    for name, file in sorted(params.files.items()):
        if name != "kpi.catalogue" and not name.startswith("kpi.catalogue_"):
            continue
        if not isinstance(file.data, dict):
            yield Problem(file.path, 1, "ไฟล์ต้องเป็นตาราง key: value (expected a mapping)")
            continue
        if name != "kpi.catalogue":
            yield from _common_table_problems(file)
            yield from _check_kpis(file, params)
        plan = file.data.get("plan")
        first = plan.get("first_fiscal_year") if isinstance(plan, dict) else None
        if isinstance(first, int):
            if first in began:
                yield Problem(
                    file.path,
                    file.line("plan"),
                    f"แผนนี้เริ่มปีงบประมาณ {first} เช่นเดียวกับ {began[first].path.name}: แต่ละแผนต้องเริ่มคนละปี",
                )
            began[first] = file


def _common_table_problems(file: YamlFile) -> Iterator[Problem]:
    for name in TABLE_FIELDS:
        if name not in file.data:
            yield Problem(file.path, 1, f"ต้องมี '{name}' (missing '{name}')")
    effective = file.data.get("effective")
    if effective is not None and not isinstance(effective, dt.date):
        yield Problem(file.path, file.line("effective"), "'effective' ต้องเป็นวันที่ YYYY-MM-DD")


def _rows(file: YamlFile, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = file.data.get(key)
    if not isinstance(rows, list) or not rows:
        yield -1, {}
        return
    for index, row in enumerate(rows):
        yield index, row if isinstance(row, dict) else {}


def _require(file: YamlFile, key: str, index: int, row: dict[str, Any], fields: tuple[str, ...]) -> Iterator[Problem]:
    if index < 0:
        yield Problem(file.path, file.line(key), f"'{key}' ต้องเป็นรายการที่ไม่ว่าง (must be a non-empty list)")
        return
    for name in fields:
        if row.get(name) in (None, ""):
            yield Problem(file.path, file.line(key, index), f"{key}[{index}] ต้องมี '{name}' (missing '{name}')")


def _unique(file: YamlFile, key: str, field_name: str) -> Iterator[Problem]:
    seen: set[Any] = set()
    for index, row in _rows(file, key):
        value = row.get(field_name)
        if value in seen:
            yield Problem(file.path, file.line(key, index), f"{field_name} '{value}' ซ้ำ (duplicate)")
        seen.add(value)


def _check_grades(file: YamlFile, params: Parameters) -> Iterator[Problem]:
    levels = file.data.get("levels")
    if not isinstance(levels, dict) or not levels:
        yield Problem(file.path, file.line("levels"), "'levels' ต้องเป็นตาราง (must be a mapping)")
        levels = {}
    for index, row in _rows(file, "grades"):
        yield from _require(file, "grades", index, row, ("code", "level", "th", "age"))
        if row.get("level") not in levels:
            yield Problem(
                file.path, file.line("grades", index), f"ระดับ '{row.get('level')}' ไม่มีใน levels (unknown level)"
            )
    yield from _unique(file, "grades", "code")


def _check_items(file: YamlFile, params: Parameters) -> Iterator[Problem]:
    for index, row in _rows(file, "items"):
        yield from _require(file, "items", index, row, ("code", "th", "per"))
        if index >= 0 and f"per_head.{row.get('code')}" not in params.files:
            yield Problem(file.path, file.line("items", index), f"ไม่มีไฟล์พารามิเตอร์ per_head/{row.get('code')}.yaml")
    yield from _unique(file, "items", "code")


def _check_categories(file: YamlFile, params: Parameters) -> Iterator[Problem]:
    for index, row in _rows(file, "categories"):
        yield from _require(file, "categories", index, row, ("code", "th", "items"))
    yield from _unique(file, "categories", "code")


def _check_authorities(file: YamlFile, params: Parameters) -> Iterator[Problem]:
    for index, row in _rows(file, "authorities"):
        yield from _require(file, "authorities", index, row, ("code", "th", "en"))
    yield from _unique(file, "authorities", "code")
    codes = {row.get("code") for row in file.data.get("authorities") or []}
    for index, row in _rows(file, "delegations"):
        yield from _require(file, "delegations", index, row, ("code", "th", "authority", "reference"))
        if index >= 0 and row.get("authority") not in codes:
            yield Problem(
                file.path, file.line("delegations", index), f"ผู้มีอำนาจ '{row.get('authority')}' ไม่มีใน authorities"
            )


def _check_transfer_rules(file: YamlFile, params: Parameters) -> Iterator[Problem]:
    listed = (params.files.get("budget.authorities") or file).data
    authorities = {row.get("code") for row in listed.get("authorities") or []}
    delegations = {row.get("code") for row in listed.get("delegations") or [] if row.get("authority") in authorities}
    kinds = set()
    for index, row in _rows(file, "kinds"):
        yield from _require(file, "kinds", index, row, ("kind", "th"))
        kinds.add(row.get("kind"))
    for index, row in _rows(file, "rules"):
        yield from _require(file, "rules", index, row, ("id", "authority", "reference", "message_th", "message_en"))
        if index < 0:
            continue
        where = file.line("rules", index)
        if not isinstance(row.get("allowed"), bool):
            yield Problem(file.path, where, f"rules[{index}] 'allowed' ต้องเป็น true/false")
        named = row.get("authority")
        if isinstance(named, dict):
            if named.get("delegated") not in delegations:
                yield Problem(
                    file.path,
                    where,
                    f"การมอบอำนาจ '{named.get('delegated')}' ไม่มีใน delegations ของ budget/authorities.yaml",
                )
        elif named not in authorities:
            yield Problem(file.path, where, f"ผู้มีอำนาจ '{named}' ไม่มีใน budget/authorities.yaml")
        for feature, condition in (row.get("when") or {}).items():
            if feature not in FEATURES:
                yield Problem(
                    file.path, file.line("rules", index, "when", feature), f"ไม่รู้จักเงื่อนไข '{feature}' (unknown feature)"
                )
            if feature == "kind" and condition not in kinds:
                yield Problem(file.path, file.line("rules", index, "when"), f"ไม่รู้จักประเภท '{condition}' (unknown kind)")
            if isinstance(condition, dict):
                for op, operand in condition.items():
                    if op not in OPERATORS:
                        yield Problem(file.path, file.line("rules", index, "when", feature), f"ไม่รู้จักตัวเปรียบเทียบ '{op}'")
                    if isinstance(operand, dict) and f"{operand.get('param')}" not in params.files:
                        yield Problem(
                            file.path,
                            file.line("rules", index, "when", feature),
                            f"ไม่มีพารามิเตอร์ '{operand.get('param')}'",
                        )
        days = row.get("report_within_days")
        if isinstance(days, dict) and f"{days.get('param')}" not in params.files:
            yield Problem(file.path, where, f"ไม่มีพารามิเตอร์ '{days.get('param')}'")
    yield from _unique(file, "rules", "id")


REPORT_AS_AGGREGATES = {"ratio": {"ratio", "population"}, "yes_no": {"share"}, "value": {"mean", "sum"}}


def _check_kpis(file: YamlFile, params: Parameters) -> Iterator[Problem]:
    strategies = file.data.get("strategies") or {}
    plan = file.data.get("plan")
    if not isinstance(plan, dict) or not all(
        plan.get(k) for k in ("th", "first_fiscal_year", "last_fiscal_year", "source")
    ):
        yield Problem(
            file.path,
            file.line("plan") if isinstance(plan, dict) else 1,
            "ต้องมี plan: th, first_fiscal_year, last_fiscal_year, source (แผนที่กลยุทธ์นี้สังกัดและปีที่ครอบคลุม)",
        )
    elif not int(plan["first_fiscal_year"]) <= int(plan["last_fiscal_year"]):
        yield Problem(file.path, file.line("plan"), "plan: first_fiscal_year ต้องไม่มากกว่า last_fiscal_year")
    measures = file.data.get("measures") or {}
    expected: dict[int, int] = {}
    aggregates = file.data.get("aggregates") or {}
    for name, measure in measures.items():
        if not isinstance(measure, dict) or measure.get("aggregate") not in aggregates:
            yield Problem(
                file.path,
                file.line("measures", name),
                f"measure '{name}': aggregate ต้องเป็นหนึ่งใน {', '.join(aggregates)}",
            )
    for index, row in _rows(file, "indicators"):
        yield from _require(
            file,
            "indicators",
            index,
            row,
            ("code", "name_th", "unit", "direction", "measure", "reported_by", "report_as"),
        )
        if index < 0:
            continue
        where = file.line("indicators", index)
        match = KPI_CODE.match(str(row.get("code")))
        if not match:
            yield Problem(file.path, where, f"รหัส '{row.get('code')}' ต้องเป็นรูปแบบ S<กลยุทธ์>.<ลำดับ>")
            continue
        strategy, number = int(match.group(1)), int(match.group(2))
        if strategy not in strategies:
            yield Problem(file.path, where, f"ไม่มีกลยุทธ์ที่ {strategy} ใน strategies")
        expected[strategy] = expected.get(strategy, 0) + 1
        if number != expected[strategy]:
            yield Problem(file.path, where, f"{row['code']}: ลำดับขาดหรือสลับ คาดว่าเป็น S{strategy}.{expected[strategy]}")
        if row.get("measure") not in measures:
            yield Problem(file.path, where, f"measure '{row.get('measure')}' ไม่มีใน measures")
        else:
            aggregate = measures[row["measure"]].get("aggregate")
            if row.get("report_as") in REPORT_AS_AGGREGATES and aggregate not in REPORT_AS_AGGREGATES[row["report_as"]]:
                yield Problem(
                    file.path,
                    where,
                    f"{row['code']}: report_as {row['report_as']} รวมผลแบบ {aggregate} ไม่ได้ (measure {row['measure']})",
                )
            if aggregate == "population" and row.get("population_band") not in (
                file.data.get("population_bands") or {}
            ):
                yield Problem(
                    file.path, where, f"{row['code']}: ตัวชี้วัดประชากรวัยเรียนต้องมี population_band ที่อยู่ใน population_bands"
                )
        if row.get("reported_by") not in {"school", "office", "both"}:
            yield Problem(file.path, where, "reported_by ต้องเป็น school / office / both")
        if row.get("report_as") not in {"ratio", "yes_no", "value"}:
            yield Problem(file.path, where, "report_as ต้องเป็น ratio / yes_no / value")
        target = row.get("target")
        if row.get("direction") == "at_least":
            if not isinstance(target, (int, float)) or not 0 <= target <= 100:
                yield Problem(file.path, where, f"{row['code']}: เป้าหมายร้อยละต้องอยู่ระหว่าง 0-100")
        elif row.get("direction") == "increase":
            if target is not None:
                yield Problem(file.path, where, f"{row['code']}: ทิศทาง increase ใช้ค่าฐานปีก่อน ไม่ใช้ target")
        else:
            yield Problem(file.path, where, "direction ต้องเป็น at_least หรือ increase")
    yield from _unique(file, "indicators", "code")


def _check_code_list(file: YamlFile, params: Parameters, key: str) -> Iterator[Problem]:
    """A list of ``{code, th}`` rows (budget sources, the office's groups): both fields, codes unique."""
    for index, row in _rows(file, key):
        yield from _require(file, key, index, row, ("code", "th"))
    yield from _unique(file, key, "code")


def _check_form(file: YamlFile, params: Parameters) -> Iterator[Problem]:
    for name in ("code", "version", "sheet", "title_th"):
        if not file.data.get(name):
            yield Problem(file.path, 1, f"ต้องมี '{name}' (missing '{name}')")
    keys: set[Any] = set()  # what the file says, checked below: a missing key is None
    for index, row in _rows(file, "columns"):
        yield from _require(file, "columns", index, row, ("key", "th"))
        if index < 0:
            continue
        where = file.line("columns", index)
        keys.add(row.get("key"))
        is_input = "formula" not in row and "lookup" not in row
        if is_input and row.get("type", "text") not in TYPES:
            yield Problem(file.path, where, f"ชนิดข้อมูล '{row.get('type')}' ไม่รู้จัก (ใช้ได้: {', '.join(sorted(TYPES))})")
        if row.get("type") == "choice" and not row.get("choices"):
            yield Problem(file.path, where, "คอลัมน์แบบ choice ต้องมี choices")
        for limit in ("unusual", "impossible"):
            if row.get(limit) and row[limit] not in params.files:
                yield Problem(file.path, where, f"{limit} '{row[limit]}' ไม่ใช่พารามิเตอร์ใน rules/data")
    yield from _unique(file, "columns", "key")
    expressions = [
        (("columns", i, "formula"), row["formula"]) for i, row in _rows(file, "columns") if row.get("formula")
    ]
    for index, row in enumerate(file.data.get("checks") or []):
        where = file.line("checks", index)
        for name in ("id", "left", "op", "right", "severity", "message_th"):
            if row.get(name) in (None, ""):
                yield Problem(file.path, where, f"checks[{index}] ต้องมี '{name}'")
        if row.get("op") not in COMPARE_OPERATORS:
            yield Problem(
                file.path, where, f"ตัวเปรียบเทียบ '{row.get('op')}' ไม่รู้จัก (ใช้ได้: {' '.join(COMPARE_OPERATORS)})"
            )
        if row.get("severity") not in SEVERITIES:
            yield Problem(file.path, where, f"severity ต้องเป็น {', '.join(SEVERITIES)}")
        if row.get("cell") is not None and row["cell"] not in keys:
            yield Problem(file.path, where, f"cell '{row['cell']}' ไม่ใช่คอลัมน์ของแบบฟอร์ม")
        expressions += [
            (("checks", index, part), str(row[part]))
            for part in ("left", "right", "when")
            if row.get(part) not in (None, "")
        ]
    for path, text in expressions:
        try:
            unknown = [name for name in expression_names(text) if name not in keys and name not in FUNCTION_NAMES]
        except (ParseError, SyntaxError) as exc:
            yield Problem(file.path, file.line(*path), f"นิพจน์ '{text}' ไม่ถูกต้อง: {exc}")
            continue
        if unknown:
            yield Problem(file.path, file.line(*path), f"นิพจน์ '{text}' อ้างถึงคอลัมน์ที่ไม่มี: {', '.join(unknown)}")
    if file.data.get("empty") is not None and file.data["empty"] not in SEVERITIES:
        yield Problem(file.path, file.line("empty"), f"empty ต้องเป็น {', '.join(SEVERITIES)}")
    for index, row in _rows(file, "columns"):
        if row.get("hint_th") is not None and not (isinstance(row["hint_th"], str) and row["hint_th"].strip()):
            yield Problem(file.path, file.line("columns", index), "hint_th ต้องเป็นข้อความ")
    prefill = file.data.get("prefill") or {}
    if prefill and prefill.get("column") not in keys:
        yield Problem(file.path, file.line("prefill"), f"prefill column '{prefill.get('column')}' ไม่ใช่คอลัมน์ของแบบฟอร์ม")
    for key in file.data.get("unique") or ():
        if key not in keys:
            yield Problem(file.path, file.line("unique"), f"unique '{key}' ไม่ใช่คอลัมน์ของแบบฟอร์ม")
    shared = file.data.get("shared_rooms") or {}
    for part in ("rooms", "with") if shared else ():
        if shared.get(part) not in keys:
            yield Problem(
                file.path, file.line("shared_rooms"), f"shared_rooms.{part} '{shared.get(part)}' ไม่ใช่คอลัมน์ของแบบฟอร์ม"
            )
    check_ids = {row.get("id") for row in file.data.get("checks") or []}
    for check_id in shared.get("checks") or ():
        if check_id not in check_ids:
            yield Problem(
                file.path, file.line("shared_rooms"), f"shared_rooms.checks '{check_id}' ไม่ใช่ check ของแบบฟอร์ม"
            )


def _check_form_sets(file: YamlFile, params: Parameters) -> Iterator[Problem]:
    codes = {
        f.data.get("code")
        for n, f in params.files.items()
        if n.startswith("forms.") and n != "forms.sets" and isinstance(f.data, dict)
    }
    for index, row in _rows(file, "sets"):
        yield from _require(file, "sets", index, row, ("code", "th", "file", "submitted_by", "forms"))
        for code in row.get("forms") or []:
            if code not in codes:
                yield Problem(file.path, file.line("sets", index), f"ไม่มีแบบฟอร์ม '{code}' ใน rules/data/forms")
        if index >= 0 and row.get("submitted_by") not in {"school", "group"}:
            yield Problem(file.path, file.line("sets", index), "submitted_by ต้องเป็น school หรือ group")
        if index >= 0 and row.get("cycle", "round") not in {"round", "year"}:
            yield Problem(file.path, file.line("sets", index), "cycle ต้องเป็น round (ทุกรอบ) หรือ year (ปีละครั้ง)")
    yield from _unique(file, "sets", "code")


def _check_size_bands(file: YamlFile, start: Any, value: Any) -> Iterator[Problem]:
    where = file.line("values", start)
    if not isinstance(value, list) or not value:
        yield Problem(file.path, where, "ขนาดสถานศึกษาต้องเป็นรายการ {band, th, max}")
        return
    previous = -1
    for index, band in enumerate(value):
        top = band.get("max") if isinstance(band, dict) else None
        last = index == len(value) - 1
        if last and top is not None:
            yield Problem(file.path, where, "ขนาดสุดท้ายต้องมี max: null (ไม่จำกัด)")
        elif not last and (not isinstance(top, int) or top <= previous):
            yield Problem(file.path, where, f"max ของขนาดที่ {index + 1} ต้องเป็นจำนวนเต็มที่มากกว่าขนาดก่อนหน้า")
        previous = top if isinstance(top, int) else previous


def _check_rounds(file: YamlFile, start: Any, value: Any) -> Iterator[Problem]:
    where = file.line("values", start)
    if not isinstance(value, dict) or not value:
        yield Problem(file.path, where, "รอบรายงานต้องเป็นตาราง months: {ends, expected_progress}")
        return
    fiscal_order = []
    for months, spec in sorted(value.items()):
        ends = str((spec or {}).get("ends", ""))
        if not re.match(r"^\d{2}-\d{2}$", ends):
            yield Problem(file.path, where, f"รอบ {months} เดือน: ends ต้องเป็น MM-DD")
            continue
        month = int(ends[:2])
        fiscal_order.append((month + 12 if month < 10 else month, int(ends[3:])))
        progress = (spec or {}).get("expected_progress")
        if not isinstance(progress, (int, float)) or not 0 < progress <= 1:
            yield Problem(file.path, where, f"รอบ {months} เดือน: expected_progress ต้องอยู่ระหว่าง 0-1")
    if fiscal_order != sorted(fiscal_order):
        yield Problem(file.path, where, "วันสิ้นรอบต้องเรียงตามลำดับในปีงบประมาณ (round end dates out of order)")


_TABLE_CHECKS: dict[str, Callable[[YamlFile, Parameters], Iterable[Problem]]] = {
    "grades": _check_grades,
    "per_head.items": _check_items,
    "budget.categories": _check_categories,
    "budget.authorities": _check_authorities,
    "budget.unit_kinds": partial(_check_code_list, key="kinds"),
    "budget.transfer_rules": _check_transfer_rules,
    "kpi.catalogue": _check_kpis,
    "plan.sources": partial(_check_code_list, key="sources"),
    "plan.office_groups": partial(_check_code_list, key="groups"),
}
_STRUCTURED_PARAMETERS = {
    "school.size_bands": _check_size_bands,
    "calendar.reporting_rounds": _check_rounds,
}
