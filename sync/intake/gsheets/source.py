"""Google Sheets as a consolidation source: read only what changed, write each school its result.

A run costs one Drive listing for all schools (their sheets' modifiedTime), one values
batch-get per sheet that changed since it was last read, one ``batchUpdate`` per school whose
feedback changed, and one more listing: 200 schools of which 10 changed cost about 10 reads and
10 writes. Reads and writes go through the paced client (quota window, bounded concurrency,
back-off), a few at a time in threads.

Failures stay per school and lose nothing: a sheet deleted, unshared or refused becomes a
:class:`~sync.ledger.status.Notice` for that school, its state is not advanced (so the next run tries
again) and its last stored version stays what the master shows.

A sheet is read when its modifiedTime moved and the last change was not esaplan's own
(``lastModifyingUser.me``): the set-up and the feedback writes change the time too. A sheet only
esaplan has touched is a school that has not started, not an empty submission. The listing
after the feedback writes records the new time, so the next run starts from it. An edit a school makes in the seconds between the read and the feedback
write is only seen at its next edit; ``esaplan consolidate --full`` reads every sheet.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from gspread.exceptions import APIError
from requests import RequestException

from sync.intake.gsheets.client import DriveFile, Google, GoogleSetupError, api_message
from sync.intake.gsheets.feedback import feedback_for
from sync.intake.gsheets.snapshot import a1_range, snapshot, tab_titles
from sync.intake.inbox import Progress
from sync.intake.sheetscan import Reach
from sync.ledger.records import GSHEETS, Incoming
from sync.ledger.status import Notice
from sync.ledger.store import Ledger
from sync.ledger.versions import SheetState
from sync.office.registry import Unit, sets_for
from sync.office.settings import Settings

CHANNEL = "(Google Sheets)"
Failure = (APIError, RequestException)


class SheetsSource:
    """One consolidation's dealings with the units' Google Sheets."""

    def __init__(
        self,
        google: Google,
        ledger: Ledger,
        registry: dict[str, Unit],
        notices: list[Notice],
        round_: tuple[int, int],
        reach: Reach,
    ) -> None:
        self.google, self.ledger, self.notices = google, ledger, notices
        self.round = round_  # (fiscal year, round) being consolidated
        self.reach = reach  # how far a tab is read
        self.units = [unit for unit in registry.values() if unit.sheet_id]
        self.states = ledger.sheet_states()
        self.read: dict[str, SheetState] = {}  # units read this run -> state to record once stored

    @classmethod
    def open(
        cls, settings: Settings, ledger: Ledger, registry: dict[str, Unit], notices: list[Notice]
    ) -> SheetsSource | None:
        """The source, or None (and a notice) when the service-account key cannot be used."""
        assert settings.google is not None
        try:
            return cls(
                Google(settings.google),
                ledger,
                registry,
                notices,
                (settings.fiscal_year, settings.round),
                Reach(settings.max_rows, settings.max_columns),
            )
        except GoogleSetupError as exc:
            notices.append(Notice(None, CHANNEL, "GOOGLE-SETUP", "error", exc.message_th))
            return None

    def _state(self, unit: Unit) -> SheetState:
        state = self.states.get(unit.code)
        return state if state and state.spreadsheet_id == unit.sheet_id else SheetState(unit.code, unit.sheet_id)

    def changed(self, progress: Progress, *, full: bool = False) -> list[Incoming]:
        """Snapshots of the sheets changed since they were last read (all of them when ``full``)."""
        if not self.units:
            return []
        try:
            listing = self.google.spreadsheets()
        except Failure as error:
            message = f"อ่านรายการ Google Sheets ไม่ได้ ({api_message(error)}): ข้อมูลที่รวมไว้แล้วยังอยู่ครบ ลองรวมข้อมูลอีกครั้งภายหลัง"
            self.notices.append(Notice(None, CHANNEL, "GOOGLE-UNAVAILABLE", "warning", message))
            return []
        due = []
        for unit in self.units:
            file = listing.get(unit.sheet_id)
            read_before = self._state(unit).read_modified
            if file is None:
                self._not_listed(unit)
            elif file.by_me and read_before is None:
                continue  # only esaplan has touched it (the set-up): the school has not started, nothing is submitted
            elif full or (read_before != file.modified and not file.by_me):
                due.append((unit, file))
        items = []
        with ThreadPoolExecutor(max_workers=self.google.settings.concurrency) as pool:
            for done, ((unit, file), outcome) in enumerate(zip(due, pool.map(self._read, due), strict=True), start=1):
                progress("google", done, len(due), unit.code)
                if isinstance(outcome, Notice):
                    self.notices.append(outcome)
                    continue
                items.append(outcome)
                self.read[unit.code] = replace(self._state(unit), read_modified=file.modified, read_sha=outcome.sha256)
        return items

    def _read(self, job: tuple[Unit, DriveFile]) -> Incoming | Notice:
        """One values batch-get of all the unit's tabs; a missing tab costs one metadata call more."""
        unit, file = job
        titles = tab_titles(sets_for(unit)[0])
        try:
            try:
                response = self.google.values(file.id, [a1_range(t, self.reach) for t in titles])
            except APIError as error:
                if error.response.status_code != 400:
                    raise
                present = {tab["properties"]["title"] for tab in self.google.tabs(file.id).get("sheets", [])}
                titles = [t for t in titles if t in present]  # validation names the tabs that are gone
                response = self.google.values(file.id, [a1_range(t, self.reach) for t in titles]) if titles else {}
        except Failure as error:
            return self._failure(unit, error)
        return Incoming(
            unit.code, snapshot(file.id, titles, response), f"Google Sheets: {file.name}", file.modified_at, GSHEETS
        )

    def _not_listed(self, unit: Unit) -> None:
        """Say why a registered sheet is not in the listing: in the bin, gone, or not shared."""
        try:
            found = self.google.file(unit.sheet_id)
        except Failure as error:
            self.notices.append(self._failure(unit, error))
            return
        if found.get("trashed"):
            message = f"Google Sheet ของหน่วยนี้ ({found.get('name', unit.sheet_id)}) อยู่ในถังขยะ: ให้เจ้าของกู้คืนจากถังขยะของ Google Drive ข้อมูลที่ส่งไว้ก่อนหน้ายังอยู่ครบ"
            self.notices.append(Notice(unit.code, CHANNEL, "SHEET-TRASHED", "error", message))
        else:
            message = f"ไฟล์ {found.get('name', unit.sheet_id)} ไม่ใช่ Google Sheet (ชนิด {found.get('mimeType', '?')}): แก้รหัสแผ่นงานในคอลัมน์ sheet_id ของทะเบียนหน่วย"
            self.notices.append(Notice(unit.code, CHANNEL, "SHEET-NOT-SPREADSHEET", "error", message))

    def _failure(self, unit: Unit, error: Exception) -> Notice:
        code = error.response.status_code if isinstance(error, APIError) else None
        kept = "ข้อมูลที่ส่งไว้ก่อนหน้ายังอยู่ครบ"
        if code == 404:
            message = f"ไม่พบ Google Sheet ของหน่วยนี้ ({unit.sheet_id}): ถูกลบ หรือเลิกแชร์กับบัญชีของสำนักงานเขต {self.google.account} ให้โรงเรียนกู้คืนหรือแชร์ให้บัญชีนี้เป็นผู้แก้ไขอีกครั้ง {kept}"
            return Notice(unit.code, CHANNEL, "SHEET-GONE", "error", message)
        if code == 403:
            message = (
                f"สำนักงานเขตไม่มีสิทธิ์เปิด Google Sheet ของหน่วยนี้แล้ว: ให้โรงเรียนแชร์ให้ {self.google.account} เป็นผู้แก้ไข {kept}"
            )
            return Notice(unit.code, CHANNEL, "SHEET-FORBIDDEN", "error", message)
        if code == 429:
            message = f"Google จำกัดจำนวนครั้งการอ่านชั่วคราว จึงยังไม่ได้อ่านแผ่นงานนี้: ลองรวมข้อมูลอีกครั้งในอีกสักครู่ {kept}"
            return Notice(unit.code, CHANNEL, "GOOGLE-BUSY", "warning", message)
        message = f"อ่าน Google Sheet ของหน่วยนี้ไม่สำเร็จ ({api_message(error)}): ลองรวมข้อมูลอีกครั้งภายหลัง {kept}"
        return Notice(unit.code, CHANNEL, "GOOGLE-ERROR", "warning", message)

    def feedback(self, progress: Progress) -> None:
        """Write each school read this run its result (when it changed), then record what was read."""
        if not self.read:
            return
        stored = {
            code: self.ledger.find_accounted(code, state.read_sha or "", *self.round)
            for code, state in self.read.items()
        }
        found = {
            code: submission for code, submission in stored.items() if submission is not None
        }  # every snapshot read is stored by now
        issues = self.ledger.issues_of(s.id for s in found.values())
        jobs = []
        for code, submission in found.items():
            state = self.read[code]
            result = feedback_for(submission, issues[submission.id])
            if result.digest != state.feedback_sha:
                jobs.append((state, result))
        written: list[str] = []
        with ThreadPoolExecutor(max_workers=self.google.settings.concurrency) as pool:
            for done, ((state, _), outcome) in enumerate(zip(jobs, pool.map(self._write, jobs), strict=True), start=1):
                progress("feedback", done, len(jobs), state.unit_code)
                if isinstance(outcome, Notice):
                    self.notices.append(outcome)
                else:
                    self.read[state.unit_code] = outcome
                    written.append(state.unit_code)
        if written:
            self._adopt_own_changes(written)
        self.ledger.save_sheet_states(self.read.values())

    def _write(self, job: tuple[SheetState, Any]) -> SheetState | Notice:
        state, result = job
        gids = state.gids
        try:
            if gids is None:
                gids = self._gids(state.spreadsheet_id)
            try:
                self.google.update(state.spreadsheet_id, result.requests(gids, self.google.account))
            except APIError as error:
                if error.response.status_code != 400:
                    raise
                gids = self._gids(state.spreadsheet_id)  # a tab was removed or renamed: look again and retry once
                self.google.update(state.spreadsheet_id, result.requests(gids, self.google.account))
        except Failure as error:
            message = f"เขียนผลการตรวจสอบลง Google Sheet ไม่สำเร็จ ({api_message(error)}): ผลยังดูได้ในไฟล์รวม จะเขียนอีกครั้งในการรวมข้อมูลครั้งต่อไป"
            return Notice(state.unit_code, CHANNEL, "FEEDBACK-FAILED", "warning", message)
        return replace(state, gids=gids, feedback_sha=result.digest)

    def _gids(self, spreadsheet_id: str) -> dict[str, int]:
        return {
            tab["properties"]["title"]: tab["properties"]["sheetId"]
            for tab in self.google.tabs(spreadsheet_id).get("sheets", [])
        }

    def _adopt_own_changes(self, written: list[str]) -> None:
        """After writing feedback, take the new modifiedTime of sheets whose last change was ours."""
        try:
            listing = self.google.spreadsheets()
        except Failure:
            return  # those sheets are read once more next run; their content hash keeps it to that
        for code in written:
            state = self.read[code]
            file = listing.get(state.spreadsheet_id)
            if file is not None and file.by_me:
                self.read[code] = replace(state, read_modified=file.modified)
