"""What an office over many areas reads, once every area's job of a round has ended.

- Each area's master is also kept as tidy data: one Parquet file per data sheet (every form's
  rows and the status of every unit), with the area's code and name, in the area's
  ``master/tidy/FY<year>-R<round>/`` (:func:`export_tidy`, run by the area's job on its worker).
- The office's ``national/FY<year>-R<round>/`` holds each sheet for all areas in one Parquet file,
  unioned by DuckDB (:func:`national_store`): analysts open them with DuckDB, pandas, Power BI or
  Excel's Power Query. An Excel sheet stops at 1,048,576 rows, so no sheet here holds a row per
  school and grade of a country (29,700 schools × 15 grades).
- ``สรุปหลายเขต-FY<year>-R<round>.xlsx`` (:func:`summary_workbook`): units, how many sent every
  form, have errors or sent nothing, pupils and rooms counted, by area, by district and by school
  size, each with its total, computed by DuckDB from the national files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from rules import EsaplanError
from rules.forms import form_sets
from rules.money import to_decimal
from sync.files.atomic import save_workbook, write_atomically
from sync.files.cachefile import code_salt
from sync.ledger.status import STATUS_TH
from sync.master.sheetplan import COUNT_FORMAT, TOTAL, SheetPlan, emit
from sync.master.writer import COUNTED_HEADER, COUNTED_YES, STATUS, UNIT_HEADERS, value_kinds
from sync.office.areas import Area
from sync.office.settings import Settings

AREA_COLUMNS = ("รหัสเขต", "ชื่อเขต")
ENROLMENT = "ข้อมูลนักเรียน"
GROUPINGS = (("รายเขต", ("รหัสเขต", "ชื่อเขต")), ("รายอำเภอ", ("รหัสเขต", "ชื่อเขต", "อำเภอ")), ("รายขนาดโรงเรียน", ("ขนาด",)))
SATANG = Decimal("0.01")
MADE_BY = "esaplan-code"  # Parquet metadata key: the code and rules that wrote the file
MEASURES = ("หน่วยทั้งหมด", "ส่งครบ", "มีข้อผิดพลาด", "ยังไม่ส่งเลย", "นักเรียน (คน)", "ห้องเรียน")


def round_folder(fiscal_year: int, round_: int) -> str:
    return f"FY{fiscal_year}-R{round_}"


def data_sheets() -> list[str]:
    """The master's sheets of data: every form's, and the status of every unit."""
    return [STATUS, *dict.fromkeys(form.sheet for form_set in form_sets().values() for form in form_set.forms)]


def export_tidy(settings: Settings, area: Area) -> list[Path]:
    """The area's master of ``settings``' round as one Parquet file per data sheet; returns them.

    Files newer than the master and written by this esaplan (its code and rules: ``code_salt``, kept
    in each file's metadata) are kept as they are: a run that changed nothing (most areas on most
    days) rewrites neither the master nor these, and an upgrade that types them otherwise does.
    """
    master = settings.master_path()
    folder = settings.master_dir / "tidy" / round_folder(settings.fiscal_year, settings.round)
    kept = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if kept and all(
        path.stat().st_mtime_ns >= master.stat().st_mtime_ns and _made_by_this_esaplan(path) for path in kept
    ):
        return kept
    book = CalamineWorkbook.from_path(str(master))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    numbers = number_columns()
    for sheet in data_sheets():
        if sheet not in book.sheet_names:
            continue
        header, *rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False) or [[]]
        names = [*AREA_COLUMNS, *(str(name) for name in header)]
        columns: list[list[Any]] = [
            [area.code] * len(rows),
            [area.name_th] * len(rows),
            *([row[i] if i < len(row) else None for row in rows] for i in range(len(header))),
        ]
        kinds = numbers.get(sheet, {})
        table = pa.table(
            {
                name: _numbers(values, kinds[name]) if name in kinds else _typed(values)
                for name, values in zip(names, columns, strict=True)
            }
        )
        table = table.replace_schema_metadata({MADE_BY: code_salt()})
        path = folder / f"{sheet}.parquet"
        write_atomically(path, partial(pq.write_table, table))
        written.append(path)
    return written


def _made_by_this_esaplan(path: Path) -> bool:
    try:
        return (pq.read_schema(path).metadata or {}).get(MADE_BY.encode()) == code_salt().encode()
    except (OSError, pa.ArrowException):  # unreadable: made again
        return False


def number_columns() -> dict[str, dict[str, str]]:
    """Each form sheet's columns of numbers, by header, with their kind (count, money, number):
    typed by the form, not by what one area's cells hold, so every area's file has the same types
    and the office's union and sums work (one school's 'สิบสอง' would make a column text)."""
    kinds: dict[str, dict[str, str]] = {}
    for form_set in form_sets().values():
        for form in form_set.forms:
            for column, kind in zip(form.columns, value_kinds(form), strict=True):
                if kind in ("count", "money", "number"):
                    kinds.setdefault(form.sheet, {})[column.th] = kind
    return kinds


def _numbers(values: list[Any], kind: str) -> pa.Array:
    """A form's column of numbers: money as exact decimals (satang), counts as whole numbers, other
    numbers as doubles. A cell that is no number (a row left out for it: what was typed is in the
    master's ปัญหาที่พบ) is empty here."""
    read: list[Decimal | None] = []
    for value in values:
        try:
            read.append(None if value in (None, "") else to_decimal(value))
        except EsaplanError:
            read.append(None)
    if kind == "money":
        return pa.array([None if v is None else v.quantize(SATANG) for v in read], pa.decimal128(18, 2))
    if kind == "count" and all(v is None or v == v.to_integral_value() for v in read):
        return pa.array([None if v is None else int(v) for v in read], pa.int64())
    return pa.array([None if v is None else float(v) for v in read], pa.float64())


def _typed(values: list[Any]) -> pa.Array:
    """A column as Parquet should hold it: whole numbers, numbers, times or text (a mixed column is text)."""
    present = [v for v in values if v not in (None, "")]
    cleaned = [None if v == "" else v for v in values]
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        if all(float(v).is_integer() for v in present):
            return pa.array([None if v is None else int(v) for v in cleaned], pa.int64())
        return pa.array(cleaned, pa.float64())
    if present and all(isinstance(v, dt.datetime) for v in present):
        return pa.array(cleaned, pa.timestamp("s"))
    return pa.array([None if v is None else str(v) for v in cleaned], pa.string())


def national_store(settings: Settings, areas: Iterable[Area], fiscal_year: int, round_: int) -> dict[str, Path]:
    """Each data sheet of every area's round in one Parquet file of the office's; returns them by sheet."""
    folder = settings.home / "national" / round_folder(fiscal_year, round_)
    folder.mkdir(parents=True, exist_ok=True)
    tidy = [area.home / "master" / "tidy" / round_folder(fiscal_year, round_) for area in areas]
    out: dict[str, Path] = {}
    with duckdb.connect() as db:
        for sheet in data_sheets():
            parts = [str(path / f"{sheet}.parquet") for path in tidy if (path / f"{sheet}.parquet").is_file()]
            if not parts:
                continue
            target = folder / f"{sheet}.parquet"
            relation = db.read_parquet(parts, union_by_name=True)
            write_atomically(target, relation.write_parquet)
            out[sheet] = target
    return out


def summary_workbook(settings: Settings, national: dict[str, Path], fiscal_year: int, round_: int) -> Path:
    """The office's summary across areas, written like the master's sheets; returns its path."""
    forms = [sheet for sheet in data_sheets() if sheet != STATUS]
    with duckdb.connect() as db:
        db.execute(f"CREATE VIEW status AS SELECT * FROM read_parquet('{national[STATUS]}')")
        shown = [f for f in forms if f in {c[0] for c in db.execute("DESCRIBE status").fetchall()}]
        ok, errors, missing = (
            _literals(STATUS_TH["on_time"], STATUS_TH["late"], "-"),
            _literals(STATUS_TH["errors"]),
            _literals(STATUS_TH["missing"], "-"),
        )
        all_sent = " AND ".join(f"{_name(f)} IN ({ok})" for f in shown)
        has_errors = " OR ".join(f"{_name(f)} IN ({errors})" for f in shown)
        none_sent = " AND ".join(f"{_name(f)} IN ({missing})" for f in shown)
        flags = f"({all_sent}) AS all_sent, ({has_errors}) AS has_errors, ({none_sent}) AS none_sent"
        db.execute(
            f"CREATE VIEW units AS SELECT *, {flags} FROM status"
        )  # views take no parameters: our own constants, quoted
        if ENROLMENT in national:
            db.execute(
                f"""CREATE VIEW pupils AS SELECT "รหัสเขต", "รหัสหน่วย", sum(coalesce("ชาย (คน)", 0) + coalesce("หญิง (คน)", 0)) AS pupils,
                sum(coalesce("ห้องเรียน", 0)) AS rooms FROM read_parquet('{national[ENROLMENT]}') WHERE {_name(COUNTED_HEADER)} = {_literals(COUNTED_YES)} GROUP BY ALL"""
            )
        else:
            db.execute(
                'CREATE VIEW pupils AS SELECT NULL AS "รหัสเขต", NULL AS "รหัสหน่วย", 0 AS pupils, 0 AS rooms WHERE false'
            )
        book = Workbook()
        book.remove(book.active)
        for title, keys in GROUPINGS:
            columns = ", ".join(f'u."{k}"' for k in keys)
            rows = db.execute(
                f"""SELECT {columns}, count(*), count(*) FILTER (all_sent), count(*) FILTER (has_errors), count(*) FILTER (none_sent),
                coalesce(sum(p.pupils), 0), coalesce(sum(p.rooms), 0)
                FROM units u LEFT JOIN pupils p ON p."รหัสเขต" = u."รหัสเขต" AND p."รหัสหน่วย" = u."{UNIT_HEADERS[0]}"
                GROUP BY {columns} ORDER BY {columns}"""
            ).fetchall()
            plan = SheetPlan(title)
            plan.table([*keys, *MEASURES])
            for position in range(len(keys), len(keys) + len(MEASURES)):
                plan.column_formats[position] = COUNT_FORMAT
            for row in rows:
                plan.add([*row[: len(keys)], *(int(v) for v in row[len(keys) :])])
            plan.add(
                [
                    "รวม",
                    *[None] * (len(keys) - 1),
                    *(sum(int(r[i]) for r in rows) for i in range(len(keys), len(keys) + len(MEASURES))),
                ],
                TOTAL,
            )
            emit(plan, book.create_sheet(plan.name), write_only=False)
    path = settings.home / f"สรุปหลายเขต-{round_folder(fiscal_year, round_)}.xlsx"
    save_workbook(book, path)
    return path


def _name(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literals(*values: str) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)
