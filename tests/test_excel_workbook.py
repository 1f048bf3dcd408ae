"""esaplan.xlsm as `esaplan excel setup` writes it: xlwings' own VBA project inside (the one with
Import Functions), buttons bound to the macros, the UDF module named in its xlwings.conf sheet, and
every registry formula's worked example with the answer it should give."""

from __future__ import annotations

import re
import warnings
import zipfile

from click.testing import CliRunner
from openpyxl import load_workbook

from addin import FORMULAS, call
from addin.excel_workbook import BUTTONS, CONF, EXAMPLES, START, xlwings_vba_project
from sync.cli import main


def test_excel_setup_writes_a_macro_workbook_that_imports_the_formulas(tmp_path):
    out = tmp_path / "Documents" / "esaplan.xlsm"
    result = CliRunner().invoke(
        main, ["excel", "setup", "--url", "https://plan.example.go.th/", "--out", str(out)], input="รหัสลับ\n"
    )
    assert result.exit_code == 0, result.output
    assert "รหัสลับ" not in result.output and "เขียนแล้ว" in result.output

    with zipfile.ZipFile(out) as archive:
        assert archive.read("xl/vbaProject.bin") == xlwings_vba_project()
        assert b"macroEnabled" in archive.read("[Content_Types].xml")
        drawings = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".vml"))
    macros = re.findall(rb"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", drawings)
    assert [m.decode() for m in macros] == [macro for _, macro in BUTTONS]

    with warnings.catch_warnings():  # oletools still calls a pyparsing name deprecated in 3.3
        warnings.simplefilter("ignore")
        from oletools.olevba import VBA_Parser

        code = "\n".join(source for *_, source in VBA_Parser(str(out)).extract_macros())
    assert "Sub ImportPythonUDFs()" in code and "RunPython" in code

    book = load_workbook(out, keep_vba=True)
    assert book.sheetnames == [START, EXAMPLES, CONF]
    conf = {row[0]: row[1] for row in book[CONF].iter_rows(values_only=True)}
    assert conf["UDF Modules"] == "addin.xlwings_udfs" and conf["Interpreter_Win"]
    steps = " ".join(str(c.value) for c in book[START]["A"] if c.value)
    assert (
        "Trust access to the VBA project object model" in steps
        and "Microsoft Store" in steps
        and "ESAPLAN_URL" in steps
    )

    examples = book[EXAMPLES]
    shown = {row[0]: row for row in examples.iter_rows(min_row=2, values_only=True) if row[0]}
    assert set(shown) == set(FORMULAS)
    for name, entry in FORMULAS.items():
        typed, expected = shown[name][2], entry.example[1]
        assert typed.startswith(f"={name}(")
        if not isinstance(expected, list) and expected is not None:
            assert str(call(name, list(entry.example[0]))) == shown[name][3] == str(expected)
    live = {row[0].value: row[4].value for row in examples.iter_rows(min_row=2) if row[0].value}
    assert live["ESA_BAHTTEXT"] == "=ESA_BAHTTEXT(101)"
    allocate = live["ESA_ALLOCATE"]
    assert re.fullmatch(
        r"=ESA_ALLOCATE\(100, H\d+:H\d+\)", getattr(allocate, "text", allocate)
    )  # a dynamic array: it spills
