"""Excel desktop (Windows) with the open-source xlwings add-in: the ESA_* UDFs and the macros.

esaplan.xlsm's VBA calls this module ("UDF Modules: addin.xlwings_udfs" on its xlwings.conf sheet,
or ``workbooks/xlwings.conf`` for the xlwings add-in). Every registry formula becomes a UDF here
at import time - one generic body given the formula's own name, parameters and Thai description -
so a new registry entry needs no edit in this file.

With ESAPLAN_URL set (and ESAPLAN_TOKEN), formulas ask the sync service, as every other surface
does, so a rate the office fills in on the service answers the same everywhere; without it they
run on the PC's own copy of the rules (a PC with no network). A formula that cannot answer
answers :func:`failure_text`, which the VBA that esaplan.xlsm carries (:mod:`addin.excel_vba`)
turns into Excel's own error value, its reason kept for ``=ESA_WHY(cell)``. Excel 2016 and
2019 have no spilling: with ESAPLAN_LEGACY_ARRAYS=1 the formulas that answer with a range write
it into the cells below and beside (xlwings' ``expand="table"``).

On Linux xlwings' decorators import but do nothing (there is no Excel); the tests call the
generated functions themselves.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import xlwings as xw

from addin.macros import allocation_register, validate_grid
from addin.registry import EXCEL_EPOCH, EXCEL_ERRORS, FORMULAS, Formula, FormulaError, call, described

POLL_S = 2.0  # how often a long consolidation is asked how far it is
# A formula waits this long for the service (ESAPLAN_TIMEOUT_S to change it), and waits in xlwings' own
# async mode (a thread): Excel goes on calculating and shows "#N/A waiting..." in the cell meanwhile.
FORMULA_TIMEOUT_S = 15.0
EXCEL_EPOCH_DATETIME = dt.datetime.combine(EXCEL_EPOCH, dt.time())


def _udf(entry: Formula) -> Callable[..., Any]:
    def udf(*args: Any) -> Any:
        try:
            return _answer(entry.name, list(args))
        except FormulaError as error:
            return failure_text(entry.name, error)

    udf.__name__ = udf.__qualname__ = entry.name
    udf.__doc__ = f"{entry.th} ({entry.en})"
    udf.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None if p.optional else inspect.Parameter.empty
            )
            for p in entry.params
        ]
    )
    decorated: Callable[..., Any] = udf
    if entry.spills and os.environ.get("ESAPLAN_LEGACY_ARRAYS") == "1":
        decorated = xw.ret(expand="table")(decorated)
    for param in reversed(entry.params):
        decorated = xw.arg(
            param.name,
            ndim=2 if param.type == "range" or entry.lifts and not param.choices else None,
            doc=described(param),
        )(decorated)
    return xw.func(category="esaplan", async_mode="threading")(decorated)


def failure_text(name: str, error: FormulaError) -> str:
    """A failed formula's answer: Excel's error name, the formula and the Thai reason (``"#DIV/0! ESA_KPI: ..."``).

    Answered, not raised: in xlwings' async mode an exception is only logged and the cell keeps
    "#N/A waiting..." for good (``async_thread`` in xlwings/udfs.py), and no Python COM server can
    hand Excel an error value (see :mod:`addin.excel_vba`), so esaplan's VBA reads the leading name.
    """
    return f"{error.excel} {name}: {error.reason}"


def _answer(name: str, args: list[Any]) -> Any:
    """The formula's answer from the service when ESAPLAN_URL is set, else from the local rules."""
    if not os.environ.get("ESAPLAN_URL"):
        return call(name, args)
    seconds = float(os.environ.get("ESAPLAN_TIMEOUT_S") or FORMULA_TIMEOUT_S)
    try:
        status, answer = _service(
            f"/api/formulas/{name}",
            json.dumps({"args": args}, default=_json_value, ensure_ascii=False).encode(),
            timeout=seconds,
        )
    except TimeoutError:
        raise FormulaError(
            f"ระบบ esaplan ไม่ตอบภายใน {seconds:g} วินาที: คำนวณใหม่ภายหลัง (Ctrl+Alt+F9) หรือแจ้งผู้ดูแลระบบ", kind="na"
        ) from None
    except (OSError, ValueError) as error:
        if isinstance(getattr(error, "reason", None), TimeoutError):  # urllib wraps a connect timeout
            raise FormulaError(f"ระบบ esaplan ไม่ตอบภายใน {seconds:g} วินาที: คำนวณใหม่ภายหลัง", kind="na") from None
        raise FormulaError(f"ติดต่อระบบ esaplan ที่ ESAPLAN_URL ไม่ได้ ({error})", kind="na") from None
    if status != 200:
        kinds = {excel: kind for kind, excel in EXCEL_ERRORS.items()}
        raise FormulaError(str(answer.get("error", status)), kind=kinds.get(answer.get("excel", ""), "value"))
    return answer["result"]


