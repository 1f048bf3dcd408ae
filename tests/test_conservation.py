"""Conservation of submissions, as a property: whatever schools do to their workbooks, the run finishes,
every file ends as a version of this round or a notice, and the master's totals are what the ledger's
valid rows add up to (recomputed here from the database, not through the master's code)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import random
import shutil
import tempfile
from collections import defaultdict
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from sqlalchemy import select

from rules.forms import form_sets
from sync.demo.area import school_values
from sync.intake.templates import write_template
from sync.ledger.database import open_ledger
from sync.ledger.schema import issues, submissions
from sync.ledger.versions import loads
from sync.office.registry import load_registry
from sync.office.settings import load_settings
from sync.rounds.consolidate import consolidate
from tests.hand_area import real_registry

FY, ROUND = 2570, 6
SCHOOLS = 5
SHEETS = [f.sheet for f in form_sets()["school"].forms] + ["คำชี้แจง"]
STAMP = dt.datetime(2027, 4, 1, 9, 0, tzinfo=dt.UTC).timestamp()

ODD_TEXT = [
    "๑๒",
    "1,234",
    "85%",
    "=1+1",
    "+66",
    "สิบสอง",
    "",
    " ",
    "-5",
    "(500)",
    "๒๔/๑๑/๖๙",
    "ป.๑",
    "งบลงทุน",
    "S1.3",
    "ใช่",
]
CELL_VALUES = st.one_of(
    st.none(),
    st.integers(-10, 10**7),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    st.sampled_from(ODD_TEXT),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=6),
    st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    st.booleans(),
)
META_VALUES = st.one_of(
    st.sampled_from([2026, 70, 2569, 2570, 2571, "๒๕๗๐", "abc", 6, 7, 9, 12, "group", "school", "", None]),
    st.integers(-5, 5000),
)
MUTATION = st.one_of(
    st.tuples(st.just("cell"), st.sampled_from(SHEETS), st.integers(1, 18), st.integers(1, 8), CELL_VALUES),
    st.tuples(st.just("drop"), st.sampled_from(SHEETS)),
    st.tuples(
        st.just("meta"), st.sampled_from(["form_set", "form_version", "fiscal_year", "round", "unit_code"]), META_VALUES
    ),
    st.tuples(st.just("code"), st.sampled_from(["other", "thai", "apostrophe", "number", "blank", "garbage"])),
    st.tuples(st.just("bytes"), st.sampled_from(["truncate", "garbage", "empty"])),
)
FILES = st.lists(st.lists(MUTATION, max_size=3), max_size=2)  # what one school sends: nothing, one file, or two
META_ROWS = {"form_set": 1, "form_version": 2, "fiscal_year": 3, "round": 4, "unit_code": 5}


@cache
def _base() -> tuple[Path, dict[str, bytes]]:
    """The registry (the first real schools, as they are) and each school's valid workbook, made once."""
    folder = Path(tempfile.mkdtemp(prefix="esaplan-conservation-"))
    real_registry(folder, schools=SCHOOLS)
    units = load_registry(folder / "registry.csv")
    books = {}
    for code, unit in units.items():
        path = write_template(
            form_sets()["school"],
            folder / f"{code}.xlsx",
            fiscal_year=FY,
            round_=ROUND,
            unit=unit,
            values=school_values(unit, random.Random(code)),
        )
        books[code] = path.read_bytes()
    return folder, books


