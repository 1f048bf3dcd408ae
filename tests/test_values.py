"""Values as the school meant them, proven against an independent truth.

Each school here is a truth table (pupils and rooms per grade, budget lines). Its workbook is made
from it the ways people make one - typed cell by cell into the template, saved again by LibreOffice
Calc, copied into a new workbook - and then one of the catalogued human mistakes is applied, each
declaring what must count (tests/truth.py). The master's totals, district by district, must equal
sums of the truth with those outcomes applied: never a recomputation from the ledger, which holds
whatever esaplan read, right or wrong.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from sync.cli import main
from sync.ledger.database import open_ledger
from sync.office.registry import load_registry
from tests.hand_area import REGISTRY, HandArea, real_registry
from tests.libreoffice import resaved
from tests.truth import BY_KEY, MISTAKES, WHEN, Grade, Line, School, copied, expected_totals, saved_at, stamp, type_in

FY, ROUND = 2570, 6
UNITS = load_registry(REGISTRY)
CHUMPHAE = [u for u in UNITS.values() if u.district == "ชุมแพ"]
NONGRUEA = [u for u in UNITS.values() if u.district == "หนองเรือ"]


def _school(unit, grades=None, lines=None) -> School:
    return School(
        unit.code,
        unit.district_label,
        tuple(grades or (Grade("ป.1", 5, 6, 1), Grade("ป.2", 4, 4, 1), Grade("ป.3", 7, 8, 1))),
        tuple(
            lines
            or (
                Line("ค่าจัดการเรียนการสอน", "งบเงินอุดหนุน", 120_000, 10_000, 60_000),
                Line("ค่าอาหารกลางวัน", "งบเงินอุดหนุน", 90_000, 0, 45_000),
            )
        ),
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    area = HandArea(tmp_path_factory.mktemp("templates") / "home", FY, ROUND)
    real_registry(area.home)
    return area.templates()


@pytest.fixture
def area(tmp_path) -> HandArea:
    made = HandArea(tmp_path / "home", FY, ROUND)
    real_registry(made.home)
    return made


def _master(area: HandArea) -> dict[str, list]:
    with CalamineWorkbook.from_path(str(area.settings.master_path())) as book:
        return {name: book.get_sheet_by_name(name).to_python() for name in ("สรุป", "ปัญหาที่พบ", "สถานะการส่ง")}


def _districts(master: dict[str, list]) -> dict[str, tuple]:
    """The district table of สรุป: pupils, rooms, allocated, disbursed by district (its first rows after the heading)."""
    rows = master["สรุป"]
    start = next(i for i, row in enumerate(rows) if row and row[0] == "อำเภอ")
    found = {}
    for row in rows[start + 1 :]:
        if not row or row[0] in ("", None) or row[0] == "รวมทั้งเขต":
            break
        found[row[0]] = (int(row[3] or 0), int(row[4] or 0), int(row[5] or 0), int(row[7] or 0))
    return found


def _rules_of(master: dict[str, list], code: str) -> set[str]:
    return {str(row[8]) for row in master["ปัญหาที่พบ"][1:] if row and row[0] == code}


def _agrees(area: HandArea, counted: list[School]) -> None:
    """The master's district totals are the truth's, district by district (districts nobody sent for at zero)."""
    master = _master(area)
    expected = expected_totals(counted)
    shown = _districts(master)
    for district, totals in shown.items():
        want = expected.get(district, {})
        assert totals == (
            want.get("pupils", 0),
            want.get("rooms", 0),
            want.get("allocated", 0),
            want.get("disbursed", 0),
        ), district


def _consolidate(area: HandArea) -> None:
    result = area.consolidate()
    assert result.exit_code == 0, result.output


# --- the catalogue, one mistake at a time ---------------------------------------------------------


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.key for m in MISTAKES])
def test_each_catalogued_mistake_counts_as_it_declares(mistake, area, template, tmp_path):
    school = _school(CHUMPHAE[0])
    other = _school(
        CHUMPHAE[1], grades=(Grade("ป.4", 9, 9, 1),), lines=(Line("ค่าวัสดุ", "งบดำเนินงาน", 20_000, 0, 5_000),)
    )
    assert mistake.needs(school)
    path = type_in(area, template, school, area.home / "inbox" / school.code / "แบบรายงาน.xlsx")
    counted = mistake.apply(school, path)
    type_in(area, template, other, area.home / "inbox" / other.code / "แบบรายงาน.xlsx")
    _consolidate(area)
    _agrees(area, [counted, other])
    rules = _rules_of(_master(area), school.code)
    if mistake.rule:
        assert mistake.rule in rules, (mistake.key, rules)
    else:
        assert not {r for r in rules if r not in ("NORMALISED",)}, rules
    assert not _rules_of(_master(area), other.code) - {"NORMALISED"}, "the other school is untouched"


def test_a_libreoffice_resave_reads_the_same_and_says_where_its_sheet_shows_another_figure(area, template, tmp_path):
    """A school fills its form in LibreOffice Calc: the same figures are read, and a count typed as
    text (which the sheet's own รวม formula takes as 0) is said with both figures."""
    school = _school(CHUMPHAE[0])
    typed = type_in(area, template, school, tmp_path / "made" / f"{school.code}.xlsx")
    BY_KEY["thai_digits"].apply(school, typed)
    [again] = resaved([typed], tmp_path / "lo")
    target = area.home / "inbox" / school.code / "แบบรายงาน.xlsx"
    target.parent.mkdir(parents=True)
    shutil.copy(again, target)
    _consolidate(area)
    _agrees(area, [school])
    issues = [row for row in _master(area)["ปัญหาที่พบ"][1:] if row[0] == school.code and row[8] == "FORMULA-DIFFERS"]
    assert issues and "แสดง 6" in issues[0][6] and "รวมได้ 11" in issues[0][6], issues


def test_a_workbook_copied_into_a_new_file_is_read_by_its_headers(area, template, tmp_path):
    school = _school(CHUMPHAE[0])
    path = type_in(area, template, school, area.home / "inbox" / school.code / "แบบรายงาน.xlsx")
    copied(path)
    _consolidate(area)
    _agrees(area, [school])
    assert "NOT-TEMPLATE" in _rules_of(_master(area), school.code)


# --- versions: what counts when a school sends again ----------------------------------------------


def test_a_later_refused_file_never_takes_accepted_data_out(area, template, tmp_path):
    """A good file, then a PDF sent as a "correction": the good data still count, and the school is
    told its latest was refused and which version counts."""
    school = _school(CHUMPHAE[0])
    good = type_in(area, template, school, area.home / "inbox" / school.code / "แบบรายงาน.xlsx")
    stamp(good, WHEN)
    pdf = area.home / "inbox" / school.code / "แก้ไข.xlsx"
    pdf.write_bytes(b"%PDF-1.4 a scanned letter")
    stamp(pdf, WHEN + 3600)
    _consolidate(area)
    _agrees(area, [school])
    status = _status(area, school.code)
    assert status["ใช้ข้อมูลฉบับที่"] == "ฉบับล่าสุด (ฉบับที่ 2) ถูกปฏิเสธ ใช้ข้อมูลฉบับที่ 1"
    assert "OLDER-VERSION-COUNTED" in _rules_of(_master(area), school.code)


@pytest.mark.parametrize("stray_after", [600, -600], ids=["stray-newer", "stray-older"])
def test_another_schools_file_in_the_wrong_folder_counts_for_nobody_until_moved(area, template, tmp_path, stray_after):
    """Newer or older than the folder school's own file, the stray file counts for nobody and staff read
    where it belongs, every run, until it is moved (older, its refused version is not the latest, so the
    message comes as a notice on the inbox)."""
    here, there = _school(CHUMPHAE[0]), _school(NONGRUEA[0], grades=(Grade("ป.5", 20, 20, 1),))
    type_in(area, template, here, area.home / "inbox" / here.code / "แบบรายงาน.xlsx")
    stamp(area.home / "inbox" / here.code / "แบบรายงาน.xlsx", WHEN)
    stray = type_in(area, template, there, area.home / "inbox" / here.code / "ของโรงเรียนอื่น.xlsx")
    stamp(stray, WHEN + stray_after)
    _consolidate(area)
    _agrees(area, [here])  # the folder school keeps its data; the stray file counts for nobody
    message = next(row[6] for row in _master(area)["ปัญหาที่พบ"][1:] if row[0] == here.code and row[8] == "WRONG-UNIT")
    assert f"inbox/{there.code}/" in message
    _consolidate(area)  # a run where nothing changed says it again
    assert "WRONG-UNIT" in _rules_of(_master(area), here.code)

    moved = area.home / "inbox" / there.code / stray.name
    moved.parent.mkdir(parents=True)
    stray.rename(moved)
    _consolidate(area)
    _agrees(area, [here, there])
    assert "WRONG-UNIT" not in _rules_of(_master(area), here.code), (
        "once moved, it is no longer the folder school's latest"
    )
    assert _status(area, here.code)["ใช้ข้อมูลฉบับที่"] == (1 if stray_after > 0 else 2)  # its own file's version


def test_versions_follow_the_time_the_school_saved_them_then_staff_can_choose(area, template, tmp_path):
    """Staff save two e-mail attachments in the wrong order: the one the school saved last counts,
    whatever order they arrived in; staff can make the other one count, and go back."""
    older = _school(CHUMPHAE[0], grades=(Grade("ป.1", 5, 5, 1),))
    newer = _school(CHUMPHAE[0], grades=(Grade("ป.1", 9, 9, 1),))
    inbox = area.home / "inbox" / older.code
    saved_at(type_in(area, template, newer, inbox / "ฉบับแก้.xlsx"), dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC))
    stamp(inbox / "ฉบับแก้.xlsx", WHEN)  # arrived first
    saved_at(type_in(area, template, older, inbox / "ฉบับแรก.xlsx"), dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC))
    stamp(inbox / "ฉบับแรก.xlsx", WHEN + 600)  # arrived second
    _consolidate(area)
    _agrees(area, [newer])

    chosen = CliRunner().invoke(
        main, ["versions", older.code, "--home", str(area.home), "--fy", str(FY), "--round", str(ROUND), "--use", "2"]
    )
    assert chosen.exit_code == 0 and "ใช้ข้อมูลฉบับที่ 2" in chosen.output, chosen.output
    _consolidate(area)
    _agrees(area, [older])
    assert _status(area, older.code)["ใช้ข้อมูลฉบับที่"] == "เจ้าหน้าที่เลือกใช้ข้อมูลฉบับที่ 2 (ฉบับล่าสุดคือฉบับที่ 1)"
    audit = open_ledger(area.settings.database_url).engine
    from sync.service.accounts import Audit

    assert any(e["action"] == "version-chosen" and e["target"] == older.code for e in Audit(audit).recent())

    back = CliRunner().invoke(
        main,
        ["versions", older.code, "--home", str(area.home), "--fy", str(FY), "--round", str(ROUND), "--use", "auto"],
    )
    assert back.exit_code == 0, back.output
    _consolidate(area)
    _agrees(area, [newer])