def _json_value(value: Any) -> Any:
    """Excel's dates reach Python as datetimes; the service takes them as Excel serial numbers."""
    if isinstance(value, dt.date):
        moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        return (moment.replace(tzinfo=None) - EXCEL_EPOCH_DATETIME) / dt.timedelta(days=1)
    raise TypeError(type(value).__name__)


for _entry in FORMULAS.values():
    globals()[_entry.name] = _udf(_entry)


def _app() -> xw.App:
    """The Excel a macro runs in (xlwings gives None only when no Excel is open, which cannot be)."""
    app = xw.apps.active
    assert app is not None
    return app


def _service(path: str, body: bytes | None = None, timeout: float = 90) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON answer) of the sync service; a body makes it a POST."""
    request = urllib.request.Request(
        os.environ.get("ESAPLAN_URL", "http://127.0.0.1:8080").rstrip("/") + path,
        data=body,
        headers={"Content-Type": "application/json", "X-Esaplan-Token": os.environ.get("ESAPLAN_TOKEN", "").strip()},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the office's own service
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@xw.script
def consolidate_now() -> None:
    """รวมข้อมูลเดี๋ยวนี้: asks the sync service to consolidate and shows the summary.

    The service answers within 50 s; a longer run (reading Google Sheets) answers with its job,
    which is then followed until it ends, as the web page's progress bar does.
    """
    status, answer = _service("/api/consolidate", b"{}")
    while answer.get("job", {}).get("status") == "running":
        _app().status_bar = f"esaplan: กำลังรวมข้อมูล {answer['job']['percent']}%"
        time.sleep(POLL_S)
        status, answer = _service(f"/api/jobs/{answer['job']['id']}/summary")
    _app().status_bar = False
    if status != 200:
        _app().alert(f"รวมข้อมูลไม่สำเร็จ: {answer.get('error', status)}", title="esaplan")
        return
    lines = [
        f"{form}: ส่งแล้ว {c['submitted']}/{c['expected']} ส่งช้า {c['late']} มีข้อผิดพลาด {c['errors']} ยังไม่ส่ง {c['missing']}"
        for form, c in answer["summary"].items()
    ]
    _app().alert("\n".join([f"ปีงบประมาณ {answer['fiscal_year']} รอบ {answer['round']} เดือน", *lines]), title="esaplan")


@xw.script
def describe_formulas() -> None:
    """คำอธิบายสูตร: each ESA formula's Thai description and argument help in Excel's Insert Function,
    category "esaplan" (``Application.MacroOptions``, as xlwings' Import Functions sets them). Run by
    esaplan.xlsm when it opens: its VBA cannot carry Thai (the project's code page is 1252), COM can."""
    book = xw.Book.caller()
    for entry in FORMULAS.values():
        book.app.api.MacroOptions(
            f"'{book.name}'!{entry.name}",
            Description=entry.th[:255],
            Category="esaplan",
            ArgumentDescriptions=[described(p)[:255] for p in entry.params],
        )
    book.api.Saved = True  # describing the formulas is no edit of the workbook: closing it asks nothing


@xw.script
def validate_this_sheet() -> None:
    """ตรวจแผ่นงานนี้: checks the active sheet against its form and writes the messages beside the
    data (over the same column when run again). Checked on the PC: the form's rules, not rates."""
    sheet = xw.Book.caller().sheets.active
    used = sheet.used_range
    result = validate_grid(sheet.name, used.options(ndim=2).value, origin=(used.row, used.column))
    if result["form"]:
        used.offset(0, result["notes_column"]).resize(len(result["notes"]), 1).value = result["notes"]
    _app().alert(result["message"], title="esaplan")


@xw.script
def allocation_register_sheet() -> None:
    """ทะเบียนจัดสรร: the selected names and weights, and a total asked for, become an allocation sheet."""
    book = xw.Book.caller()
    chosen = book.selection
    if chosen is None:
        return
    selection = chosen.options(ndim=2).value
    total = book.app.api.InputBox("วงเงินรวม (บาท)", "esaplan ทะเบียนจัดสรร")
    table = allocation_register([row[0] for row in selection], [row[1] for row in selection], total)
    sheet = book.sheets.add(f"ทะเบียนจัดสรร {dt.date.today():%Y-%m-%d}")
    sheet["A1"].value = table
    sheet["A1:D1"].font.bold = True
    sheet.range((2, 4), (len(table), 4)).number_format = "#,##0.00"