def _mutate(content: bytes, code: str, others: list[str], mutations: list[tuple]) -> bytes:
    book = load_workbook(io.BytesIO(content))
    for mutation in mutations:
        kind = mutation[0]
        if kind == "cell" and mutation[1] in book.sheetnames:
            cell = book[mutation[1]].cell(row=mutation[2], column=mutation[3])
            if not isinstance(cell, MergedCell):  # inside a merged block only its first cell takes typing
                cell.value = mutation[4]
        elif kind == "drop" and mutation[1] in book.sheetnames and len(book.sheetnames) > 1:
            del book[mutation[1]]
        elif kind == "meta" and "_esaplan" in book.sheetnames:
            book["_esaplan"].cell(row=META_ROWS[mutation[1]], column=2, value=mutation[2])
        elif kind == "code" and "คำชี้แจง" in book.sheetnames:
            typed = {
                "other": others[0],
                "thai": code.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")),
                "apostrophe": f"'{code}",
                "number": int(code),
                "blank": None,
                "garbage": "โรงเรียน",
            }
            book["คำชี้แจง"]["C5"] = typed[mutation[1]]
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    for mutation in mutations:
        if mutation[0] == "bytes":
            data = {"truncate": data[: len(data) // 2], "garbage": bytes(range(256)) * 8, "empty": b""}[mutation[1]]
    return data


def _recomputed(database_url: str) -> dict[str, Decimal]:
    """Totals straight from the ledger's tables: the newest accepted version of each school for the
    round (a later refused file takes nothing out), its rows, minus rows an error points at, minus
    whole forms an error points outside their rows. (The files here are sent in the order they were
    saved, so the newest is the highest version number.)"""
    ledger = open_ledger(database_url)
    with ledger.engine.connect() as connection:
        versions = connection.execute(
            select(submissions).where(
                submissions.c.fiscal_year == FY, submissions.c.round == ROUND, submissions.c.accepted.is_(True)
            )
        ).all()
        newest: dict[str, Any] = {}
        for row in versions:
            if row.unit_code not in newest or row.version > newest[row.unit_code].version:
                newest[row.unit_code] = row
        errors: dict[tuple[int, str], set[str]] = defaultdict(set)
        for issue in connection.execute(select(issues).where(issues.c.severity == "error")):
            errors[(issue.submission_id, issue.form)].add(issue.cell)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in newest.values():
        if not row.accepted:
            continue
        data = loads(row.data)
        for form, rows in data.items():
            bad_rows = {
                int("".join(ch for ch in cell if ch.isdigit())) if any(ch.isdigit() for ch in cell) else -1
                for cell in errors[(row.id, form)]
            }
            if bad_rows - {r["_row"] for r in rows}:
                continue
            for r in rows:
                if r["_row"] in bad_rows:
                    continue
                if form == "enrolment":
                    totals["pupils"] += (r.get("male") or 0) + (r.get("female") or 0)
                    totals["rooms"] += r.get("rooms") or 0
                elif form == "budget_use":
                    totals["allocated"] += r.get("allocated") or 0
                    totals["disbursed"] += r.get("disbursed") or 0
                elif form == "kpi_report" and r.get("kpi") == "S1.3":
                    totals["S1.3 numerator"] += r["numerator"]
                    totals["S1.3 denominator"] += r["denominator"]
    return totals


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sent=st.lists(FILES, min_size=SCHOOLS, max_size=SCHOOLS),
    resent=st.lists(st.one_of(st.none(), st.lists(MUTATION, max_size=3)), min_size=SCHOOLS, max_size=SCHOOLS),
    orphan=st.booleans(),
    duplicate=st.booleans(),
)
def test_every_file_is_accounted_for_and_every_total_is_the_ledgers(sent, resent, orphan, duplicate):
    """Then some schools send one more file and the same process runs again: it adds only their
    difference to the sums it kept (sync.master.tally), and the totals are the ledger's again."""
    base, books = _base()
    codes = sorted(books)
    home = Path(tempfile.mkdtemp(prefix="esaplan-run-"))
    try:
        shutil.copy(base / "registry.csv", home / "registry.csv")
        expected: dict[str, set[str]] = {}
        for index, (code, files) in enumerate(zip(codes, sent, strict=True)):
            for number, mutations in enumerate(files):
                content = _mutate(books[code], code, [c for c in codes if c != code], mutations)
                path = home / "inbox" / code / f"ส่งครั้งที่{number + 1}.xlsx"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
                stamp = STAMP + index * 100 + number
                os.utime(path, (stamp, stamp))
                expected.setdefault(code, set()).add(hashlib.sha256(content).hexdigest())
                if duplicate and number == 0:
                    shutil.copy(path, path.with_name("สำเนา.xlsx"))
        if orphan:
            (home / "inbox").mkdir(exist_ok=True)
            (home / "inbox" / "ไม่รู้ว่าของใคร.xlsx").write_bytes(books[codes[0]])

        settings_ = load_settings(home, fiscal_year=FY, round=ROUND)
        result = consolidate(settings_)
        unknown = [n for n in result.notices if n.rule == "UNKNOWN-UNIT"]
        assert len(unknown) == int(orphan) and (not orphan or "ไม่รู้ว่าของใคร.xlsx" in unknown[0].message_th)
        _check(settings_, result, codes, expected)

        again = consolidate(settings_)
        assert again.new_versions == 0 and not again.master_written, "the same inputs again change nothing"

        for index, (code, mutations) in enumerate(zip(codes, resent, strict=True)):
            if mutations is not None:
                content = _mutate(books[code], code, [c for c in codes if c != code], mutations)
                path = home / "inbox" / code / "ส่งอีกครั้ง.xlsx"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
                stamp = STAMP + 10_000 + index
                os.utime(path, (stamp, stamp))
                expected.setdefault(code, set()).add(hashlib.sha256(content).hexdigest())
        _check(settings_, consolidate(settings_), codes, expected)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _check(settings_, result, codes: list[str], expected: dict[str, set[str]]) -> None:
    """Every file stored once; each school's status and the master's totals are the ledger's."""
    ledger = open_ledger(settings_.database_url)
    for code in codes:
        stored = [s for s in ledger.history(code) if (s.fiscal_year, s.round) == (FY, ROUND)]
        assert {s.sha256 for s in stored} == expected.get(code, set()), f"{code}: every file once, nothing else"
        assert len(stored) == len({s.sha256 for s in stored})

    book = load_workbook(result.master_path, read_only=True)
    header, *lines = book["สถานะการส่ง"].iter_rows(values_only=True)
    status = {
        row[0]: dict(zip(header, (*row, *(None,) * len(header)), strict=False)) for row in lines
    }  # a line's empty last cells are not written
    problems = [row for row in book["ปัญหาที่พบ"].iter_rows(min_row=2, values_only=True)]
    forms = len(form_sets()["school"].forms)
    for code in codes:
        shown = list(status[code].values())[6 : 6 + forms]
        if code in expected:
            assert "ยังไม่ส่ง" not in shown, f"{code} sent something: it is never shown as missing"
            sent_here = [s for s in ledger.history(code) if (s.fiscal_year, s.round) == (FY, ROUND)]
            newest = max(sent_here, key=lambda s: s.version)
            accepted = [s.version for s in sent_here if s.accepted]
            assert status[code]["ฉบับที่"] == newest.version
            if newest.accepted or not accepted:
                assert status[code]["ใช้ข้อมูลฉบับที่"] == (newest.version if newest.accepted else None)
            else:
                assert (
                    status[code]["ใช้ข้อมูลฉบับที่"] == f"ฉบับล่าสุด (ฉบับที่ {newest.version}) ถูกปฏิเสธ ใช้ข้อมูลฉบับที่ {max(accepted)}"
                ), "a later refused file takes nothing out"
            if not newest.accepted or "มีข้อผิดพลาด" in shown:
                assert any(p[0] == code and p[5] == "ข้อผิดพลาด" for p in problems), f"{code}: an error is listed for it"
        else:
            assert set(shown) == {"ยังไม่ส่ง"}

    totals = _recomputed(settings_.database_url)
    summary = list(book["สรุป"].iter_rows(values_only=True))
    area_row = next(row for row in summary if row and row[0] == "รวมทั้งเขต")  # the district table's total
    assert (area_row[3], area_row[4]) == (totals["pupils"], totals["rooms"])
    assert Decimal(str(area_row[5])) == totals["allocated"] and Decimal(str(area_row[7])) == totals["disbursed"]
    s13 = next(row for row in book["สรุปตัวชี้วัด"].iter_rows(values_only=True) if row and row[0] == "S1.3")
    assert Decimal(str(s13[5] or 0)) == totals["S1.3 numerator"]
    assert Decimal(str(s13[6] or 0)) == totals["S1.3 denominator"]
    book.close()
