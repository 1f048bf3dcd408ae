"""Schools fill Google Sheets: provisioning, changed-only consolidation, feedback, bad sheets, quota.

Everything runs gspread's real client code and google-auth's service-account flow against the
local stand-in of the Sheets and Drive APIs (tests/google_standin.py), never against Google.
"""

from __future__ import annotations

import itertools

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sync.cli import main
from sync.intake.gsheets.client import RateWindow
from sync.intake.gsheets.feedback import FEEDBACK_TAB
from sync.intake.gsheets.provision import provision
from sync.ledger.database import open_ledger
from sync.master.writer import ISSUES
from sync.rounds.consolidate import consolidate
from tests.google_standin import ACCOUNT, GoogleStandIn
from tests.gsheets_area import FOLDER, make_area

ENROLMENT = "ข้อมูลนักเรียน"


@pytest.fixture
def google():
    standin = GoogleStandIn()
    with standin.serving() as base:
        yield standin, base


@pytest.fixture
def area(tmp_path, google):
    """Twelve schools, each with its own provisioned sheet."""
    standin, base = google
    made = make_area(tmp_path, standin, base, schools=12)
    provision(made.settings)
    return made


def _feedback(area, unit):
    tab = area.standin.files[unit.sheet_id].tab(FEEDBACK_TAB)
    return [[str(v) for v in row] for row in tab.grid()]


def _rows(master, sheet):
    book = load_workbook(master, read_only=True)
    try:
        return list(book[sheet].iter_rows(min_row=2, values_only=True))
    finally:
        book.close()


def _issues(master):
    return _rows(master, ISSUES)


def _enrolment_units(master):
    return {row[0] for row in _rows(master, ENROLMENT)}


# --- provisioning -------------------------------------------------------------------------------


def test_provisioning_gives_each_school_one_shared_protected_registered_copy(tmp_path, google):
    standin, base = google
    made = make_area(tmp_path, standin, base, schools=12)
    report = provision(made.settings)
    schools = made.schools()
    assert (
        sorted(report.created) == sorted(u.code for u in schools) == sorted(report.shared) == sorted(report.protected)
    )
    assert all(u.sheet_id for u in schools) and not any(u.sheet_id for u in made.registry.values() if u.kind == "group")
    for unit in schools:
        copy = standin.files[unit.sheet_id]
        assert copy.name.startswith(f"{unit.code} ") and copy.parents == [FOLDER]
        assert [(p["emailAddress"], p["role"]) for p in copy.permissions] == [(unit.contact, "writer")]
        assert "กรอกเฉพาะช่องสีเหลือง" in copy.permissions[0]["message"]
        assert (
            standin.value(unit.sheet_id, "คำชี้แจง", "C5") == unit.code
            and standin.value(unit.sheet_id, "_esaplan", "B5") == unit.code
        )
        assert copy.tab(FEEDBACK_TAB) is not None
        enrolment = copy.tab(ENROLMENT)
        ranges = {
            (r["range"].get("startRowIndex"), r["range"].get("endRowIndex"), r["range"].get("startColumnIndex"))
            for r in enrolment.protected
        }
        assert (0, 3, None) in ranges and (3, None, 3) in ranges  # title+header rows, and the รวม (คน) formula column D
        assert all(r["editors"] == {"users": [ACCOUNT]} and not r["warningOnly"] for r in enrolment.protected)
    assert list((made.settings.home / "registry-history").glob("registry-*.csv")), (
        "the registry before provisioning is kept"
    )


def test_provisioning_again_changes_nothing_and_says_so(area):
    before = area.settings.registry_path.read_bytes()
    calls = len(area.standin.log)
    report = provision(area.settings)
    assert sorted(report.existing) == sorted(u.code for u in area.schools())
    assert not (report.created or report.adopted or report.shared or report.protected)
    assert [kind for kind, _ in area.standin.log[calls:]] == ["list"]  # one listing, nothing else
    assert area.settings.registry_path.read_bytes() == before


