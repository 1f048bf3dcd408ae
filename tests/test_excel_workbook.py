"""esaplan.xlsm as `esaplan excel setup` writes it: xlwings' own VBA project inside without its sample
module, esaplan's module of formula wrappers (run here in pyOpenVBA's VBA interpreter), buttons bound
to the macros, the UDF module named in its xlwings.conf sheet, and every registry formula's worked
example with the answer it should give."""

from __future__ import annotations

import re
import warnings
import zipfile

from click.testing import CliRunner
from openpyxl import load_workbook
from pyopenvba import ExcelFile

from addin import FORMULAS, call
from addin.excel_vba import MODULE, vba_name
from addin.excel_workbook import BUTTONS, CONF, EXAMPLES, START, esaplan_xlsm
from sync.cli import main


def test_excel_setup_writes_a_macro_workbook_whose_formulas_work_on_first_open(tmp_path):
    out = tmp_path / "Documents" / "esaplan.xlsm"
    result = CliRunner().invoke(
        main, ["excel", "setup", "--url", "https://plan.example.go.th/", "--out", str(out)], input="รหัสลับ\n"
    )
    assert result.exit_code == 0, result.output
    assert "รหัสลับ" not in result.output and "เขียนแล้ว" in result.output

    with zipfile.ZipFile(out) as archive:
        assert b"macroEnabled" in archive.read("[Content_Types].xml")
        drawings = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".vml"))
    macros = re.findall(rb"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", drawings)
    assert [m.decode() for m in macros] == [macro for _, macro in BUTTONS]

    with warnings.catch_warnings():  # oletools still calls a pyparsing name deprecated in 3.3
        warnings.simplefilter("ignore")
        from oletools.olevba import VBA_Parser

        modules = {name: source for _, _, name, source in VBA_Parser(str(out)).extract_macros()}
    assert "Module1.bas" not in modules and "RunPython" in modules["xlwings.bas"]  # xlwings' own, less its sample
    wrappers = modules[f"{MODULE}.bas"]
    for name, entry in FORMULAS.items():  # every formula, its parameters as Excel's tooltips show them
        names = ", ".join(("Optional " if p.optional else "") + vba_name(p.name) for p in entry.params)
        assert f"Function {name}({names})" in wrappers
    assert all(f"Sub {macro}()" in wrappers for _, macro in BUTTONS)
    assert (
        "Private Sub Workbook_Open()" in modules["ThisWorkbook.cls"]
        and "describe_formulas" in modules["ThisWorkbook.cls"]
    )
    with ExcelFile(out) as written:
        assert written.validate() == []  # pyOpenVBA's own check of the project's records

    book = load_workbook(out, keep_vba=True)
    assert book.sheetnames == [START, EXAMPLES, CONF]
    conf = {row[0]: row[1] for row in book[CONF].iter_rows(values_only=True)}
    assert conf["UDF Modules"] == "addin.xlwings_udfs" and conf["Interpreter_Win"]
    steps = " ".join(str(c.value) for c in book[START]["A"] if c.value)
    assert "Trust access" not in steps and "Import Functions" not in steps  # nothing to set, nothing to press
    assert (
        "Enable Content" in steps and "=ESA_WHY(E5)" in steps and "Microsoft Store" in steps and "ESAPLAN_URL" in steps
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


#: xlwings' COM server as the wrappers see it, answering what the test put in cell A1 of the sheet
#: (or failing as XLPy does when Python cannot start, with Err.Raise, when B1 says so).
STAND_IN = """Function XLPy() As Object
    Set XLPy = New PythonStandIn
End Function
"""
STAND_IN_CLASS = """Public Function CallUDF(moduleName, formula, args, book, caller) As Variant
    If Range("B1").Value = "no Python" Then Err.Raise 1000, Description:="Could not activate Python COM server"
    CallUDF = Range("A1").Value
End Function
"""


def shipped_wrappers(tmp_path):
    """esaplan.xlsm's own module, loaded into pyOpenVBA's interpreter with XLPy stood in. The interpreter
    has no Application.Caller and no procedure attributes (it says so by name): the formula's cell is
    E5, textually, and the Insert Function descriptions (``Attribute ESA_X.VB_Description``) are left out."""
    from pyopenvba.apps.excel import ExcelApplication

    out = tmp_path / "esaplan.xlsm"
    out.write_bytes(esaplan_xlsm("C:\\esaplan\\.venv\\Scripts\\pythonw.exe"))
    with ExcelFile(out) as written:
        source = written.get_module(MODULE)
    app = ExcelApplication()
    app.add_workbook()
    app.add_module(STAND_IN, name="StandIn")
    app.add_module(STAND_IN_CLASS, name="PythonStandIn", kind="class")
    runnable = re.sub(r"(?m)^Attribute \w+\.VB_Description = .*\r?\n", "", source)
    app.add_module(runnable.replace("Application.Caller", 'Range("E5")'), name=MODULE)
    return app


def test_a_formula_that_cannot_answer_is_excels_error_value_and_esa_why_says_why(tmp_path, monkeypatch):
    """What the Python UDF really answers (addin.xlwings_udfs, on the PC's rules or an unreachable service)
    goes through the shipped VBA: a failure becomes Excel's error value, its Thai reason =ESA_WHY(E5)."""
    import addin.xlwings_udfs as desktop

    app = shipped_wrappers(tmp_path)

    def through_vba(expression: str, python_answer):
        app.sheet(1).set_value("A1", python_answer)
        app.sheet(1).set_value("B1", "no Python" if python_answer is None else "")
        return app.evaluate(f"CStr({expression})"), app.evaluate('ESA_WHY(Range("E5"))')

    shown, why = through_vba("ESA_KPI(3, 0)", desktop.ESA_KPI(3, 0))
    assert shown == "Error 2007" and why.startswith("ESA_KPI: ตัวหารเป็นศูนย์")  # #DIV/0!
    shown, why = through_vba('ESA_ROOMS("สิบ", "ป.1")', desktop.ESA_ROOMS("สิบ", "ป.1"))
    assert shown == "Error 2015" and why.startswith("ESA_ROOMS: ") and "สิบ" in why  # #VALUE!
    shown, why = through_vba("ESA_BAHTTEXT(1E+308)", desktop.ESA_BAHTTEXT(1e308))
    assert shown == "Error 2036" and why == "ESA_BAHTTEXT: ตัวเลขใหญ่เกินกว่าที่คำนวณได้"  # #NUM!
    monkeypatch.setenv("ESAPLAN_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    shown, why = through_vba("ESA_BAHTTEXT(101)", desktop.ESA_BAHTTEXT(101))
    assert shown == "Error 2042" and why.startswith("ESA_BAHTTEXT: ติดต่อระบบ esaplan")  # #N/A
    monkeypatch.delenv("ESAPLAN_URL")
    assert app.evaluate("IsError(ESA_BAHTTEXT(101))") is True

    shown, why = through_vba("ESA_BAHTTEXT(101)", desktop.ESA_BAHTTEXT(101))
    assert (shown, why) == ("หนึ่งร้อยเอ็ดบาทถ้วน", "")  # an answer, and the cell's old reason forgotten
    shown, why = through_vba('ESA_KPI_NAME("X")', None)  # Python itself could not start
    assert shown == "Error 2015" and why == "ESA_KPI_NAME: Could not activate Python COM server"


def test_on_open_the_formulas_get_their_thai_help_in_insert_function(monkeypatch):
    """What Workbook_Open runs: Application.MacroOptions for every formula, its Thai description and each
    argument's Thai help (choices spelled out) in the category esaplan, and the book left unchanged."""
    import addin.xlwings_udfs as desktop
    from addin.registry import described

    said: list[tuple] = []

    class Api:
        Saved = False

        def MacroOptions(self, macro, **options):  # noqa: N802 - Excel's own name
            said.append((macro, options))

    book = type("Book", (), {"name": "esaplan.xlsm", "api": Api(), "app": type("App", (), {"api": Api()})()})()
    monkeypatch.setattr(desktop.xw.Book, "caller", staticmethod(lambda: book))
    desktop.describe_formulas()
    assert [macro for macro, _ in said] == [f"'esaplan.xlsm'!{name}" for name in FORMULAS]
    kpi = dict(said)["'esaplan.xlsm'!ESA_KPI_STATUS"]
    assert kpi["Category"] == "esaplan" and kpi["Description"] == FORMULAS["ESA_KPI_STATUS"].th
    assert kpi["ArgumentDescriptions"] == [described(p) for p in FORMULAS["ESA_KPI_STATUS"].params]
    assert book.api.Saved is True
