"""The dashboard's table of units as staff work with it at 260+ units: sorted by any column, shown a
page at a time, and taken away whole (CSV for a chat or a mail merge, xlsx for Excel).

Sorting and paging happen on the server from the address (``?sort=errors&desc=1&page=3``), so a
link pasted into LINE opens the same view, the page works without JavaScript, and a phone never
receives 269 rows at once. The export is the filtered table in full, not one page of it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook

from sync.master.sheetplan import DATE_TIME_FORMAT, SheetPlan, emit
from sync.office.settings import BANGKOK
from sync.service.overview import UnitRow

PAGE_SIZE = 50
STATUS_ORDER = {"errors": 0, "missing": 1, "late": 2, "on_time": 3}  # what needs chasing first
EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)
SORTS: dict[str, Callable[[UnitRow], Any]] = {
    "code": lambda row: row.unit.code,
    "name": lambda row: row.unit.name_th,
    "district": lambda row: row.unit.district_label,
    "network": lambda row: row.unit.network_label,
    "status": lambda row: STATUS_ORDER[row.status],
    "latest": lambda row: row.latest.submitted_at if row.latest else EPOCH,
    "errors": lambda row: row.errors,
}
COLUMNS_TH = {
    "code": "รหัส",
    "name": "ชื่อหน่วย",
    "district": "อำเภอ",
    "network": "กลุ่มเครือข่าย",
    "status": "สถานะ",
    "latest": "ส่งล่าสุด",
    "errors": "ข้อผิดพลาด",
}
HEADERS_TH = (*COLUMNS_TH.values(), "ช่องทาง", "เรื่องที่ต้องติดตาม")


@dataclass(frozen=True)
class Page:
    """One page of the sorted table and where it sits among the others."""

    rows: list[UnitRow]
    number: int  # 1-based
    pages: int
    total: int
    size: int

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row ("แสดง 51-100 จาก 269")."""
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def sort_rows(rows: list[UnitRow], sort: str, descending: bool) -> list[UnitRow]:
    """``rows`` by a column of :data:`SORTS` (an unknown one sorts by code), ties kept in code order."""
    by_code = sorted(rows, key=SORTS["code"])
    return sorted(by_code, key=SORTS.get(sort, SORTS["code"]), reverse=descending)


def page_of(rows: list[UnitRow], number: int, size: int = PAGE_SIZE) -> Page:
    """Page ``number`` of ``rows``; a number past either end shows the nearest page that exists."""
    pages = max(1, -(-len(rows) // size))
    number = min(max(1, number), pages)
    return Page(rows[(number - 1) * size : number * size], number, pages, len(rows), size)


def _values(row: UnitRow) -> list[Any]:
    latest = row.latest.submitted_at.astimezone(BANGKOK).replace(tzinfo=None) if row.latest else None
    notices = " · ".join(f"{n.message_th} [{n.rule}]" for n in row.notices)
    return [
        row.unit.code,
        row.unit.name_th,
        row.unit.district_label,
        row.unit.network_label,
        row.status_th,
        latest,
        row.errors,
        row.channel_th,
        notices,
    ]


def as_csv(rows: list[UnitRow]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel on a Thai Windows opens it as Thai rather than mojibake.

    A value that starts like a formula (a school name typed as "=..." in the registry) is prefixed
    with an apostrophe, the OWASP advice for CSV injection, so no spreadsheet runs it.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS_TH)
    for row in rows:
        values = _values(row)
        values[5] = values[5].strftime("%Y-%m-%d %H:%M") if values[5] else ""
        writer.writerow(["'" + v if isinstance(v, str) and v.startswith(("=", "+", "-", "@")) else v for v in values])
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(rows: list[UnitRow], title: str) -> bytes:
    """The table as a filterable sheet, written the way the master writes its sheets (text stays text)."""
    plan = SheetPlan(title[:31])
    plan.table(list(HEADERS_TH))
    plan.column_formats[5] = DATE_TIME_FORMAT
    for row in rows:
        plan.add(_values(row))
    book = Workbook()
    book.active.title = plan.name
    emit(plan, book.active, write_only=False)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