def test_an_interrupted_provisioning_is_finished_without_duplicate_copies(tmp_path, google):
    standin, base = google
    made = make_area(tmp_path, standin, base, schools=5)
    first = made.schools()[0]
    left_over = standin.import_xlsx(
        (tmp_path / "template.xlsx").read_bytes(), f"{first.code} {first.name_th} (แบบรายงาน esaplan)", [FOLDER]
    )
    report = provision(made.settings)
    assert report.adopted == [first.code] and len(report.created) == 4 and standin.count("copy") == 4
    assert made.registry[first.code].sheet_id == left_over


def test_provisioning_reports_a_missing_email_and_a_vanished_sheet_by_school(tmp_path, google):
    standin, base = google
    made = make_area(tmp_path, standin, base, schools=4)
    provision(made.settings)
    text = made.settings.registry_path.read_text(encoding="utf-8-sig")
    first, second = made.schools()[:2]
    made.settings.registry_path.write_text(text.replace(second.contact, ""), encoding="utf-8-sig")
    standin.files[first.sheet_id].visible = False
    result = CliRunner().invoke(main, ["sheets", "provision", "--home", str(made.settings.home)])
    assert result.exit_code == 1
    assert f"{second.code} {second.name_th}: ไม่มีอีเมลที่ใช้ได้ในคอลัมน์ contact" in result.output
    assert f"{first.code} {first.name_th}: Google Sheet เดิม ({first.sheet_id}) ถูกลบหรือเลิกแชร์แล้ว" in result.output
    assert "มีอยู่แล้ว (already there) 2" in result.output


def test_a_folder_without_drive_storage_gets_a_hint_not_a_raw_error(tmp_path, google):
    standin, base = google
    made = make_area(tmp_path, standin, base, schools=2)
    standin.fail("/copy", 403, times=2, reason="storageQuotaExceeded")
    report = provision(made.settings)
    assert len(report.failed) == 2 and all("ไดรฟ์ที่แชร์ (Shared drive)" in reason for _, reason in report.failed)
    assert not any(u.sheet_id for u in made.registry.values())


def test_drive_rate_limit_403s_are_retried(tmp_path, google):
    standin, base = google
    made = make_area(tmp_path, standin, base, schools=1)
    standin.fail("/permissions", 403, times=2, reason="userRateLimitExceeded")
    assert provision(made.settings).shared == [made.schools()[0].code] and standin.count("refused 403") == 2


# --- consolidation --------------------------------------------------------------------------------


def test_untouched_sheets_are_not_submissions(area):
    result = consolidate(area.settings)
    assert area.standin.count("values") == 0
    assert result.summary["enrolment"]["missing"] == 12 and result.summary["enrolment"]["submitted"] == 0


def test_two_hundred_schools_cost_one_read_per_changed_sheet(tmp_path):
    standin = GoogleStandIn(page_size=1000)
    with standin.serving() as base:
        made = make_area(tmp_path, standin, base, schools=200)
        provision(made.settings)
        schools = made.schools()
        made.fill(schools[0])
        made.copy_filled(schools[0], schools[1:])

        first = consolidate(made.settings)
        assert first.new_versions == 200 and standin.count("values") == 200
        assert first.summary["enrolment"]["submitted"] == 200

        start = len(standin.log)
        again = consolidate(made.settings)
        assert [kind for kind, _ in standin.log[start:]] == ["list"] and again.new_versions == 0

        for unit in schools[:10]:
            standin.edit(unit.sheet_id, ENROLMENT, "B4", 17)
        start = len(standin.log)
        third = consolidate(made.settings)
        kinds = [kind for kind, _ in standin.log[start:]]
        assert kinds.count("values") == 10 and kinds.count("update") == 10 and kinds.count("list") == 2
        assert len(kinds) == 22 and third.new_versions == 10


