"""The VBA module esaplan.xlsm carries: one Function per ESA_* formula and one Sub per button.

xlwings writes such wrappers itself when a person presses Import Functions, but only after
Excel's "Trust access to the VBA project object model" is ticked, and its wrappers put a failed
formula's reason in the cell as text. Written here from the registry instead (the same
``XLPy.CallUDF`` call xlwings writes), the formulas work on first open, with one difference:
a formula that cannot answer shows Excel's own error value (#VALUE!, #N/A, #DIV/0!, #NUM!), so
IFERROR, ISERROR and ERROR.TYPE work as on a built-in function, and ``=ESA_WHY(cell)`` gives the
Thai reason beside it.

Why the Python side cannot return the error value itself: pywin32 turns any VT_ERROR it is given
into DISP_E_PARAMNOTFOUND (``MakeObjToVariant`` in pywin32's com/win32com/src/oleargs.cpp: "should
this be PyObject_Int??"), so xlwings UDFs cannot return a cell error (xlwings issue #776, open since
2017). The Python UDF answers a failure as text led by Excel's error name (``"#N/A ESA_KPI: ..."``,
:func:`addin.xlwings_udfs.failure_text`); the wrapper below turns that text into ``CVErr``.

The module is ASCII: a VBA project keeps its source in one code page (1252 in xlwings' project),
so Thai reaches Excel only as the reasons Python sends at run time.
"""

from __future__ import annotations

from addin.registry import EXCEL_ERRORS, FORMULAS, Formula

MODULE = "esaplan_udfs"
UDF_MODULE = "addin.xlwings_udfs"  # the Python module XLPy.CallUDF runs the formulas from
#: Excel's error values as VBA's CVErr numbers (Microsoft, "Cell error values":
#: learn.microsoft.com/office/vba/excel/concepts/cells-and-ranges/cell-error-values).
CVERR = {"#VALUE!": 2015, "#DIV/0!": 2007, "#NUM!": 2036, "#N/A": 2042}
MACROS = ("consolidate_now", "validate_this_sheet", "allocation_register_sheet")  # the start sheet's buttons
DESCRIBE = "describe_formulas"  # run when the workbook opens: the Thai help of Insert Function
WHY = "ESA_WHY"
#: Words VBA keeps for itself that a formula's parameter may be called (ESA_FISCAL_YEAR's ``date``).
_RESERVED = {"date", "string", "type", "error", "end", "name", "object", "long", "integer", "currency", "boolean"}

_HEADER = f"""Attribute VB_Name = "{MODULE}"
' esaplan's formulas (ESA_*) and buttons for Excel on Windows, written by `esaplan excel setup` from
' esaplan's formula registry: the calls xlwings' Import Functions writes, so they work on first open.
' A formula that cannot answer shows Excel's own error (#VALUE!, #N/A, #DIV/0!, #NUM!), which IFERROR
' and ISERROR see; =ESA_WHY(cell) gives its reason. Written again by the next setup: do not edit.
Option Explicit

Private Reasons As Object  ' a cell's address -> why its formula could not answer
"""

_COMMON = f"""
Function {WHY}(cell As Range) As Variant
Attribute {WHY}.VB_Description = "Why the ESA formula in this cell shows an error (blank when it answered)"
    Dim key As String
    Application.Volatile
    {WHY} = ""
    If Reasons Is Nothing Then Exit Function
    key = cell.Cells(1, 1).Address(External:=True)
    If Reasons.Exists(key) Then {WHY} = Reasons(key)
End Function

Private Function EsaAnswer(ByVal formula As String, ByVal args As Variant) As Variant
    Dim result As Variant, mark As Variant
    If TypeOf Application.Caller Is Range Then On Error GoTo failed
    result = XLPy.CallUDF("{UDF_MODULE}", formula, args, ThisWorkbook, Application.Caller)
    If VarType(result) = vbString Then
        For Each mark In Array({", ".join(f'Array("{text} ", {number})' for text, number in CVERR.items())})
            If Left$(result, Len(mark(0))) = mark(0) Then
                Remember Mid$(result, Len(mark(0)) + 1)
                EsaAnswer = CVErr(mark(1))
                Exit Function
            End If
        Next mark
    End If
    Remember ""
    EsaAnswer = result
    Exit Function
failed:
    Remember formula & ": " & Err.Description
    EsaAnswer = CVErr({CVERR["#VALUE!"]})
End Function

Private Sub Remember(ByVal reason As String)
    Dim key As String
    If Not TypeOf Application.Caller Is Range Then Exit Sub
    key = Application.Caller.Cells(1, 1).Address(External:=True)
    If Reasons Is Nothing Then Set Reasons = CreateObject("Scripting.Dictionary")
    If Len(reason) = 0 Then
        If Reasons.Exists(key) Then Reasons.Remove key
    Else
        Reasons(key) = reason
    End If
End Sub
"""


def vba_module() -> str:
    """The module's source as VBA keeps it (CRLF lines)."""
    assert set(CVERR) == set(EXCEL_ERRORS.values()), "every error of the registry's table has its CVErr number"
    parts = [_HEADER, *(_function(entry) for entry in FORMULAS.values()), _COMMON, *map(_sub, (*MACROS, DESCRIBE))]
    return "\r\n".join("\n".join(parts).splitlines()) + "\r\n"


def on_open(workbook_module: str) -> str:
    """ThisWorkbook's source with an ``Workbook_Open`` that describes the formulas in Thai; a PC whose
    Python cannot start still opens the workbook (the formulas then say why, through ESA_WHY)."""
    handler = f"""
Private Sub Workbook_Open()
    On Error Resume Next
    {DESCRIBE}
End Sub
"""
    return workbook_module.rstrip("\r\n") + "\r\n" + "\r\n".join(handler.strip("\n").splitlines()) + "\r\n"


def vba_name(parameter: str) -> str:
    """A parameter's name in VBA: as in the registry, unless VBA keeps the word (``date`` -> ``date_``)."""
    return parameter + "_" if parameter.lower() in _RESERVED else parameter


def _function(entry: Formula) -> str:
    names = [vba_name(p.name) for p in entry.params]
    signature = ", ".join(("Optional " if p.optional else "") + n for p, n in zip(entry.params, names, strict=True))
    description = entry.en.encode("ascii", "replace").decode().replace('"', "'")
    return (
        f"Function {entry.name}({signature})\n"
        f'Attribute {entry.name}.VB_Description = "{description}"\n'
        f'    {entry.name} = EsaAnswer("{entry.name}", Array({", ".join(names)}))\n'
        "End Function\n"
    )


def _sub(macro: str) -> str:
    return f'Sub {macro}()\n    XLPy.CallUDF "{UDF_MODULE}", "{macro}", Array(), ThisWorkbook, Application.Caller\nEnd Sub\n'
