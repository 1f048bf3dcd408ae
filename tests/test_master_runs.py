"""Runs over a kept master: nothing changed, one school changed, someone's sheets kept, a failed or interrupted
run, two runs at once, a bad file among good ones; and the fast writer equal to openpyxl cell for cell."""

from __future__ import annotations

import csv
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference
from python_calamine import CalamineWorkbook

import rules.parameters
from rules.forms import form_sets
from rules.parameters import DATA_DIR
from sync.cli import main
from sync.files.cachefile import Warm
from sync.intake.templates import write_template
from sync.ledger.database import open_ledger
from sync.ledger.lock import ConsolidationBusy
from sync.master import data as master_module
from sync.master import tablerows, unitfacts
from sync.master import writer as writer_module
from sync.master.data import MasterData
from sync.master.sheetplan import emit
from sync.office.registry import load_registry
from sync.office.settings import load_settings
from sync.rounds.consolidate import consolidate
from tests.masters import MANAGED, resubmit, sheet_rows


def test_nothing_changed_means_the_master_is_not_rewritten(demo_copy):
    settings = load_settings(demo_copy)
    before = settings.master_path().stat().st_mtime_ns
    result = consolidate(settings)
    assert not result.master_written and settings.master_path().stat().st_mtime_ns == before
    assert open_ledger(settings.database_url).runs(1)[0]["status"] == "unchanged"
    resubmit(demo_copy, 21)
    assert consolidate(settings).master_written