def test_listing_follows_drive_pages(tmp_path):
    standin = GoogleStandIn(page_size=5)
    with standin.serving() as base:
        made = make_area(tmp_path, standin, base, schools=12)
        provision(made.settings)
        for unit in made.schools():
            made.fill(unit)
        result = consolidate(made.settings)
    assert result.summary["enrolment"]["submitted"] == 12 and standin.count("values") == 12


def test_a_school_sees_its_problems_cell_by_cell_and_they_clear_when_fixed(area):
    unit = area.schools()[0]
    area.fill(unit)
    area.standin.edit(unit.sheet_id, ENROLMENT, "C8", "สิบสอง")
    area.standin.edit(unit.sheet_id, ENROLMENT, "B5", "๒๕")
    area.standin.edit(unit.sheet_id, ENROLMENT, "D6", 99)  # typed over the รวม formula
    consolidate(area.settings)

    rows = _feedback(area, unit)
    assert rows[1][0].startswith("✗ พบข้อผิดพลาด 1 รายการ คำเตือน 1 รายการ")
    assert ["ข้อผิดพลาด", ENROLMENT, "C8"] == rows[4][:3] and rows[4][4:] == ["สิบสอง", "TYPE-COUNT"]
    assert "'หญิง (คน)'" in rows[4][3]
    assert ["คำเตือน", ENROLMENT, "D6"] == rows[5][:3] and "ต้องเป็นสูตรคำนวณ แต่ถูกพิมพ์ทับเป็น 99" in rows[5][3]
    assert ["ข้อสังเกต", ENROLMENT, "B5"] == rows[6][:3] and "อ่าน '๒๕' เป็น 25" in rows[6][3]
    status = area.standin.value(unit.sheet_id, "คำชี้แจง", "C7")
    assert status.startswith("✗ พบข้อผิดพลาด 1 รายการ") and "ฉบับที่ 1" in status

    area.standin.edit(unit.sheet_id, ENROLMENT, "C8", 12)
    area.standin.edit(unit.sheet_id, ENROLMENT, "D6", "=N(B6)+N(C6)")
    result = consolidate(area.settings)
    rows = _feedback(area, unit)
    left = [(r[1], r[2]) for r in rows[4:]]
    assert (ENROLMENT, "B5") in left and (ENROLMENT, "C8") not in left and (ENROLMENT, "D6") not in left, (
        "fixed problems leave the feedback tab"
    )
    assert {r[0] for r in rows[4:]} == {"ข้อสังเกต"}
    assert area.standin.value(unit.sheet_id, "คำชี้แจง", "C7").startswith("✓ ข้อมูลผ่านการตรวจสอบ ไม่พบข้อผิดพลาด (")
    assert not [r for r in _issues(result.master_path) if r[0] == unit.code and r[8] == "TYPE-COUNT"]


def test_unchanged_feedback_is_not_written_again_and_equal_values_are_one_version(area):
    unit = area.schools()[0]
    area.fill(unit)
    consolidate(area.settings)
    updates = area.standin.count("update")
    area.standin._touched(unit.sheet_id, by_me=False)  # the school changed a colour: the time moves, the values do not
    result = consolidate(area.settings)
    assert area.standin.count("values") == 2 and result.new_versions == 0 and area.standin.count("update") == updates


def test_snapshots_are_kept_in_the_store_like_files(area):
    unit = area.schools()[0]
    area.fill(unit)
    consolidate(area.settings)
    [submission] = open_ledger(area.settings.database_url).history(unit.code)
    assert submission.source == "gsheets" and submission.original_name.startswith("Google Sheets: ")
    kept = area.settings.store / f"{submission.sha256}.json"
    assert kept.is_file() and ENROLMENT in kept.read_text(encoding="utf-8")


