"""Consolidation end to end: the demo through the CLI, the master re-opened, and the safety promises."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from rules.forms import form_sets
from sync.cli import main
from sync.files.cachefile import Warm
from sync.intake.keep import ingest
from sync.intake.templates import write_template
from sync.ledger.database import open_ledger
from sync.ledger.records import Incoming
from sync.ledger.schema import submissions
from sync.ledger.status import STATUS_TH, deadline, form_status
from sync.master import data as master_module
from sync.master import unitfacts
from sync.master.data import MasterData
from sync.master.executive import executive_plan
from sync.master.sheetplan import DATE_TIME_FORMAT
from sync.master.summary import kpi_plan, summary_plan
from sync.master.writer import STATUS_FILL
from sync.office.registry import load_registry
from sync.office.settings import BANGKOK, load_settings
from sync.rounds.consolidate import consolidate
from tests.masters import MANAGED, master_path, resubmit, sheet_rows


def test_demo_prints_the_master_path_alone_on_the_last_line(demo_area):
    home, result = demo_area
    last = result.output.strip().splitlines()[-1]
    assert Path(last) == master_path(home) and Path(last).is_file()
    assert "ข้อมูลนักเรียน" in result.output and "ยังไม่ส่ง" in result.output


def test_master_has_the_promised_sheets_and_two_native_charts(demo_area):
    home, _ = demo_area
    book = load_workbook(master_path(home))
    assert book.sheetnames[: len(MANAGED)] == MANAGED
    with zipfile.ZipFile(master_path(home)) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 2


def test_the_issues_sheet_shows_a_value_as_the_school_typed_it(demo_area):
    """Workbook readers give every number as a float: 25000 typed by a school reads 25000 on the
    issues sheet, not 25000.0."""
    home, _ = demo_area
    rows = sheet_rows(load_workbook(master_path(home))["ปัญหาที่พบ"])
    found = [row[rows[0].index("ค่าที่พบ")] for row in rows[1:]]
    numbers = [v for v in found if isinstance(v, str) and v.replace(".", "", 1).isdigit()]
    assert numbers and not [v for v in numbers if v.endswith(".0")], numbers


def test_every_planted_mistake_is_listed_with_its_cell(demo_area):
    home, _ = demo_area
    with (home / "demo-mistakes.csv").open(encoding="utf-8-sig") as handle:
        planted = list(csv.DictReader(handle))
    assert len(planted) >= 13
    rows = sheet_rows(load_workbook(master_path(home))["ปัญหาที่พบ"])
    header = rows[0]
    index = {name: header.index(name) for name in ("รหัสหน่วย", "แผ่นงาน", "เซลล์", "กฎ")}
    listed = {(r[index["รหัสหน่วย"]], r[index["แผ่นงาน"]], r[index["เซลล์"]], r[index["กฎ"]]) for r in rows[1:]}
    for mistake in planted:
        assert (mistake["unit_code"], mistake["sheet"], mistake["cell"], mistake["rule"]) in listed, mistake


def test_status_sheet_shows_missing_late_errors_and_on_time(demo_area):
    home, _ = demo_area
    rows = sheet_rows(load_workbook(master_path(home))["สถานะการส่ง"])
    column = rows[0].index("ข้อมูลนักเรียน")
    by_code = {r[0]: r[column] for r in rows[1:]}
    registry = load_registry(home / "registry.csv")
    schools = [u.code for u in registry.values() if u.kind == "school"]
    assert set(by_code[c] for c in schools) == {"ส่งตรงเวลา", "ส่งช้า", "มีข้อผิดพลาด", "ยังไม่ส่ง"}
    assert [by_code[c] for c in schools[-6:]] == ["ยังไม่ส่ง"] * 6
    assert by_code["99000006"] == "มีข้อผิดพลาด"  # renamed header
    assert by_code["99000008"] == "มีข้อผิดพลาด"  # typed another school's code
    assert rows[0].index("ความก้าวหน้าโครงการ") and by_code["G01"] == "-"


def test_status_cells_carry_their_colour_and_the_last_time_its_format(demo_area):
    home, _ = demo_area
    sheet = load_workbook(master_path(home))["สถานะการส่ง"]
    header = [c.value for c in sheet[1]]
    colours = {STATUS_TH[status]: fill.fgColor.rgb for status, fill in STATUS_FILL.items()}
    seen = set()
    for row in sheet.iter_rows(min_row=2):
        for cell in row[header.index("ข้อมูลนักเรียน") : header.index("ส่งล่าสุด")]:
            if cell.value == "-":  # a form the unit does not send: no colour
                assert cell.fill.fgColor.rgb in (None, "00000000"), cell.coordinate
            else:
                assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == colours[cell.value], cell.coordinate
                seen.add(cell.value)
        last = row[header.index("ส่งล่าสุด")]
        assert last.value is None or (isinstance(last.value, dt.datetime) and last.number_format == DATE_TIME_FORMAT)
    assert seen == set(colours)


def test_form_sheets_are_tidy_and_carry_unit_columns(demo_area):
    home, _ = demo_area
    book = load_workbook(master_path(home))
    rows = sheet_rows(book["ข้อมูลนักเรียน"])
    assert list(rows[0][:9]) == ["รหัสหน่วย", "ชื่อหน่วย", "อำเภอ", "กลุ่มเครือข่าย", "ขนาด", "ฉบับที่", "ส่งเมื่อ", "ชั้น", "ชาย (คน)"]
    first = rows[1]
    assert first[0] == "99000001" and first[1].endswith("(สมมุติ)") and isinstance(first[6], dt.datetime)
    total = rows[0].index("รวม (คน)")
    assert all(r[total] == r[8] + r[9] for r in rows[1:] if r[8] is not None and r[9] is not None)
    codes = {r[0] for r in rows[1:]}
    assert "99000008" not in codes  # a file claiming another school's code is not consolidated
    assert "99000006" in codes  # a renamed header loses that column only


def test_text_that_looks_like_a_formula_stays_text_in_the_master(demo_area):
    home, _ = demo_area
    sheet = load_workbook(master_path(home))["คำของบประมาณ"]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)
    assert cells[0].value == '=HYPERLINK("http://example.invalid","คลิก")'
    issues = load_workbook(master_path(home))["ปัญหาที่พบ"]
    assert all(
        c.data_type == "s"
        for row in issues.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    )


def test_summary_totals_and_kpi_achievement(demo_area):
    home, _ = demo_area
    book = load_workbook(master_path(home))
    rows = sheet_rows(book["สรุป"])
    total = next(r for r in rows if r and r[0] == "รวมทั้งเขต")
    enrolment = sheet_rows(load_workbook(master_path(home))["ข้อมูลนักเรียน"])
    header = enrolment[0]
    counted = [r for r in enrolment[1:] if r[header.index("นำไปรวม")] == "ใช่"]
    assert len(counted) < len(enrolment) - 1, "the demo's mistakes leave rows out"
    assert total[3] == sum((r[header.index("ชาย (คน)")] or 0) + (r[header.index("หญิง (คน)")] or 0) for r in counted)
    kpi_rows = [r for r in sheet_rows(book["สรุปตัวชี้วัด"]) if r and r[0] and str(r[0]).startswith("S2.4")]
    assert kpi_rows and kpi_rows[0][8] == 10 and kpi_rows[0][10] in {"บรรลุเป้าหมาย", "ไม่บรรลุเป้าหมาย"}


def _count(home: Path) -> int:
    ledger = open_ledger(load_settings(home).database_url)
    with ledger.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(submissions)).scalar_one()


def test_consolidating_the_same_inputs_again_changes_nothing(demo_copy):
    before = _count(demo_copy)
    result = CliRunner().invoke(main, ["consolidate", "--home", str(demo_copy)])
    assert result.exit_code == 0, result.output
    assert "ฉบับใหม่ 0" in result.output
    assert _count(demo_copy) == before
    assert Path(result.output.strip().splitlines()[-1]) == master_path(demo_copy)


def test_progress_follows_every_file_then_every_sheet_of_the_master(demo_copy):
    """The Consolidate button's bar and the command line's bars are fed from these reports."""
    for path in (demo_copy / "inbox").rglob("*.xlsx"):
        with zipfile.ZipFile(path, "a") as archive:
            archive.comment = b"sent again"
    heard: list[tuple[str, int, int, str]] = []
    result = consolidate(load_settings(demo_copy), progress=lambda *report: heard.append(report))
    checks = [r for r in heard if r[0] == "check"]
    writes = [r for r in heard if r[0] == "master"]
    assert heard == checks + writes, "all files are checked before the master is written"
    done = [r[1] for r in checks]  # a second copy of one file counts as done without being read
    assert (
        done == list(range(done[0], result.files_seen + 1))
        and done[0] <= 2
        and {r[2] for r in checks} == {result.files_seen}
    )
    assert {r[3] for r in checks} >= {"99000001", "99000002", "G08"}
    sheets = len(MANAGED) + 1  # and the save
    assert [r[1:3] for r in writes] == [(n, sheets) for n in range(sheets + 1)]


def test_a_newer_version_supersedes_and_the_older_stays_retrievable(demo_copy):
    settings = load_settings(demo_copy)
    registry = load_registry(settings.registry_path)
    unit = registry["99000001"]
    values = {"enrolment": [{"grade": "ป.1", "male": 11, "female": 12, "rooms": 1}]}
    path = write_template(
        form_sets()["school"],
        demo_copy / "new.xlsx",
        fiscal_year=settings.fiscal_year,
        round_=settings.round,
        unit=unit,
        values=values,
    )
    ledger = open_ledger(settings.database_url)
    new = ingest(
        settings,
        ledger,
        registry,
        Incoming(unit.code, path.read_bytes(), "แก้ไขแล้ว.xlsx", dt.datetime.now(BANGKOK), "upload"),
    )
    assert new.version == 2
    again = ingest(
        settings,
        ledger,
        registry,
        Incoming(unit.code, path.read_bytes(), "ส่งซ้ำ.xlsx", dt.datetime.now(BANGKOK), "upload"),
    )
    assert again.id == new.id  # the same file twice is one version
    consolidate(settings)
    rows = [r for r in sheet_rows(load_workbook(settings.master_path())["ข้อมูลนักเรียน"]) if r[0] == "99000001"]
    assert [(r[5], r[7], r[8], r[9]) for r in rows] == [(2, "ป.1", 11, 12)]
    history = ledger.history("99000001")
    assert [s.version for s in history] == [2, 1]
    assert all((settings.store / f"{s.sha256}.xlsx").is_file() for s in history)
    assert len(history[1].data["enrolment"]) > 1


def test_lateness_is_judged_against_the_deadline_in_bangkok_time():
    form_set = form_sets()["school"]
    due = deadline(form_set, 2569, 12)
    assert due == dt.datetime(2026, 10, 15, 23, 59, 59, tzinfo=BANGKOK)

    class Sent:
        accepted = True

        def __init__(self, when):
            self.submitted_at = when

    sheets = {"enrolment": 0}
    assert form_status(Sent(due), "enrolment", [], due, sheets) == "on_time"
    assert form_status(Sent(due + dt.timedelta(seconds=1)), "enrolment", [], due, sheets) == "late"
    assert form_status(Sent(due), "enrolment", [{"severity": "error", "form": "enrolment"}], due, sheets) == "errors"
    assert form_status(Sent(due), "class_plan", [], due, sheets) == "errors"  # the sheet was missing
    assert form_status(None, "enrolment", [], due, {}) == "missing"


def test_an_old_form_version_is_read_by_its_headers_with_a_warning(demo_copy):
    from openpyxl import load_workbook as open_book

    settings = load_settings(demo_copy)
    registry = load_registry(settings.registry_path)
    unit = registry["99000002"]
    path = write_template(
        form_sets()["school"],
        demo_copy / "old.xlsx",
        fiscal_year=settings.fiscal_year,
        round_=settings.round,
        unit=unit,
        values={"enrolment": [{"grade": "ป.1", "male": 5, "female": 6, "rooms": 1}]},
    )
    book = open_book(path)
    book["_esaplan"]["B2"] = "enrolment:0"
    book.save(path)
    submission = ingest(
        settings,
        open_ledger(settings.database_url),
        registry,
        Incoming(unit.code, path.read_bytes(), "old.xlsx", dt.datetime.now(BANGKOK), "upload"),
    )
    issues = open_ledger(settings.database_url).issues_of([submission.id])[submission.id]
    assert [(i["rule"], i["severity"]) for i in issues if i["rule"] == "FORM-VERSION"] == [("FORM-VERSION", "warning")]
    assert submission.accepted and submission.data["enrolment"][0]["male"] == 5


def test_consolidate_without_a_registry_says_what_to_do(tmp_path):
    result = CliRunner().invoke(main, ["consolidate", "--home", str(tmp_path / "new")])
    assert result.exit_code == 1
    assert "ยังไม่มีทะเบียนหน่วยงาน" in result.output and "registry.csv" in result.output


def test_consolidate_on_the_real_area_registry_with_nothing_submitted(tmp_path, shared_data):
    import shutil

    home = tmp_path / "kk5"
    home.mkdir()
    shutil.copy(shared_data / "khonkaen-area5-schools-2022.csv", home / "registry.csv")
    result = CliRunner().invoke(main, ["consolidate", "--home", str(home), "--fy", "2570", "--round", "6"])
    assert result.exit_code == 0, result.output
    rows = sheet_rows(load_workbook(Path(result.output.strip().splitlines()[-1]))["สถานะการส่ง"])
    assert len(rows) == 261 and {r[6] for r in rows[1:]} == {"ยังไม่ส่ง"}
    assert sum(1 for r in rows[1:] if r[2] == "(ไม่ระบุอำเภอ)") == 6


def test_summaries_from_kept_facts_are_those_of_rows_read_afresh(demo_copy, monkeypatch):
    """The summaries read each version's facts from this process's memory of its last run, then
    from master/.facts.sqlite; with both gone they are worked out from the rows again, and the
    area's pupils equal a sum taken independently from the counted rows of the master's own
    ข้อมูลนักเรียน sheet."""
    settings = load_settings(demo_copy)
    resubmit(demo_copy, 37)  # one new version whose facts are made now; the rest are kept from the demo's runs
    assert consolidate(settings).master_written
    registry = load_registry(settings.registry_path)
    in_memory = MasterData.collect(settings, open_ledger(settings.database_url), registry, [])
    monkeypatch.setattr(unitfacts, "WARM", Warm())  # a new process: the file only
    monkeypatch.setattr(master_module, "TALLIES", Warm())
    kept = MasterData.collect(settings, open_ledger(settings.database_url), registry, [])
    assert kept.facts == in_memory.facts
    (settings.master_dir / ".facts.sqlite").unlink()
    monkeypatch.setattr(unitfacts, "WARM", Warm())
    monkeypatch.setattr(master_module, "TALLIES", Warm())
    afresh = MasterData.collect(settings, open_ledger(settings.database_url), registry, [])
    assert kept.facts == afresh.facts and kept.statuses == afresh.statuses
    forms = master_module.round_forms()
    for make in (lambda data: summary_plan(data, forms), kpi_plan, executive_plan):
        assert make(kept).rows[2:] == make(afresh).rows[2:]  # rows 0-1: the title and the time it was made

    master = load_workbook(settings.master_path())
    header, *rows = sheet_rows(master["ข้อมูลนักเรียน"])
    male, female, counted, kind = (
        header.index("ชาย (คน)"),
        header.index("หญิง (คน)"),
        header.index("นำไปรวม"),
        header.index("รหัสหน่วย"),
    )
    schools = {u.code for u in registry.values() if u.kind == "school"}
    pupils = sum(r[male] + r[female] for r in rows if r[counted] == "ใช่" and r[kind] in schools)
    area = next(r for r in sheet_rows(master["สรุป"]) if r and r[0] == "รวมทั้งเขต")
    assert pupils > 0 and area[3] == pupils


def test_a_file_rewritten_in_place_is_read_again(demo_copy):
    """The inbox's unchanged files are not re-read (their size and time match what was read); a
    school saving over its own file changes both, and its new content is a new version."""
    settings = load_settings(demo_copy)
    unit = load_registry(settings.registry_path)["99000001"]
    path = settings.inbox / unit.code / "ส่งซ้ำที่เดิม.xlsx"
    for male in (5, 6):
        values = {"enrolment": [{"grade": "ป.1", "male": male, "female": 12, "rooms": 1}]}
        write_template(
            form_sets()["school"],
            path,
            fiscal_year=settings.fiscal_year,
            round_=settings.round,
            unit=unit,
            values=values,
        )
        assert consolidate(settings).new_versions == 1
        rows = [r for r in sheet_rows(load_workbook(settings.master_path())["ข้อมูลนักเรียน"]) if r[0] == unit.code]
        assert [(r[7], r[8]) for r in rows] == [("ป.1", male)]
    assert consolidate(settings).new_versions == 0
