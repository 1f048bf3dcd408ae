"""xlwings Lite: a ready ``main.py`` for users who cannot install anything, generated from the registry.

xlwings Lite runs Python (Pyodide) inside Excel from its own task pane; esaplan is not on PyPI,
so each formula forwards to the sync service's JSON API with ``pyfetch`` (cross-origin: the
service answers Lite's origin, see :mod:`sync.service.web.cors`). Staff paste the generated file into the
Lite editor; the address is filled in, and the connection code is set as Lite's environment
variable ESAPLAN_TOKEN (Lite's settings), never written in main.py, which is saved inside the
workbook for anyone who opens it to read. A formula that cannot answer raises, so the cell shows
#VALUE! (IFERROR works) and Lite's output pane the Thai reason, led by the Excel error the other
hosts show when it is another (``ESA_KPI: #DIV/0! ...``), as Google Sheets does.
"""

from __future__ import annotations

import json

from addin.registry import FORMULAS, Formula, described

HEADER = '''"""esaplan สำหรับ xlwings Lite - สร้างจากทะเบียนสูตรของ esaplan อย่าแก้ไขด้วยมือ.

(generated from esaplan's formula registry; do not edit by hand)
"""

import asyncio
import datetime
import json
import os

import xlwings as xw
from pyodide.http import pyfetch
from xlwings import arg, func, script

ESAPLAN_URL = os.environ.get("ESAPLAN_URL", "__ESAPLAN_URL__")  # ที่อยู่ระบบ esaplan
POLL_S = 2.0  # ถามความคืบหน้าการรวมข้อมูลที่ใช้เวลานานทุกกี่วินาที (how often a long consolidation is followed)
NO_TOKEN = "ยังไม่ได้ตั้งรหัสเชื่อมต่อ: ตั้งตัวแปร ESAPLAN_TOKEN ในการตั้งค่าของ xlwings Lite (Environment Variables) เลือก Scope: Local ไม่ใช่ Workbook"


def _token():
    """The connection code from Lite's environment variables, read at each call (settings can change)."""
    token = os.environ.get("ESAPLAN_TOKEN", "").strip()  # a code pasted with its line end still works
    if not token:
        raise ValueError(NO_TOKEN)
    return token


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return [_cell(v) for v in value]
    return value


async def _call(name, args, spills):
    """One formula through the service; a reason it cannot answer is raised: the cell shows #VALUE!."""
    try:
        token = _token()
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    try:
        response = await pyfetch(
            f"{ESAPLAN_URL}/api/formulas/{name}",
            method="POST",
            headers={"Content-Type": "application/json", "X-Esaplan-Token": token},
            body=json.dumps({"args": list(args)}, default=str),
        )
        data = await response.json()
    except Exception as error:
        raise ValueError(f"{name}: ติดต่อระบบ esaplan ไม่ได้ ({error})") from None
    if not response.ok:  # the cell shows #VALUE! whatever it is: the Excel error a user expects leads the reason
        excel = data.get("excel") if data.get("excel") not in (None, "#VALUE!") else None
        raise ValueError(f"{name}: {excel + ' ' if excel else ''}{data.get('error', response.status)}")
    result = _cell(data["result"])
    return [[result]] if spills and not isinstance(result, list) else result


async def _fetch(path, body=None):
    """(ok, JSON answer) of the service; a body makes it a POST."""
    options = {"method": "GET", "headers": {"X-Esaplan-Token": _token()}}
    if body is not None:
        options = {"method": "POST", "headers": {**options["headers"], "Content-Type": "application/json"}, "body": json.dumps(body, default=str)}
    response = await pyfetch(f"{ESAPLAN_URL}/api/{path}", **options)
    return response.ok, await response.json()


async def _post(path, body):
    ok, data = await _fetch(path, body)
    if not ok:
        raise RuntimeError(data.get("error", "?"))
    return data


@script
async def consolidate_now(book: xw.Book):
    """รวมข้อมูลเดี๋ยวนี้ (Consolidate now): the summary goes to a sheet named esaplan.

    A run longer than the service's 50-second answer is followed until it ends."""
    ok, result = await _fetch("consolidate", {})
    while result.get("job", {}).get("status") == "running":
        await asyncio.sleep(POLL_S)
        ok, result = await _fetch(f"jobs/{result['job']['id']}/summary")
    if not ok:
        raise RuntimeError(result.get("error", "?"))
    rows = [["แบบรายงาน", "ต้องส่ง", "ส่งแล้ว", "ส่งช้า", "มีข้อผิดพลาด", "ยังไม่ส่ง"]]
    rows += [[form, c["expected"], c["submitted"], c["late"], c["errors"], c["missing"]] for form, c in result["summary"].items()]
    sheet = book.sheets["esaplan"] if "esaplan" in [s.name for s in book.sheets] else book.sheets.add("esaplan")
    sheet["A1"].value = f"ปีงบประมาณ {result['fiscal_year']} รอบ {result['round']} เดือน"
    sheet["A2"].value = rows


@script
async def validate_this_sheet(book: xw.Book):
    """ตรวจแผ่นงานนี้ (Validate this sheet): messages go in the column after the data (the same column when run again)."""
    sheet = book.sheets.active
    used = sheet.used_range
    result = await _post("validate", {"sheet": sheet.name, "grid": used.options(ndim=2).value, "origin": [used.row, used.column]})
    if result["form"]:
        used.offset(0, result["notes_column"]).resize(len(result["notes"]), 1).value = result["notes"]
    print(result["message"])


@script
async def allocation_register(book: xw.Book):
    """ทะเบียนจัดสรร (Allocation register): select names and weights; the total is the cell above the selection."""
    selection = book.selection.options(ndim=2).value
    total = book.selection.offset(-1, 1).resize(1, 1).value
    result = await _post("allocation-register", {"names": [r[0] for r in selection], "weights": [r[1] for r in selection], "total": total})
    sheet = book.sheets.add(f"ทะเบียนจัดสรร {datetime.date.today():%Y-%m-%d}")
    sheet["A1"].value = [[_cell(v) for v in row] for row in result["table"]]
'''


def _function(entry: Formula) -> str:
    signature = ", ".join(f"{p.name}=None" if p.optional else p.name for p in entry.params)
    decorators = [
        f"@arg({p.name!r}, {'ndim=2, ' if p.type == 'range' or entry.lifts and not p.choices else ''}doc={described(p)!r})"
        for p in entry.params
    ]
    names = ", ".join(p.name for p in entry.params)
    return "\n".join(
        [
            "@func",
            *decorators,
            f"async def {entry.name}({signature}):",
            f'    """{entry.th} ({entry.en})"""',
            f"    return await _call({json.dumps(entry.name)}, [{names}], {entry.spills})",
        ]
    )


def lite_main(base_url: str) -> str:
    """The whole main.py for xlwings Lite."""
    return (
        HEADER.replace("__ESAPLAN_URL__", base_url.rstrip("/"))
        + "\n\n"
        + "\n\n\n".join(_function(f) for f in FORMULAS.values())
        + "\n"
    )
