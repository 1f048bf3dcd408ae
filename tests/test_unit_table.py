"""Sorting, paging and exporting the table of units: every unit on exactly one page, in order, and
an export that no spreadsheet can run as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from sync.office.registry import Unit
from sync.service.overview import UnitRow
from sync.service.unit_table import SORTS, as_csv, as_xlsx, page_of, sort_rows

STATUSES = ("on_time", "late", "errors", "missing")


def _row(code: int, status: str, errors: int, name: str = "") -> UnitRow:
    return UnitRow(
        Unit(code=f"{40050000 + code}", name_th=name or f"โรงเรียน {code}", district="หนองเรือ"), status, {}, None, errors
    )


rows_strategy = st.lists(st.tuples(st.sampled_from(STATUSES), st.integers(0, 5)), max_size=140).map(
    lambda spec: [_row(i, s, e) for i, (s, e) in enumerate(spec)]
)


@given(rows_strategy, st.sampled_from(sorted(SORTS)), st.booleans(), st.integers(1, 60))
def test_the_pages_of_a_sorted_table_hold_every_unit_once_in_order(rows, sort, descending, size):
    ordered = sort_rows(rows, sort, descending)
    pages = [page_of(ordered, n, size) for n in range(1, page_of(ordered, 1, size).pages + 1)]
    assert [r.unit.code for p in pages for r in p.rows] == [r.unit.code for r in ordered]
    assert sorted(r.unit.code for r in ordered) == sorted(r.unit.code for r in rows)
    keys = [SORTS[sort](r) for r in ordered]
    assert keys == sorted(keys, reverse=descending)
    assert all(p.last - p.first + 1 == len(p.rows) for p in pages if p.rows)


def test_a_page_number_out_of_range_shows_the_nearest_page():
    rows = [_row(i, "missing", 0) for i in range(120)]
    assert page_of(rows, 99, 50).number == 3 and page_of(rows, 99, 50).first == 101
    assert page_of(rows, -4, 50).number == 1 and page_of([], 2, 50).pages == 1


def test_errors_sort_first_when_the_status_column_is_sorted():
    rows = sort_rows(
        [_row(1, "on_time", 0), _row(2, "missing", 0), _row(3, "errors", 2), _row(4, "late", 0)], "status", False
    )
    assert [r.status for r in rows] == ["errors", "missing", "late", "on_time"]


def test_an_export_never_carries_a_formula():
    typed = [
        _row(1, "errors", 1, name='=HYPERLINK("http://evil.example","คลิก")'),
        _row(2, "on_time", 0, name="@SUM(A1)"),
    ]
    typed[1].latest = type(
        "Sent", (), {"submitted_at": dt.datetime(2026, 12, 4, 3, 0, tzinfo=dt.UTC), "source": "upload"}
    )()
    text = as_csv(typed).decode("utf-8-sig")
    names = [row[1] for row in csv.reader(io.StringIO(text))][1:]
    assert names == ['\'=HYPERLINK("http://evil.example","คลิก")', "'@SUM(A1)"]
    assert "2026-12-04 10:00" in text  # Bangkok time
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx(typed, "สถานะ"))).active
    assert (
        sheet["B2"].data_type == "s"
        and sheet["B2"].value.startswith("=HYPERLINK")
        and sheet["F3"].value == dt.datetime(2026, 12, 4, 10, 0)
    )