def _status(area: HandArea, code: str) -> dict:
    rows = _master(area)["สถานะการส่ง"]
    header = rows[0]
    return next(dict(zip(header, (*row, *[None] * len(header)), strict=False)) for row in rows[1:] if row[0] == code)


# --- any schools, any mistakes --------------------------------------------------------------------


GRADES = ["อ.2", "อ.3", "ป.1", "ป.2", "ป.3", "ป.4", "ป.5", "ป.6"]


@st.composite
def schools(draw) -> list[tuple[School, str | None, str]]:
    """A few schools of the real registry, each a truth, at most one catalogued mistake, a maker."""
    units = draw(st.lists(st.sampled_from(list(UNITS.values())), min_size=2, max_size=5, unique_by=lambda u: u.code))
    made = []
    for unit in units:
        first = draw(st.integers(0, len(GRADES) - 3))
        count = draw(st.integers(2, 3))
        grades = tuple(
            Grade(GRADES[first + i], draw(st.integers(0, 15)), draw(st.integers(0, 15)), 1) for i in range(count)
        )
        lines = tuple(
            Line(f"รายการที่ {i + 1}", draw(st.sampled_from(["งบเงินอุดหนุน", "งบดำเนินงาน"])), a, 0, draw(st.integers(0, a)))
            for i, a in enumerate(draw(st.lists(st.integers(1, 500_000), min_size=1, max_size=2)))
        )
        school = School(unit.code, unit.district_label, grades, lines)
        mistake = draw(st.sampled_from([None, *[m.key for m in MISTAKES if m.needs(school)]]))
        maker = draw(
            st.sampled_from(
                ["typed"]
                if mistake in ("merged_rooms", "merged_boys", "merged_grades", "linked_count")
                else ["typed", "copied"]
            )
        )  # a copy keeps no merges, no links
        made.append((school, mistake, maker))
    return made


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(drawn=schools())
def test_any_schools_with_any_catalogued_mistakes_add_up_to_their_truth(drawn, template, tmp_path_factory):
    area = HandArea(tmp_path_factory.mktemp("values") / "home", FY, ROUND)
    real_registry(area.home)
    counted = []
    for school, mistake, maker in drawn:
        path = type_in(area, template, school, area.home / "inbox" / school.code / "แบบรายงาน.xlsx")
        outcome = BY_KEY[mistake].apply(school, path) if mistake else school
        if maker == "copied":
            copied(path)
        counted.append(outcome)
    _consolidate(area)
    _agrees(area, counted)
    master = _master(area)
    for school, mistake, _ in drawn:
        if mistake and BY_KEY[mistake].rule:
            assert BY_KEY[mistake].rule in _rules_of(master, school.code), (school.code, mistake)