def test_a_master_someone_added_sheets_to_is_kept_whole_and_their_own_workbook_untouched(demo_copy):
    """The master is generated afresh every run. A master an analyst added a sheet (with a chart) to
    is kept byte for byte in master/analysis/ before it is replaced, and staff are told where; the
    analyst's own workbook in that folder stays byte for byte the same through three runs."""
    settings = load_settings(demo_copy)
    book = load_workbook(settings.master_path())
    mine = book.create_sheet("วิเคราะห์ของฉัน")
    for row in [("อำเภอ", "นักเรียน"), ("หนองเรือ", 120), ("ชุมแพ", 95)]:
        mine.append(row)
    chart = BarChart()
    chart.add_data(Reference(mine, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    mine.add_chart(chart, "D2")
    book.save(settings.master_path())
    with_sheet = settings.master_path().read_bytes()
    own = settings.master_dir / "analysis" / "งานวิเคราะห์ของฉัน.xlsx"
    own.parent.mkdir(exist_ok=True)
    own.write_bytes(with_sheet)

    for male in (31, 32, 33):
        resubmit(demo_copy, male)
        result = consolidate(settings)
        assert result.master_written
    kept = [p for p in own.parent.glob("*.xlsx") if p != own]
    assert len(kept) == 1 and kept[0].read_bytes() == with_sheet  # charts, pivots, images: the file itself
    assert own.read_bytes() == with_sheet
    again = load_workbook(settings.master_path())
    assert again.sheetnames[: len(MANAGED)] == MANAGED and "วิเคราะห์ของฉัน" not in again.sheetnames
    rows = [r for r in sheet_rows(again["ข้อมูลนักเรียน"]) if r[0] == "99000001"]
    assert [(r[7], r[8]) for r in rows] == [("ป.1", 33)]
    moved = [
        n
        for n in open_ledger(settings.database_url).last_notices(settings.fiscal_year, settings.round)
        if n["rule"] == "ANALYST-SHEETS-MOVED"
    ]
    assert not moved  # told once, on the run that moved it
    masters = [*sorted((settings.master_dir / "history").glob("*.xlsx")), settings.master_path()]
    notices = []
    for path in masters[1:]:
        book = load_workbook(path, read_only=True)
        if "ปัญหาที่พบ" in book.sheetnames:
            notices += [r for r in book["ปัญหาที่พบ"].iter_rows(values_only=True) if r[8] == "ANALYST-SHEETS-MOVED"]
        book.close()
    assert len(notices) == 1 and "วิเคราะห์ของฉัน" in notices[0][6] and "master/analysis/" in notices[0][6]


def test_the_master_is_cell_for_cell_what_openpyxl_alone_writes(demo_copy):
    """The per-form sheets' rows written as text into openpyxl's sheets read back exactly as when
    openpyxl writes every cell: values, types, number formats; text starting with = stays text.
    Checked on a first run's master, on the next, made almost wholly of blocks kept in the file,
    and on a third, whose kept blocks come from this process's memory of the run before."""
    settings = load_settings(demo_copy)
    _same_as_openpyxl(settings)
    for male in (44, 45):
        resubmit(demo_copy, male)
        assert consolidate(settings).master_written
        _same_as_openpyxl(settings)


def test_a_master_made_from_kept_views_is_the_one_a_new_process_makes(demo_copy, monkeypatch):
    """A long-lived process keeps each unit's view and the area's sums and adds only the changed
    units' difference (sync.master.tally). After one school resends a corrected file, another one with a
    mistake, a third moves district in the registry and a fourth leaves it, every sheet of its
    master is cell for cell the one a new process writes with nothing kept (memory, caches, master)."""
    settings = load_settings(demo_copy)
    resubmit(demo_copy, 30)
    assert consolidate(settings).master_written  # this process now holds the area's views
    resubmit(demo_copy, 31, code="99000002")
    unit = load_registry(settings.registry_path)["99000003"]
    write_template(
        form_sets()["school"],
        settings.inbox / unit.code / "ผิด.xlsx",
        fiscal_year=settings.fiscal_year,
        round_=settings.round,
        unit=unit,
        values={"enrolment": [{"grade": "ป.1", "male": "สิบ", "female": 12, "rooms": 1}]},
    )
    with settings.registry_path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    moved, gone = lines[3], lines[4]
    moved["district"] = "อำเภอใหม่ (สมมุติ)"
    with settings.registry_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(line for line in lines if line is not gone)
    assert consolidate(settings).master_written
    kept = _all_cells(settings.master_path())
    assert any(row and row[0] == "อำเภอใหม่ (สมมุติ)" for row in kept["สรุป"])
    assert not any(row and row[0] == gone["code"] for row in kept["สถานะการส่ง"])
    for warm in (master_module, unitfacts, tablerows):
        monkeypatch.setattr(warm, "TALLIES" if warm is master_module else "WARM", Warm())
    for made in (
        settings.master_path(),
        settings.master_dir / ".facts.sqlite",
        *settings.master_dir.glob(".rows-*.sqlite"),
    ):
        made.unlink()
    assert consolidate(settings).master_written
    afresh = _all_cells(settings.master_path())
    assert afresh.keys() == kept.keys()
    for sheet, rows in afresh.items():
        assert rows == kept[sheet], sheet


def _all_cells(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet's cells as calamine reads them, less the line that says when the master was made."""
    with CalamineWorkbook.from_path(str(path)) as book:
        sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    return {
        name: [row for row in rows if not any(isinstance(v, str) and "รวมข้อมูลเมื่อ" in v for v in row)]
        for name, rows in sheets.items()
    }


def _same_as_openpyxl(settings) -> None:
    ledger = open_ledger(settings.database_url)
    data = MasterData.collect(settings, ledger, load_registry(settings.registry_path), [])
    reference = Workbook()
    reference.remove(reference.active)
    forms = master_module.round_forms()
    for form in forms:
        plan = writer_module._form_plan(form, data)
        assert plan.units is not None
        plan.rows += [
            row for source in plan.units.sources for row in plan.units.make(source)
        ]  # every cell through openpyxl
        plan.units = None
        emit(plan, reference.create_sheet(plan.name), write_only=False)
    reference.save(settings.home / "reference.xlsx")
    expected, written = load_workbook(settings.home / "reference.xlsx"), load_workbook(settings.master_path())
    compared = 0
    for form in forms:
        old, new = expected[form.sheet], written[form.sheet]
        assert (new.max_row, new.max_column) == (old.max_row, old.max_column), form.sheet
        for old_row, new_row in zip(old.iter_rows(), new.iter_rows(), strict=True):
            for a, b in zip(old_row, new_row, strict=True):
                assert (b.value, b.data_type, b.number_format) == (a.value, a.data_type, a.number_format), (
                    f"{form.sheet}!{a.coordinate}"
                )
                compared += a.value is not None
        assert new.auto_filter.ref == old.auto_filter.ref and new.freeze_panes == "A2"
        assert new.column_dimensions["B"].width == old.column_dimensions["B"].width
    assert compared > 30_000
    formula_like = [
        c
        for row in written["คำของบประมาณ"].iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert formula_like and all(c.data_type == "s" for c in formula_like)


def test_a_run_after_one_school_resubmits_writes_only_that_schools_rows(demo_copy):
    settings = load_settings(demo_copy)
    cache = settings.master_dir / f".rows-{settings.master_path().stem}.sqlite"
    before = _kept_blocks(cache)
    resubmit(demo_copy, 41)
    assert consolidate(settings).master_written
    after = _kept_blocks(cache)
    mine = len(form_sets()["school"].forms) + 1  # its rows in each form's sheet and its line in สถานะการส่ง
    assert 1 <= len(after - before) <= mine  # that school's blocks, nobody else's
    assert len(before - after) <= mine  # its old blocks are dropped, the rest kept
    rows = [r for r in sheet_rows(load_workbook(settings.master_path())["ข้อมูลนักเรียน"]) if r[0] == "99000001"]
    assert [(r[7], r[8]) for r in rows] == [("ป.1", 41)]
    cache.write_bytes(b"not a database")  # a broken cache only costs time
    resubmit(demo_copy, 42)
    assert consolidate(settings).master_written
    rows = [r for r in sheet_rows(load_workbook(settings.master_path())["ข้อมูลนักเรียน"]) if r[0] == "99000001"]
    assert [(r[7], r[8]) for r in rows] == [("ป.1", 42)]
    assert len(_kept_blocks(cache)) == len(
        after
    )  # made afresh, the file holds the master's blocks again (those this process had in memory too)


def test_an_edited_rate_in_the_offices_rules_folder_reuses_no_kept_rows(data_copy, monkeypatch):
    """Rows and facts are kept under a salt of esaplan's code and rules data; an office whose rates
    live in its own folder (ESAPLAN_RULES_DATA, outside the package) edits one: nothing kept matches."""
    monkeypatch.setattr(rules.parameters, "DATA_DIR", data_copy)
    master_module.code_salt.cache_clear()
    before = master_module.code_salt()
    rates = next(data_copy.rglob("*.yaml"))
    rates.write_text(rates.read_text(encoding="utf-8") + "\n# แก้อัตราตามหนังสือสั่งการ\n", encoding="utf-8")
    master_module.code_salt.cache_clear()
    assert master_module.code_salt() != before
    monkeypatch.setattr(rules.parameters, "DATA_DIR", DATA_DIR)
    master_module.code_salt.cache_clear()  # the package's own data again, for the tests after this one


def _kept_blocks(cache: Path) -> set[str]:
    with closing(sqlite3.connect(cache)) as db:
        return {key for (key,) in db.execute("SELECT key FROM blocks")}


def test_previous_masters_are_kept_up_to_the_limit(demo_copy):
    settings = load_settings(demo_copy, keep_masters=2)
    for male in (1, 2, 3):
        resubmit(demo_copy, male)
        consolidate(settings)
    history = sorted((settings.master_dir / "history").glob("*.xlsx"))
    assert len(history) == 2


def test_a_failed_run_leaves_the_master_untouched(demo_copy, monkeypatch):
    settings = load_settings(demo_copy)
    before = settings.master_path().read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full while writing")

    monkeypatch.setattr(writer_module, "_issues_plan", crash)
    resubmit(demo_copy, 41)
    with pytest.raises(OSError, match="disk full"):
        consolidate(settings)
    assert settings.master_path().read_bytes() == before
    assert not list(settings.master_dir.glob(".master-*"))
    runs = open_ledger(settings.database_url).runs(1)
    assert runs[0]["status"] == "failed" and "disk full" in runs[0]["error"]


def test_an_interruption_before_the_rename_leaves_the_master_untouched(demo_copy, monkeypatch):
    settings = load_settings(demo_copy)
    before = settings.master_path().read_bytes()

    real_replace = writer_module.os.replace

    def interrupted(source, target):
        if Path(target) == settings.master_path():
            assert Path(source).stat().st_size > 0  # the new master was fully written ...
            raise KeyboardInterrupt  # ... and then Ctrl+C or a power cut hit before the rename
        real_replace(source, target)

    resubmit(demo_copy, 51)
    monkeypatch.setattr(writer_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        consolidate(settings)
    assert settings.master_path().read_bytes() == before
    assert not list(settings.master_dir.glob(".master-*"))
    assert open_ledger(settings.database_url).history("99000001")[0].version == 2  # the submission itself was kept


def test_two_runs_at_once_cannot_both_write(demo_copy):
    settings = load_settings(demo_copy, lock_timeout_s=0.2)
    with FileLock(str(settings.master_dir / ".consolidate.lock")), pytest.raises(ConsolidationBusy) as info:
        consolidate(settings)
    assert "กำลังรวมข้อมูลอยู่" in info.value.message_th
    result = CliRunner().invoke(main, ["consolidate", "--home", str(demo_copy)])
    assert result.exit_code == 0


def test_a_bad_file_does_not_stop_the_others(demo_copy):
    settings = load_settings(demo_copy)
    (settings.inbox / "99000002" / "เพิ่มเติม.xlsx").write_bytes(b"not a workbook at all")
    (settings.inbox / "99000003" / "~$lockfile.xlsx").write_bytes(b"excel lock file")
    result = consolidate(settings)
    assert result.new_versions == 1
    assert result.summary["enrolment"]["submitted"] > 20
