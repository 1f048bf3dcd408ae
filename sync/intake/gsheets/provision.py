"""One Google Sheet per school: a copy of the template, shared with the school, protected, registered.

``esaplan sheets provision`` may be run again at any time and only does what is missing:

1. the sheet: the one in the registry's ``sheet_id`` column; else a sheet in the folder whose
   name starts with the unit's code (a copy made by a run that stopped before recording it);
   else a new Drive copy of the template, named ``<code> <name> (แบบรายงาน esaplan)``;
2. the school's code and name typed into the sheet, the feedback tab added, and the title rows,
   formula columns, instructions and hidden tabs protected so only esaplan's account edits them
   (ranges protected by an earlier run are recognised by their description and not added twice);
3. edit rights for the e-mail in the registry's ``contact`` column (Google e-mails the school).

Sheet ids go into the registry (written atomically, the previous file kept) and what was done
into the ledger, so a second run reports everything as already there and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from gspread.exceptions import APIError
from requests import RequestException

from rules import EsaplanError
from rules.forms import Form, FormSet
from sync.intake.gsheets.client import DriveFile, Google, api_message
from sync.intake.gsheets.feedback import FEEDBACK_GID, FEEDBACK_TAB, feedback_tab_requests, protect
from sync.intake.reader import INSTRUCTIONS_SHEET, META_SHEET
from sync.intake.templates import HEADER_ROW
from sync.ledger.database import open_ledger
from sync.ledger.versions import SheetState
from sync.office.registry import Unit, load_registry, save_registry, sets_for
from sync.office.settings import Settings

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PROTECTED_BY = "esaplan"
UNIT_CELLS = (4, 2)  # C5 (code) and C6 (name) of the instructions tab
META_UNIT_CELL = (4, 1)  # B5 of the hidden _esaplan tab: unit_code


class GoogleNotConfigured(EsaplanError):
    """Provisioning needs the [google] settings."""


@dataclass
class ProvisionReport:
    """What a provisioning run did, unit by unit, for the staff member who ran it."""

    created: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def provision(settings: Settings, *, progress: Callable[[int, int, str], None] | None = None) -> ProvisionReport:
    """Make sure every unit whose form set has a template has its own shared, protected sheet."""
    if settings.google is None:
        raise GoogleNotConfigured(
            "ยังไม่ได้ตั้งค่า Google: วางไฟล์กุญแจบัญชีบริการเป็น google-service-account.json ในโฟลเดอร์ระบบ และใส่ [google] folder_id กับ template_school ใน esaplan.toml (ดู README)",
            "Google is not set up: put the service-account key in the installation folder and the [google] table in esaplan.toml (see README)",
        )
    google = Google(settings.google)
    registry = load_registry(settings.registry_path)
    ledger = open_ledger(settings.database_url)
    states = ledger.sheet_states()
    report = ProvisionReport()
    jobs = []
    for unit in registry.values():
        form_set = sets_for(unit)[0]
        template = settings.google.templates.get(form_set.code)
        if template is None:
            continue
        if not EMAIL.match(unit.contact.strip()):
            report.skipped.append(
                (unit.code, f"{unit.name_th}: ไม่มีอีเมลที่ใช้ได้ในคอลัมน์ contact ของทะเบียน ({unit.contact or 'ว่าง'})")
            )
            continue
        state = states.get(unit.code)
        jobs.append((unit, form_set, template, state if state and state.spreadsheet_id == unit.sheet_id else None))
    if not jobs and not report.skipped:
        raise GoogleNotConfigured(
            'ไม่มีแบบรายงานต้นฉบับใน esaplan.toml: ใส่ template_school = "<รหัส Google Sheet ต้นฉบับ>" ในหัวข้อ [google] (ดู README)',
            "no template spreadsheet configured: set template_school in the [google] table of esaplan.toml",
        )
    listing = google.spreadsheets()
    work = _Provisioner(google, settings.google.folder_id, listing, report)
    sheet_ids: dict[str, str] = {}
    new_states = []
    with ThreadPoolExecutor(max_workers=settings.google.concurrency) as pool:
        for done, ((unit, *_), outcome) in enumerate(zip(jobs, pool.map(work.one, jobs), strict=True), start=1):
            if progress:
                progress(done, len(jobs), unit.code)
            if isinstance(outcome, str):
                report.failed.append((unit.code, f"{unit.name_th}: {outcome}"))
                continue
            new_states.append(outcome)
            if outcome.spreadsheet_id != unit.sheet_id:
                sheet_ids[unit.code] = outcome.spreadsheet_id
    if sheet_ids:
        save_registry(
            [replace(u, sheet_id=sheet_ids.get(u.code, u.sheet_id)) for u in registry.values()], settings.registry_path
        )
    ledger.save_sheet_states(new_states)
    return report


@dataclass
class _Provisioner:
    """The steps for one unit; each returns its new state, or a Thai reason it could not finish."""

    google: Google
    folder_id: str
    listing: dict[str, DriveFile]
    report: ProvisionReport

    def one(self, job: tuple[Unit, FormSet, str, SheetState | None]) -> SheetState | str:
        unit, form_set, template, state = job
        try:
            sheet_id = self._sheet(unit, template)
            if sheet_id is None:
                return f"Google Sheet เดิม ({unit.sheet_id}) ถูกลบหรือเลิกแชร์แล้ว: ถ้าต้องการสร้างใหม่ ให้ลบรหัสในคอลัมน์ sheet_id ของทะเบียนแล้วสั่งอีกครั้ง"
            state = state or SheetState(unit.code, sheet_id)
            if not state.protected:
                state = replace(state, protected=True, gids=self._set_up(sheet_id, unit, form_set))
                self.report.protected.append(unit.code)
            email = unit.contact.strip()
            if (state.shared_with or "").casefold() != email.casefold():
                message = f"แบบรายงานของ{unit.name_th} จากกลุ่มนโยบายและแผน สำนักงานเขตพื้นที่การศึกษา: กรอกเฉพาะช่องสีเหลือง ผลการตรวจสอบจะแสดงในแผ่นงาน '{FEEDBACK_TAB}' หลังสำนักงานเขตรวมข้อมูล"
                self.google.share(sheet_id, email, message)
                state = replace(state, shared_with=email)
                self.report.shared.append(unit.code)
            return state
        except (APIError, RequestException) as error:
            if isinstance(error, APIError) and "storageQuotaExceeded" in str(error.error):
                return "บัญชีบริการไม่มีพื้นที่เก็บไฟล์ใน Drive ของตนเอง: ใช้โฟลเดอร์ในไดรฟ์ที่แชร์ (Shared drive) และเพิ่มบัญชีบริการเป็นผู้จัดการเนื้อหา (ดู README)"
            return f"Google ตอบว่า {api_message(error)}"

    def _sheet(self, unit: Unit, template: str) -> str | None:
        """The unit's sheet id: registered, left by an interrupted run, or a new copy (None if the registered one is gone)."""
        if unit.sheet_id:
            if unit.sheet_id not in self.listing:
                return None
            self.report.existing.append(unit.code)
            return unit.sheet_id
        prefix = f"{unit.code} "
        for file in self.listing.values():
            if file.name.startswith(prefix) and (not self.folder_id or self.folder_id in file.parents):
                self.report.adopted.append(unit.code)
                return file.id
        new_id = self.google.copy(template, f"{unit.code} {unit.name_th} (แบบรายงาน esaplan)", self.folder_id)
        self.report.created.append(unit.code)
        return new_id

    def _set_up(self, sheet_id: str, unit: Unit, form_set: FormSet) -> dict[str, int]:
        """Type the unit in, add the feedback tab, protect what the school must not edit: one batchUpdate."""
        tabs = self.google.tabs(sheet_id).get("sheets", [])
        gids = {tab["properties"]["title"]: tab["properties"]["sheetId"] for tab in tabs}
        done = any(
            r.get("description", "").startswith(PROTECTED_BY) for tab in tabs for r in tab.get("protectedRanges", [])
        )
        account = self.google.account
        requests: list[dict[str, Any]] = []
        if INSTRUCTIONS_SHEET in gids:
            requests.append(_write(gids[INSTRUCTIONS_SHEET], UNIT_CELLS, [[unit.code], [unit.name_th]]))
        if META_SHEET in gids:
            requests.append(_write(gids[META_SHEET], META_UNIT_CELL, [[unit.code]]))
        if FEEDBACK_TAB not in gids:
            requests += feedback_tab_requests(account)
            gids[FEEDBACK_TAB] = FEEDBACK_GID
        if not done:
            for title in (INSTRUCTIONS_SHEET, META_SHEET):
                if title in gids:
                    requests.append(protect({"sheetId": gids[title]}, account, f"{PROTECTED_BY}: {title}"))
            for form in form_set.forms:
                if form.sheet in gids:
                    requests += _form_protection(gids[form.sheet], form, account)
        if requests:
            self.google.update(sheet_id, requests)
        return gids


def _write(gid: int, at: tuple[int, int], values: list[list[str]]) -> dict[str, Any]:
    row, column = at
    grid = {
        "sheetId": gid,
        "startRowIndex": row,
        "endRowIndex": row + len(values),
        "startColumnIndex": column,
        "endColumnIndex": column + 1,
    }
    rows = [{"values": [{"userEnteredValue": {"stringValue": v}} for v in line]} for line in values]
    return {"updateCells": {"range": grid, "rows": rows, "fields": "userEnteredValue"}}


def _form_protection(gid: int, form: Form, account: str) -> list[dict[str, Any]]:
    """The title and header rows, and every computed column below them."""
    requests = [
        protect(
            {"sheetId": gid, "startRowIndex": 0, "endRowIndex": HEADER_ROW},
            account,
            f"{PROTECTED_BY}: {form.sheet} หัวตาราง",
        )
    ]
    for index, column in enumerate(form.columns):
        if not column.is_input:
            grid = {"sheetId": gid, "startRowIndex": HEADER_ROW, "startColumnIndex": index, "endColumnIndex": index + 1}
            requests.append(protect(grid, account, f"{PROTECTED_BY}: {form.sheet} {column.th}"))
    return requests