def test_the_readme_lists_every_catalogued_mistake():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### ความผิดพลาดที่ระบบตรวจได้", 1)[1].split("\n## ", 1)[0]
    for mistake in MISTAKES:
        assert f"| {mistake.th} | {mistake.outcome_th} | {f'`{mistake.rule}`' if mistake.rule else '-'} |" in table, (
            mistake.key
        )


# --- figures against what the office already knows -------------------------------------------------


def test_pupils_far_from_last_round_and_money_beyond_the_register_are_flagged_not_dropped(area, template, tmp_path):
    """A school that reported 40 pupils last round reports 100 now; another says it received three
    times what the allocation register gave it: both count, both are warned, and the director's
    page carries a flag beside the money it adds up."""
    grown, over = CHUMPHAE[0], CHUMPHAE[1]
    last_round = area.templates(FY - 1, 12)
    before = type_in(
        area, last_round, School(grown.code, grown.district_label, (Grade("ป.1", 20, 20, 1),)), tmp_path / "before.xlsx"
    )
    stamp(before, WHEN - 200 * 86400)
    (area.home / "inbox" / grown.code).mkdir(parents=True)
    shutil.copy(before, area.home / "inbox" / grown.code / "รอบก่อน.xlsx")
    result = CliRunner().invoke(main, ["consolidate", "--home", str(area.home), "--fy", str(FY - 1), "--round", "12"])
    assert result.exit_code == 0, result.output
    (area.home / "inbox" / grown.code / "รอบก่อน.xlsx").unlink()

    now = [
        School(grown.code, grown.district_label, (Grade("ป.1", 50, 50, 2),)),
        School(
            over.code,
            over.district_label,
            (Grade("ป.2", 9, 9, 1),),
            (Line("ค่าสาธารณูปโภค", "งบเงินอุดหนุน", 300_000, 0, 100_000),),
        ),
    ]
    for school in now:
        type_in(area, template, school, area.home / "inbox" / school.code / "แบบรายงาน.xlsx")
    money = CliRunner().invoke(main, ["money", "--home", str(area.home), "--fy", str(FY), "--start"])
    assert money.exit_code == 0, money.output
    from sync.registers.money import workbook_path
    from tests.test_allocation_register import LETTERS, _fill

    _fill(workbook_path(area.settings, FY), LETTERS, [["ศธ 04002/ว1234", "ค่าสาธารณูปโภค", over.code, 100_000]])
    money = CliRunner().invoke(main, ["money", "--home", str(area.home), "--fy", str(FY), "--by", "somjai"])
    assert money.exit_code == 0, money.output

    _consolidate(area)
    _agrees(area, now)
    master = _master(area)
    assert "UNUSUAL-PUPILS" in _rules_of(master, grown.code) and "OVER-REGISTER" in _rules_of(master, over.code)
    with CalamineWorkbook.from_path(str(area.settings.master_path())) as book:
        page = [str(cell) for row in book.get_sheet_by_name("สรุปผู้บริหาร").to_python() for cell in row]
    assert any(cell.startswith("⚠") and "OVER-REGISTER" in cell for cell in page)