def test_bad_sheets_become_per_school_issues_and_nothing_consolidated_is_lost(area):
    standin = area.standin
    gone, binned, tab_removed, tab_renamed, refused, grown = area.schools()[:6]
    for unit in area.schools()[:6]:
        area.fill(unit)
    first = consolidate(area.settings)
    assert {gone.code, binned.code, refused.code} <= _enrolment_units(first.master_path)
    grown_before = [r for r in _rows(first.master_path, ENROLMENT) if r[0] == grown.code]

    standin.files[gone.sheet_id].visible = False
    standin.files[binned.sheet_id].trashed = True
    file = standin.files[tab_removed.sheet_id]
    file.tabs = [t for t in file.tabs if t.title != "แผนชั้นเรียน"]
    standin._touched(tab_removed.sheet_id, by_me=False)
    standin.files[tab_renamed.sheet_id].tab(ENROLMENT).title = "ข้อมูลนักเรียน (แก้)"
    standin._touched(tab_renamed.sheet_id, by_me=False)
    standin.edit(refused.sheet_id, ENROLMENT, "B4", 30)
    standin.fail(f"/v4/spreadsheets/{refused.sheet_id}/values", 403)
    standin.files[grown.sheet_id].name = "แบบรายงานที่โรงเรียนเปลี่ยนชื่อ"
    standin.edit(grown.sheet_id, ENROLMENT, "A20", "ป.1")
    standin.edit(grown.sheet_id, ENROLMENT, "B20", 3)
    standin.edit(grown.sheet_id, ENROLMENT, "C20", "4")
    standin.edit(grown.sheet_id, ENROLMENT, "E20", 1)

    result = consolidate(area.settings)
    rules = {(n.unit_code, n.rule) for n in result.notices}
    assert {(gone.code, "SHEET-GONE"), (binned.code, "SHEET-TRASHED"), (refused.code, "SHEET-FORBIDDEN")} <= rules
    gone_notice = next(n for n in result.notices if n.unit_code == gone.code)
    assert ACCOUNT in gone_notice.message_th and "ข้อมูลที่ส่งไว้ก่อนหน้ายังอยู่ครบ" in gone_notice.message_th
    issues = _issues(result.master_path)
    assert (tab_removed.code, "แผนชั้นเรียน", "MISSING-SHEET") in {(r[0], r[3], r[8]) for r in issues}
    assert (tab_renamed.code, ENROLMENT, "MISSING-SHEET") in {(r[0], r[3], r[8]) for r in issues}
    assert any(r[0] == gone.code and r[3] == "(Google Sheets)" and r[8] == "SHEET-GONE" for r in issues)
    assert any(
        row[1:3] == ["แผนชั้นเรียน", "-"] and row[5] == "MISSING-SHEET"
        for row in _feedback(area, tab_removed)
        if len(row) == 6
    )
    assert {gone.code, binned.code, refused.code} <= _enrolment_units(result.master_path), (
        "their last data stays in the master"
    )
    grown_after = [r for r in _rows(result.master_path, ENROLMENT) if r[0] == grown.code]
    assert len(grown_after) == len(grown_before) + 1 and grown_after[-1][7:12] == ("ป.1", 3, 4, 7, 1), (
        "an extra row is read, its text number too"
    )

    standin.files[gone.sheet_id].visible = True
    standin.edit(gone.sheet_id, ENROLMENT, "B4", 31)
    again = consolidate(area.settings)
    assert standin.count("values") >= 1 and not any(n.unit_code in (gone.code, refused.code) for n in again.notices)


def test_a_tab_is_read_only_as_far_as_a_form_reaches(area):
    """A school that pastes something far down or far right of a tab: the Sheets API is asked for
    A1 to the installation's reach only, so neither this process nor the reading worker holds it."""
    unit = area.schools()[0]
    area.fill(unit)
    area.standin.edit(unit.sheet_id, ENROLMENT, "A30001", "ไกลเกินตาราง")
    area.standin.edit(unit.sheet_id, ENROLMENT, "BI5", "ขวาเกินตาราง")
    result = consolidate(area.settings)
    [submission] = open_ledger(area.settings.database_url).history(unit.code)
    kept = (area.settings.store / f"{submission.sha256}.json").read_text(encoding="utf-8")
    assert "ไกลเกินตาราง" not in kept and "ขวาเกินตาราง" not in kept
    assert submission.accepted and unit.code in _enrolment_units(result.master_path)


