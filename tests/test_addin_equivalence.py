"""Every formula's worked example and its error cases through all four hosts' own code, against one
live service: the same value, or the same Excel error with the same Thai reason.

- Office add-in: the served ``functions.js`` (batched) in Node with office.js's CustomFunctions shim;
- Google Sheets: the generated ``Code.gs`` in Node with Apps Script's runtime stood in;
- Excel desktop: ``addin.xlwings_udfs`` with ESAPLAN_URL set (and without it, on the PC's rules);
- xlwings Lite: the generated ``main.py`` with Pyodide's ``pyfetch`` done by urllib.

Where a host cannot show an error value, what it does show is compared: Google Sheets and Lite have
only #ERROR!/#VALUE!, so their text leads with the error the others show (``#DIV/0! ...``). The oracle
of a value is the worked example's own answer written in the registry, where it has one.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

import addin.xlwings_udfs as desktop
from addin import FORMULAS, FormulaError, call
from addin.appsscript import apps_script
from tests.conftest import NODE
from tests.fake_xlwings import lite_namespace
from tests.node_scripts import NODE_APPS_SCRIPT_EACH, NODE_OFFICE_EACH, node_json

pytestmark = pytest.mark.needs_node

#: Each formula's error cases beyond the one every formula has (its required arguments left blank, as
#: ``=ESA_KPI(,)`` is typed): (arguments, Excel error).
ERROR_CASES: dict[str, list[tuple[list[Any], str]]] = {
    "ESA_ALLOCATE": [([100, [[1], [-5]]], "#VALUE!")],
    "ESA_PERHEAD": [(["ป.9", 30], "#VALUE!"), (["ป.1", "1" + "0" * 400], "#NUM!")],
    "ESA_KPI": [([3, 0], "#DIV/0!"), (["สาม", 7], "#VALUE!")],
    "ESA_KPI_STATUS": [(["S9.9", 10], "#VALUE!")],
    "ESA_KPI_TARGET": [(["X"], "#VALUE!")],
    "ESA_KPI_NAME": [(["X"], "#VALUE!")],
    "ESA_ROOMS": [(["สิบ", "ป.1"], "#VALUE!")],
    "ESA_SCHOOL_SIZE": [([-5], "#VALUE!")],
    "ESA_MERGE": [([[["รหัส"]]], "#VALUE!")],
    "ESA_COHORT": [([[["ปี"]]], "#VALUE!")],
    "ESA_MTEF": [([[[2565, 100000]], 2, "growth"], "#VALUE!")],
    "ESA_FISCAL_YEAR": [(["ไม่ใช่วันที่"], "#VALUE!")],
    "ESA_BAHTTEXT": [([1e308], "#NUM!"), (["abc"], "#VALUE!")],
    "ESA_NUMBER": [(["abc"], "#VALUE!")],
    "ESA_TRANSFER_CHECK": [(["a", "b", "c", "d", "e", "สิบ", "a", "b", "c", "d", "e", 5], "#VALUE!")],
}
LEADS = re.compile(r"^(#DIV/0!|#NUM!|#N/A) ")


def cases() -> list[tuple[str, list[Any], Any]]:
    """(formula, arguments, what it must give): a value, or ("error", Excel error)."""
    listed: list[tuple[str, list[Any], Any]] = []
    for name, entry in FORMULAS.items():
        args, expected = entry.example
        listed.append((name, list(args), ("value", expected)))
        required = sum(1 for p in entry.params if not p.optional)
        listed.append((name, [None] * required, ("error", "#VALUE!")))
        listed += [(name, args, ("error", excel)) for args, excel in ERROR_CASES.get(name, [])]
    return listed


def blank(value: Any) -> Any:
    """One way to write an answer: blanks as None, a 1x1 range as its value (Office answers a formula that
    takes ranges with one), whole floats as ints (JSON has one kind of number)."""
    if isinstance(value, list):
        rows = [blank(v) for v in value]
        return rows[0][0] if len(rows) == 1 and isinstance(rows[0], list) and len(rows[0]) == 1 else rows
    if value == "":
        return None
    return int(value) if isinstance(value, float) and value.is_integer() else value


def said(name: str, text: str) -> tuple[str, str]:
    """(Excel error, Thai reason) from a host's text ``NAME: [#DIV/0! ]reason``."""
    reason = text.split(": ", 1)[1]
    led = LEADS.match(reason)
    return (led.group(1), reason[led.end() :]) if led else ("#VALUE!", reason)


def test_every_formula_gives_the_same_answer_or_error_in_all_four_hosts(live_server, tmp_path, monkeypatch):
    if NODE is None:
        pytest.skip("node not installed")
    base, token, _ = live_server
    listed = cases()
    calls = [[name, args] for name, args, _ in listed]
    (tmp_path / "calls.json").write_text(json.dumps(calls, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "office.js").write_text(NODE_OFFICE_EACH, encoding="utf-8")
    (tmp_path / "Code.js").write_text(apps_script(), encoding="utf-8")
    (tmp_path / "sheets.js").write_text(NODE_APPS_SCRIPT_EACH, encoding="utf-8")

    office = node_json(tmp_path / "office.js", tmp_path / "calls.json", base, token, timeout=300)
    sheets = node_json(
        tmp_path / "sheets.js",
        tmp_path / "Code.js",
        base,
        token,
        env={"ESAPLAN_CALLS": str(tmp_path / "calls.json")},
        timeout=300,
    )
    lite = lite_namespace(base, token)
    on_pc = [getattr(desktop, name)(*args) for name, args in calls]
    monkeypatch.setenv("ESAPLAN_URL", base)
    monkeypatch.setenv("ESAPLAN_TOKEN", token)
    via_service = [getattr(desktop, name)(*args) for name, args in calls]

    async def in_lite() -> list[Any]:
        answers = []
        for name, args in calls:
            try:
                answers.append(("value", await lite[name](*args)))
            except ValueError as error:
                answers.append(("error", str(error)))
        return answers

    lite_answers = asyncio.run(in_lite())

    for i, (name, args, (kind, expected)) in enumerate(listed):
        where = f"{name}{tuple(args)}"[:160]
        if kind == "value":
            truth = call(name, args)
            if expected is not None:  # the worked example's own answer, written by hand in the registry
                assert blank(truth) == blank(expected), where
            assert "value" in office[i], (where, office[i])
            answers = {
                "Office": office[i]["value"],
                "Google Sheets": sheets[i].get("value", sheets[i]),
                "desktop": via_service[i],
                "desktop, no service": on_pc[i],
                "Lite": lite_answers[i][1] if lite_answers[i][0] == "value" else lite_answers[i],
            }
            assert {host: blank(v) for host, v in answers.items()} == dict.fromkeys(answers, blank(truth)), where
            continue
        with pytest.raises(FormulaError) as raised:
            call(name, args)
        truth_said = (raised.value.excel, raised.value.reason)
        assert truth_said[0] == expected, where
        code, message = office[i]["error"]
        assert (code, message) == (expected, f"{name.replace('_', '.', 1)}: {truth_said[1]}"[:250]), where
        assert said(name, sheets[i]["error"]) == truth_said, where
        assert lite_answers[i][0] == "error" and said(name, lite_answers[i][1]) == truth_said, where
        for answer in (via_service[i], on_pc[i]):  # the text esaplan.xlsm's VBA turns into the error value
            assert answer == f"{expected} {name}: {truth_said[1]}", where