def test_a_total_row_the_school_typed_is_left_out_and_checked_against_its_lines():
    """รวม typed under the lines (category left blank, as people do) is no line: not an error, not
    counted twice; a total that does not add up is a warning naming both figures."""
    from rules.forms import forms, read_sheet

    form = forms()["budget_use"]
    header = [c.th for c in form.inputs]
    lines = [["ค่าจัดการเรียนการสอน", "งบเงินอุดหนุน", 30000, 0, 10000], ["ค่าอุปกรณ์การเรียน", "งบเงินอุดหนุน", 5000, 0, 5000]]
    right = read_sheet(form, [header, *lines, ["รวม", None, "35,000", 0, "๑๕,๐๐๐"]], unit_code="40050277")
    assert [r["line"] for r in right.rows] == ["ค่าจัดการเรียนการสอน", "ค่าอุปกรณ์การเรียน"]
    assert [(p.rule, p.severity, p.cell) for p in right.problems] == [("OWN-TOTAL-ROW", "info", "A4")]
    wrong = read_sheet(form, [header, *lines, ["รวมทั้งสิ้น", "งบเงินอุดหนุน", 36000, 0, 15000]], unit_code="40050277")
    (problem,) = wrong.problems
    assert problem.severity == "warning" and "36,000" in problem.message_th and "35,000" in problem.message_th
    assert len(wrong.rows) == 2
