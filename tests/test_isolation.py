"""One school's file never stops the office: each file is read in a worker process under limits, and
whatever one file does costs its own school only.

The hostile corpus is generated here from workbooks ``esaplan templates`` wrote and a school filled
(tests/hostile.py), on the area's real registry. Schools of one district (ชุมแพ) send good files
whose figures the test typed; the hostile files come from schools of another (หนองเรือ). Through
the command line and through upload links to a running ``esaplan serve``, the run must finish, each
hostile school gets its issue, the good district's totals stay what was typed, the service still
answers, and no reading process goes past the limits set for the installation.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from sync.intake.isolation import Failure, Limits, isolated_map
from sync.ledger.database import open_ledger
from sync.ledger.records import NewVersion
from sync.service.accounts import UploadLinks
from tests import hostile
from tests.conftest import serve_command
from tests.faults import misbehave
from tests.hand_area import HandArea, enrolment, real_registry
from tests.procwatch import descendants, high_water_mib, run_watched

FY, ROUND = 2570, 6
GOOD = {
    "40050067": [(10, 12, 1), (11, 9, 1)],
    "40050068": [(20, 21, 1), (18, 17, 1), (15, 16, 1)],
    "40050069": [(7, 8, 1)],
}  # ชุมแพ
GOOD_PUPILS = sum(boys + girls for rows in GOOD.values() for boys, girls, _ in rows)
GOOD_ROOMS = sum(rooms for rows in GOOD.values() for _, _, rooms in rows)
LIMITS = "read_memory_mb = 512\nread_seconds = 30\n"
ESAPLAN = str(Path(sys.executable).with_name("esaplan"))


# --- the workers ---------------------------------------------------------------------------


def test_each_way_a_reader_can_fail_is_its_own_item_s_failure_and_the_others_are_answered():
    items = ["a", "panic", "b", "abort", "exit", "c", "sleep", "spin", "eat", "d"]
    started = time.monotonic()
    answers = list(
        isolated_map(
            misbehave, items, Limits(memory_mb=200, seconds=2), workers=2, on_failure=lambda item, failure: failure
        )
    )
    took = time.monotonic() - started
    by_item = dict(zip(items, answers, strict=True))
    assert [by_item[k] for k in "abcd"] == ["A", "B", "C", "D"], "answers come back in the items' order"
    assert (
        by_item["panic"].reason == "error" and "Panic: called `Option::unwrap()`" in by_item["panic"].detail
    )  # a BaseException is caught
    assert by_item["abort"] == Failure("memory", "signal 6")  # Rust aborts when an allocation fails
    assert by_item["exit"] == Failure("error", "exit code 3")
    assert by_item["sleep"].reason == by_item["spin"].reason == "time"
    assert by_item["eat"].reason == "memory"
    assert took < 2 * 2 + 5, f"two items over time in two workers cost about their limit each, not more ({took:.1f} s)"


def test_a_worker_that_grew_big_is_replaced_and_the_next_items_are_read():
    answers = list(
        isolated_map(
            misbehave,
            ["grow", "a", "grow", "b"],
            Limits(memory_mb=1024, seconds=20),
            workers=1,
            on_failure=lambda item, failure: failure,
        )
    )
    assert answers == ["GREW", "A", "GREW", "B"]


def test_a_reader_never_holds_more_memory_than_its_ceiling():
    peak = [0.0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for pid in descendants(os.getpid()):
                peak[0] = max(peak[0], high_water_mib(pid))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        answers = list(
            isolated_map(
                misbehave,
                ["eat", "fine"],
                Limits(memory_mb=150, seconds=20),
                workers=1,
                on_failure=lambda item, failure: failure,
            )
        )
    finally:
        done.set()
        watcher.join()
    assert answers == [Failure("memory", "MemoryError"), "FINE"], "the next item is read by a new, healthy worker"
    assert 100 < peak[0] < 150 + 120, f"a worker stops at its ceiling above what it started with ({peak[0]:.0f} MiB)"


# --- hostile files, through the command line and an upload link ---------------------------------


@pytest.fixture(scope="module")
def hostile_area(tmp_path_factory: pytest.TempPathFactory) -> tuple[HandArea, dict[str, Path]]:
    """The real registry, three good schools of ชุมแพ consolidated, and the hostile files of หนองเรือ
    schools written beside the area (not yet in the inbox)."""
    root = tmp_path_factory.mktemp("hostile")
    area = HandArea(root / "home", FY, ROUND)
    real_registry(area.home)
    (area.home / "esaplan.toml").write_text(LIMITS, encoding="utf-8")
    template = area.templates()
    for code, rows in GOOD.items():
        area.fill(code, {"ข้อมูลนักเรียน": enrolment(rows)}, template=template)
    files = {}
    typed = {
        "ข้อมูลนักเรียน": enrolment([(30, 30, 2)]),
        "การใช้งบประมาณ": {"A4": "ค่าจัดการเรียนการสอน", "B4": "งบเงินอุดหนุน", "C4": 100000, "D4": 0, "E4": 50000},
    }
    outside = root / "sent"
    outside.mkdir()
    for code, name in [
        ("40050004", "control"),
        ("40050005", "corner"),
        ("40050006", "row-far"),
        ("40050007", "column-far"),
        ("40050008", "rows-100000"),
        ("40050009", "inflating"),
        ("40050010", "own-sheet"),
        ("40050014", "linked"),
    ]:
        files[code] = area.fill(code, typed, template=template, name=f"{name}.xlsx").rename(
            outside / f"{code}-{name}.xlsx"
        )
    hostile.control_characters(files["40050004"], "ค่าจัดการเรียนการสอน")
    hostile.cell_at(files["40050005"], hostile.ENROLMENT, 1_048_576, 16_384)  # XFD1048576
    hostile.cell_at(files["40050006"], hostile.ENROLMENT, 1_048_576, 200)
    hostile.cell_at(files["40050007"], hostile.ENROLMENT, 1_048_576, 2000)
    hostile.cell_at(files["40050008"], hostile.ENROLMENT, 100_000, 100)
    hostile.bulk(
        files["40050009"], hostile.BUDGET, rows=26_000, columns=6, text_bytes=1800
    )  # ~18 MB that inflates to ~176 MB of XML
    hostile.extra_sheet_bulk(files["40050010"], rows=60_000, text_bytes=2000)
    hostile.external_link(files["40050014"], hostile.ENROLMENT, "B4", 999)
    return area, files


def _district(area: HandArea, name: str) -> tuple:
    with CalamineWorkbook.from_path(str(area.settings.master_path())) as book:
        rows = book.get_sheet_by_name("สรุป").to_python()
    return next(tuple(row) for row in rows if row and row[0] == name)


def _issues_of(area: HandArea, code: str) -> list[dict]:
    with CalamineWorkbook.from_path(str(area.settings.master_path())) as book:
        rows = book.get_sheet_by_name("ปัญหาที่พบ").to_python()
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:] if row[0] == code]


def test_hostile_files_in_the_inbox_cost_their_own_school_only(hostile_area, tmp_path):
    area, files = hostile_area
    home = tmp_path / "home"
    shutil.copytree(area.home, home)
    cold = run_watched(
        [ESAPLAN, "consolidate", "--home", str(home), "--fy", str(FY), "--round", str(ROUND)], timeout_s=300
    )[0]
    assert cold.returncode == 0, cold.stderr
    clean = HandArea(home, FY, ROUND)
    before = _district(clean, "ชุมแพ")
    assert before[3] == GOOD_PUPILS and before[4] == GOOD_ROOMS, "what the good schools typed, summed by hand"

    for code, path in files.items():
        (home / "inbox" / code).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, home / "inbox" / code / path.name)
    hostile.link_to(home / "inbox" / "40050015", "/etc/passwd")
    hostile.pipe_in(home / "inbox" / "40050016")
    result, peak = run_watched(
        [ESAPLAN, "consolidate", "--home", str(home), "--fy", str(FY), "--round", str(ROUND)], timeout_s=300
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(str(clean.settings.master_path()))
    assert _district(clean, "ชุมแพ") == before, "the good district's totals are exactly what they were"
    rules = {code: {i["กฎ"] for i in _issues_of(clean, code)} for code in files}
    for code in ("40050005", "40050006", "40050007", "40050008"):
        assert "FILE-TOO-COMPLEX" in rules[code], (code, rules[code])
    far = next(i for i in _issues_of(clean, "40050005") if i["กฎ"] == "FILE-TOO-COMPLEX")
    assert (far["แผ่นงาน"], far["เซลล์"]) == ("ข้อมูลนักเรียน", "XFD1048576") and "Ctrl+End" in far["รายละเอียด"]
    assert "CONTROL-CHARS" in rules["40050004"] and "FILE-TOO-COMPLEX" not in rules["40050004"]
    assert "TOO-MANY-PROBLEMS" in rules["40050009"] and len(_issues_of(clean, "40050009")) < 450, (
        "a sheet full of junk is said once, not 26,000 times"
    )
    assert not any(r.startswith("FILE-") for r in rules["40050010"]), "a school's own sheet is never read"
    assert "EXTERNAL-LINK" in rules["40050014"]
    assert "INBOX-NOT-A-FILE" in {i["กฎ"] for i in _issues_of(clean, "40050015")} | {
        i["กฎ"] for i in _issues_of(clean, "40050016")
    }
    assert "40050015" in result.stderr and "40050016" in result.stderr
    assert not any(b"root:" in p.read_bytes()[:4096] for p in (home / "store").iterdir()), (
        "nothing outside the installation is copied in"
    )
    assert peak.seconds < 120 and peak.mib < 512 + 300, (
        f"the run took {peak.seconds:.1f} s, its largest process {peak.mib:.0f} MiB"
    )


def test_a_control_character_is_cleaned_and_the_linked_value_not_counted(hostile_area, tmp_path):
    area, files = hostile_area
    home = tmp_path / "home"
    shutil.copytree(area.home, home)
    for code in ("40050004", "40050014"):
        (home / "inbox" / code).mkdir(parents=True, exist_ok=True)
        shutil.copy(files[code], home / "inbox" / code / files[code].name)
    result = run_watched(
        [ESAPLAN, "consolidate", "--home", str(home), "--fy", str(FY), "--round", str(ROUND)], timeout_s=300
    )[0]
    assert result.returncode == 0, result.stderr
    clean = HandArea(home, FY, ROUND)
    with CalamineWorkbook.from_path(str(clean.settings.master_path())) as book:
        budget = [row for row in book.get_sheet_by_name("การใช้งบประมาณ").to_python() if row and row[0] == "40050004"]
        pupils = [row for row in book.get_sheet_by_name("ข้อมูลนักเรียน").to_python() if row and row[0] == "40050014"]
    assert [row for row in budget if any(isinstance(v, str) and "สีแดง" in v for v in row)], budget
    assert not any(re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", str(v)) for row in budget for v in row)
    assert 999 not in [v for row in pupils for v in row], "another workbook's cached value is never a pupil count"
    hand = _district(clean, "หนองเรือ")
    assert hand[3] == 60, (
        "of the two หนองเรือ schools only the control-character school's row counts (the linked row is left out)"
    )


def test_feedback_gives_each_school_its_own_file_back_whatever_it_held(hostile_area, tmp_path):
    """`esaplan feedback` opens each school's file in a reading worker: the file with pasted control
    characters comes back marked (cleaned), one with merged cells over a problem cell too, and the
    ones refused by their content get the summary sheet alone; nobody's feedback stops another's."""
    area, files = hostile_area
    home = tmp_path / "home"
    shutil.copytree(area.home, home)
    clean = HandArea(home, FY, ROUND)
    for code in ("40050004", "40050005", "40050014"):
        (home / "inbox" / code).mkdir(parents=True, exist_ok=True)
        shutil.copy(files[code], home / "inbox" / code / files[code].name)
    merged = clean.fill("40050017", {"ข้อมูลนักเรียน": enrolment([(5, 6, 1), (7, 8, 1)])}, template=clean.templates())
    book = load_workbook(merged)
    book["ข้อมูลนักเรียน"].merge_cells("C4:C5")  # a multi-grade room typed over two grades' cells: C5 is empty now
    book.save(merged)
    assert (
        run_watched(
            [ESAPLAN, "consolidate", "--home", str(home), "--fy", str(FY), "--round", str(ROUND)], timeout_s=300
        )[0].returncode
        == 0
    )
    result = run_watched(
        [ESAPLAN, "feedback", "--home", str(home), "--fy", str(FY), "--round", str(ROUND)], timeout_s=300
    )[0]
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line[:8].isdigit()}
    assert "เปิดไฟล์ที่ส่งไม่ได้" not in lines["40050004"] and "เปิดไฟล์ที่ส่งไม่ได้" not in lines["40050017"]
    assert "เปิดไฟล์ที่ส่งไม่ได้" in lines["40050005"], "a file refused by its content is never opened"
    folder = home / "feedback" / f"FY{FY}-R{ROUND}"
    control = load_workbook(next(folder.glob("40050004-*.xlsx")))
    assert "อักขระควบคุม" in control["การใช้งบประมาณ"]["A4"].comment.text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", control["การใช้งบประมาณ"]["A4"].value)
    marked = load_workbook(next(folder.glob("40050017-*.xlsx")))
    assert "หญิง" in marked["ข้อมูลนักเรียน"]["C4"].comment.text, "the problem of C5, inside the merge, is shown on C4"


def test_a_text_stored_before_it_was_cleaned_still_writes_the_master(hostile_area, tmp_path):
    """A version kept in the ledger by an older esaplan, its line name holding an escape: the master
    is written, the text without the escape."""
    area, _ = hostile_area
    import datetime as dt

    home = tmp_path / "home"
    shutil.copytree(area.home, home)
    settings = HandArea(home, FY, ROUND).settings
    row = {
        "_row": 4,
        "line": "ค่าอาหาร\x1b[31m\x07",
        "category": "subsidy",
        "allocated": 1000,
        "committed": 0,
        "disbursed": 500,
    }
    version = NewVersion(
        "40050004",
        "school",
        FY,
        ROUND,
        "0" * 64,
        "inbox",
        "old\x1b.xlsx",
        dt.datetime.now(dt.UTC),
        True,
        {"budget_use": [row]},
        [],
    )
    open_ledger(settings.database_url).add(version)
    result = run_watched(
        [ESAPLAN, "consolidate", "--home", str(home), "--fy", str(FY), "--round", str(ROUND)], timeout_s=300
    )[0]
    assert result.returncode == 0, result.stderr
    with CalamineWorkbook.from_path(str(settings.master_path())) as book:
        lines = [
            v
            for name in book.sheet_names
            for r in book.get_sheet_by_name(name).to_python()
            for v in r
            if isinstance(v, str) and "ค่าอาหาร" in v
        ]
    assert lines and all("\x1b" not in v and "\x07" not in v for v in lines)


def test_hostile_files_through_upload_links_to_a_running_service(hostile_area, tmp_path):
    area, files = hostile_area
    home = tmp_path / "home"
    shutil.copytree(area.home, home)
    settings = HandArea(home, FY, ROUND).settings
    peak, done = [0.0], threading.Event()

    def watch() -> None:  # the service, its fork server and its reading workers are all under this test's process
        while not done.is_set():
            for pid in descendants(os.getpid()):
                peak[0] = max(peak[0], high_water_mib(pid))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    with serve_command(home) as base:
        watcher.start()
        secret = (home / "secret-key.txt").read_text(encoding="utf-8").strip()
        links = UploadLinks(open_ledger(settings.database_url).engine, secret)
        said = {}
        for code, path in files.items():
            session = requests.Session()
            token = links.issue(code, "test")
            page = session.get(f"{base}/s/{token}", timeout=30).text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            started = time.monotonic()
            with path.open("rb") as sent:
                answer = session.post(
                    f"{base}/s/{token}", data={"csrf_token": csrf}, files={"file": (path.name, sent)}, timeout=120
                )
            assert answer.status_code == 200, (code, answer.status_code)
            assert time.monotonic() - started < 60, code
            said[code] = answer.text
            assert session.get(f"{base}/login", timeout=10).status_code == 200, (
                f"the service still answers after {code}"
            )
        assert "นอกขอบเขตที่แบบรายงานใช้" in said["40050005"] and "XFD1048576" in said["40050005"]
        assert "นอกขอบเขตที่แบบรายงานใช้" in said["40050007"]
        assert "อักขระควบคุม" in said["40050004"]
        assert "ลิงก์ภายนอก" in said["40050014"]
        assert "ไม่นำข้อมูลทั้งแผ่นงานไปรวม" in said["40050009"]
        token = (home / "api-token.txt").read_text(encoding="utf-8").strip()
        job = requests.post(
            f"{base}/api/consolidate", json={"fy": FY, "round": ROUND}, headers={"X-Esaplan-Token": token}, timeout=300
        )
        assert job.status_code == 200 and job.json()["master_written"], job.text
        done.set()
        watcher.join()
    assert _district(HandArea(home, FY, ROUND), "ชุมแพ")[3:5] == (GOOD_PUPILS, GOOD_ROOMS)
    assert peak[0] < 512 + 300, f"no process of the service went past its reading ceiling ({peak[0]:.0f} MiB)"
