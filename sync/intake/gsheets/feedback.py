"""What a school sees in its own Google Sheet after each consolidation: its problems, cell by cell.

The "ผลการตรวจสอบ" tab lists every problem of the version just read (errors first) with the tab,
cell, Thai message, value and rule; the instructions tab gets a one-line status in C7. All of
it is one ``batchUpdate``: ``updateCells`` over the whole feedback tab rewrites it and clears
what was there, so a problem the school fixed disappears. Everything is written as a string
value, so nothing in the feedback can become a formula in the school's sheet.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from rules.forms import row_of
from rules.thai import thai_time
from sync.intake.reader import INSTRUCTIONS_SHEET
from sync.ledger.status import SEVERITY_TH
from sync.ledger.versions import Submission

FEEDBACK_TAB = "ผลการตรวจสอบ"
FEEDBACK_GID = 777001  # fixed, so the tab is found again even if a school renames it
STATUS_ROW, STATUS_LABEL_COLUMN = 6, 1  # B7 (label) and C7 (status) of the instructions tab
HEADERS = ["ระดับ", "แผ่นงาน", "เซลล์", "รายละเอียด", "ค่าที่พบ", "กฎ"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _cell(value: Any) -> dict[str, Any]:
    return {"userEnteredValue": {"stringValue": str(value)}} if value not in (None, "") else {}


def _rows(values: list[list[Any]]) -> list[dict[str, Any]]:
    return [{"values": [_cell(v) for v in row]} for row in values]


@dataclass(frozen=True)
class Feedback:
    """The feedback tab's rows and the status line for one version of one school's sheet."""

    status: str
    rows: list[list[Any]]

    @property
    def digest(self) -> str:
        """Same digest, same feedback: an unchanged result is not written again."""
        return hashlib.sha256(json.dumps([self.status, self.rows], ensure_ascii=False).encode()).hexdigest()

    def requests(self, gids: dict[str, int], account: str) -> list[dict[str, Any]]:
        """The batchUpdate requests, adding the feedback tab first when the sheet has lost it."""
        target = gids.get(FEEDBACK_TAB, FEEDBACK_GID if FEEDBACK_GID in gids.values() else None)
        requests: list[dict[str, Any]] = []
        if target is None:
            requests += feedback_tab_requests(account)
            target = FEEDBACK_GID
        requests.append(
            {"updateCells": {"range": {"sheetId": target}, "rows": _rows(self.rows), "fields": "userEnteredValue"}}
        )
        if INSTRUCTIONS_SHEET in gids:
            status_range = {
                "sheetId": gids[INSTRUCTIONS_SHEET],
                "startRowIndex": STATUS_ROW,
                "endRowIndex": STATUS_ROW + 1,
                "startColumnIndex": STATUS_LABEL_COLUMN,
                "endColumnIndex": STATUS_LABEL_COLUMN + 2,
            }
            requests.append(
                {
                    "updateCells": {
                        "range": status_range,
                        "rows": _rows([["ผลการตรวจสอบล่าสุด", self.status]]),
                        "fields": "userEnteredValue",
                    }
                }
            )
        return requests


def feedback_tab_requests(account: str) -> list[dict[str, Any]]:
    """Add the feedback tab (second, red) and protect it: only esaplan's account writes there."""
    return [
        {
            "addSheet": {
                "properties": {
                    "sheetId": FEEDBACK_GID,
                    "title": FEEDBACK_TAB,
                    "index": 1,
                    "tabColor": {"red": 0.8, "green": 0.1, "blue": 0.1},
                }
            }
        },
        protect({"sheetId": FEEDBACK_GID}, account, "esaplan: ผลการตรวจสอบ"),
    ]


def protect(grid_range: dict[str, Any], account: str, description: str) -> dict[str, Any]:
    """An addProtectedRange request that leaves only the service account able to edit."""
    return {
        "addProtectedRange": {
            "protectedRange": {
                "range": grid_range,
                "description": description,
                "warningOnly": False,
                "editors": {"users": [account]},
            }
        }
    }


def feedback_for(submission: Submission, issues: list[dict[str, Any]]) -> Feedback:
    """The feedback for one stored version and its issues."""
    errors = sum(1 for i in issues if i["severity"] == "error")
    warnings = sum(1 for i in issues if i["severity"] == "warning")
    when = thai_time(submission.submitted_at)
    if errors:
        status = (
            f"✗ พบข้อผิดพลาด {errors} รายการ"
            + (f" คำเตือน {warnings} รายการ" if warnings else "")
            + f": ดูแผ่นงาน '{FEEDBACK_TAB}' แล้วแก้ไข"
        )
    elif warnings:
        status = f"⚠ ไม่พบข้อผิดพลาด มีคำเตือน {warnings} รายการ: ดูแผ่นงาน '{FEEDBACK_TAB}'"
    else:
        status = "✓ ข้อมูลผ่านการตรวจสอบ ไม่พบข้อผิดพลาด"
    status += f" (ตรวจข้อมูลที่แก้ไขล่าสุดเมื่อ {when} ฉบับที่ {submission.version})"
    ordered = sorted(
        issues, key=lambda i: (SEVERITY_ORDER[i["severity"]], i["sheet"], row_of(i["cell"]) or 0, i["cell"])
    )
    rows: list[list[Any]] = [
        ["ผลการตรวจสอบข้อมูลโดยสำนักงานเขตพื้นที่การศึกษา (ระบบเขียนให้อัตโนมัติทุกครั้งที่รวมข้อมูล: แก้ไขที่แผ่นงานต้นทาง ไม่ต้องแก้ที่นี่)"],
        [status],
        [],
        HEADERS,
    ]
    rows += [
        [SEVERITY_TH[i["severity"]], i["sheet"], i["cell"], i["message_th"], i["value"], i["rule"]] for i in ordered
    ]
    if not ordered:
        rows.append(["", "", "", "ไม่พบปัญหา ✓"])
    return Feedback(status, rows)