def test_quota_and_server_errors_are_retried_then_reported_without_loss(area):
    standin = area.standin
    one, two = area.schools()[:2]
    area.fill(one)
    area.fill(two)
    standin.fail(f"/v4/spreadsheets/{one.sheet_id}/values", 429, times=2, retry_after=0)
    standin.fail(f"/v4/spreadsheets/{one.sheet_id}/values", 503)
    retries = area.settings.google.retries
    standin.fail(f"/v4/spreadsheets/{two.sheet_id}/values", 429, times=retries + 1)
    result = consolidate(area.settings)
    assert (
        standin.count("values") == 1
        and standin.count("refused 429") == 2 + retries + 1
        and standin.count("refused 503") == 1
    )
    assert [(n.unit_code, n.rule) for n in result.notices] == [(two.code, "GOOGLE-BUSY")]
    assert result.summary["enrolment"]["submitted"] == 1

    later = consolidate(area.settings)  # the refused sheet was not marked read: the next run gets it
    assert later.summary["enrolment"]["submitted"] == 2 and not later.notices


def test_no_more_requests_in_flight_than_configured(tmp_path, google):
    standin, base = google
    made = make_area(tmp_path, standin, base, schools=24, concurrency=2)
    provision(made.settings)
    schools = made.schools()
    made.fill(schools[0])
    made.copy_filled(schools[0], schools[1:])
    consolidate(made.settings)
    assert standin.count("values") == 24 and standin.most_in_flight <= 2


def test_a_missing_key_is_one_notice_and_the_inbox_is_still_consolidated(demo_copy):
    with (demo_copy / "esaplan.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[google]\ncredentials = "no-such-key.json"\n')
    result = CliRunner().invoke(main, ["consolidate", "--home", str(demo_copy)])
    assert result.exit_code == 0, result.output
    assert "GOOGLE-SETUP" in result.output and "no-such-key.json" in result.output
    assert result.output.strip().splitlines()[-1].endswith(".xlsx")


def test_cli_consolidate_reads_sheets_and_shows_each_phase(area):
    for unit in area.schools()[:3]:
        area.fill(unit)
    result = CliRunner().invoke(main, ["consolidate", "--home", str(area.settings.home)])
    assert result.exit_code == 0, result.output
    assert "อ่าน Google Sheets" in result.output and "เขียนผลการตรวจสอบลง Google Sheets" in result.output
    assert area.standin.count("values") == 3


# --- pacing ---------------------------------------------------------------------------------------


def test_the_quota_window_never_lets_more_than_the_limit_start_in_a_minute():
    now = [0.0]
    starts = []

    def sleep(seconds):
        now[0] += seconds

    window = RateWindow(60, clock=lambda: now[0], sleep=sleep)
    for _ in range(150):
        window.wait()
        starts.append(now[0])
    assert starts[59] == 0.0 and starts[60] == 60.0 and starts[120] == 120.0 and starts[-1] == 120.0
    assert all(b - a >= 60.0 for a, b in itertools.pairwise(starts[::60]))


def test_a_sheet_is_reused_every_round_and_read_for_the_round_consolidated(area):
    """A school's Google Sheet is copied once and filled again each round: its hidden tab still names the
    round it was provisioned in, which is no reason to refuse it in the next round."""
    unit = area.schools()[0]
    area.fill(unit)
    later = area.settings.with_round(area.settings.fiscal_year + 1, 6)
    result = consolidate(later)
    assert result.summary["enrolment"]["submitted"] == 1
    rows = _issues(result.master_path)
    assert not [r for r in rows if r[0] == unit.code and r[8] in {"WRONG-ROUND", "FORM-ROUND"}]
