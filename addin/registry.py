"""The one registry of ESA_* formulas: each written once, every spreadsheet surface derived from it.

A formula is a thin wrapper over :mod:`rules` plus what a spreadsheet needs around it: typed
parameters with Thai and English descriptions, the shape it returns (a value, a row, a column
or a table that spills), and a worked example used in the documentation and the tests. The
Excel (xlwings), Office.js, Google Sheets and xlwings Lite surfaces are generated from this
registry or dispatch through :func:`call`; none of them repeats a formula.

Spreadsheet conventions live here too, once: blank cells are ``None`` (Office.js and Apps
Script send ``""``), ranges arrive as lists of rows, Excel dates may arrive as serial numbers,
and a formula that cannot answer raises :class:`FormulaError` with the reason in Thai, which
each surface turns into its host's own error (``#VALUE!`` with the reason in Excel, ``#ERROR!``
in Google Sheets), so ``IFERROR`` and ``ISERROR`` work on it as on any built-in function.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rules import EsaplanError, parse_date
from rules.money import whole_count

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial day 0 of Excel's (1900) date system
EXACT = 2**53  # the largest whole number a cell (an IEEE double) holds exactly; JSON readers agree up to it


@dataclass(frozen=True)
class Param:
    """One argument of a formula."""

    name: str
    type: str  # number | text | date | any | range
    th: str
    en: str
    optional: bool = False
    choices: tuple[tuple[Any, str], ...] = ()  # (value, Thai tooltip): offered as a list where the host can


@dataclass(frozen=True)
class Formula:
    """One ESA_* formula and everything a surface needs to expose it."""

    name: str
    th: str
    en: str
    params: tuple[Param, ...]
    returns: str  # value | row | column | table
    function: Callable[..., Any]
    example: tuple[tuple[Any, ...], Any] = field(default=((), None))
    takes_context: bool = False  # given what the installation knows (its registry's units) where it runs in one

    @property
    def spills(self) -> bool:
        return self.returns != "value"

    @property
    def lifts(self) -> bool:
        """A one-value formula given ranges answers cell by cell with a range of the same shape, as
        Excel's own functions do (``=ESA_PERHEAD("ป.1", B2:B261)``): one call, not 260."""
        return self.returns == "value"


FORMULAS: dict[str, Formula] = {}


def described(param: Param) -> str:
    """An argument's Thai help as the hosts without drop-down lists show it: its choices spelled out."""
    choices = " | ".join(f"{value} = {tooltip}" for value, tooltip in param.choices)
    return f"{param.th}{' (ไม่บังคับ)' if param.optional else ''}{': ' + choices if choices else ''}"


def formula(
    name: str,
    th: str,
    en: str,
    params: list[Param],
    returns: str,
    example: tuple[tuple[Any, ...], Any],
    *,
    takes_context: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``function`` as the formula ``name``; ``takes_context`` passes it ``context=`` (a mapping,
    empty on a PC): what the service knows of the installation, e.g. ``units`` (code or name -> kind)."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        FORMULAS[name] = Formula(name, th, en, tuple(params), returns, function, example, takes_context)
        return function

    return register


#: The one table of what a failure is in a spreadsheet: the error value a user expects and IFERROR/ISERROR
#: and ERROR.TYPE tell apart. Bad input is #VALUE!, nothing to divide by #DIV/0!, a number past what can be
#: worked out #NUM!; the service out of reach is #N/A, which only a host can know (Office's forwarder).
EXCEL_ERRORS = {"value": "#VALUE!", "div0": "#DIV/0!", "num": "#NUM!", "na": "#N/A"}


class FormulaError(Exception):
    """Why a formula cannot answer, in Thai, without the formula's name: each surface names it as
    it is typed there (``ESA.ALLOCATE`` in the Office add-in, ``ESA_ALLOCATE`` elsewhere); ``kind``
    is its row of :data:`EXCEL_ERRORS`."""

    def __init__(self, reason: str, *, unknown: bool = False, kind: str = "value") -> None:
        super().__init__(reason)
        self.reason, self.unknown, self.kind = reason, unknown, kind

    @property
    def excel(self) -> str:
        return EXCEL_ERRORS[self.kind]


def call(name: str, args: list[Any] | tuple[Any, ...], *, context: Mapping[str, Any] | None = None) -> Any:
    """Run a formula with spreadsheet arguments; raises :class:`FormulaError` with the Thai reason
    when it cannot answer (a bad argument, a rate not filled in), never another exception.
    ``context`` is what the installation knows, for the formulas that take it (the service gives it)."""
    entry = FORMULAS.get(name.upper())
    if entry is None:
        raise FormulaError(f"ไม่มีสูตร {name}", unknown=True)
    values = [blank_to_none(a) for a in args]
    required = sum(1 for p in entry.params if not p.optional)
    if len(values) < required or len(values) > len(entry.params):
        raise FormulaError(f"ต้องมีอาร์กิวเมนต์ {required}-{len(entry.params)} ตัว (ได้ {len(values)})")
    values += [None] * (len(entry.params) - len(values))
    if entry.lifts:
        values = [_one_cell(v) for v in values]
        if any(isinstance(v, list) for v in values):
            return _lifted(entry, values)
    return _answer(entry, values, context)


def _answer(entry: Formula, values: list[Any], context: Mapping[str, Any] | None = None) -> Any:
    for param, value in zip(entry.params, values, strict=True):
        if value is None and not param.optional:
            raise FormulaError(f"ต้องระบุ {param.name} ({param.th})")
    given = {"context": dict(context or {})} if entry.takes_context else {}
    try:
        return to_cells(entry.function(*values, **given))
    except EsaplanError as exc:
        raise FormulaError(exc.message_th) from exc
    except (ZeroDivisionError, decimal.DivisionUndefined) as exc:
        raise FormulaError("หารด้วยศูนย์", kind="div0") from exc
    except decimal.ConversionSyntax as exc:  # text that is no number: bad input, not a number too large
        raise FormulaError("ไม่ใช่ตัวเลข") from exc
    except (OverflowError, decimal.Overflow, decimal.InvalidOperation) as exc:  # past Decimal's 28 digits, say
        raise FormulaError("ตัวเลขใหญ่เกินกว่าที่คำนวณได้", kind="num") from exc
    except (ArithmeticError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise FormulaError(f"อาร์กิวเมนต์ไม่ถูกต้อง ({type(exc).__name__}: {exc})") from exc


def _one_cell(value: Any) -> Any:
    """A one-cell range is its value (Office and xlwings send a scalar as ``[[x]]`` where a range may come)."""
    rows = rows_of(value) if isinstance(value, list) else None
    return rows[0][0] if rows is not None and len(rows) == 1 and len(rows[0]) == 1 else value


def _lifted(entry: Formula, values: list[Any]) -> list[list[Any]]:
    """``entry`` cell by cell over the ranges among ``values`` (all of one shape; scalars repeat).

    A row whose range cells are all blank answers blank (a column selected past its last school);
    any other cell that cannot answer fails the whole formula with its position, so IFERROR and
    the Thai reason work as for one cell.
    """
    ranges = {i: rows_of(v) for i, v in enumerate(values) if isinstance(v, list)}
    shapes = {(len(rows), max(len(r) for r in rows)) for rows in ranges.values()}
    if len(shapes) > 1:
        sizes = " กับ ".join(f"{r}×{c}" for r, c in sorted(shapes))
        raise FormulaError(f"ช่วงข้อมูลต้องมีขนาดเท่ากัน (ได้ {sizes} แถว×คอลัมน์)")
    height, width = shapes.pop()
    answer: list[list[Any]] = []
    for r in range(height):
        row: list[Any] = []
        for c in range(width):
            cell = [
                (ranges[i][r][c] if c < len(ranges[i][r]) else None) if i in ranges else v for i, v in enumerate(values)
            ]
            if all(_blank(cell[i]) is None for i in ranges):
                row.append(None)
                continue
            try:
                row.append(_answer(entry, [_blank(v) for v in cell]))
            except FormulaError as error:
                where = f"แถวที่ {r + 1}" + (f" คอลัมน์ที่ {c + 1}" if width > 1 else "")
                raise FormulaError(f"{where} ของช่วง: {error.reason}", kind=error.kind) from None
        answer.append(row)
    return answer


# --- spreadsheet value conventions -----------------------------------------------------------


def blank_to_none(value: Any) -> Any:
    """``""`` and empty cells inside ranges become ``None``: a blank is a blank, not a zero. A range
    with no text at all (a column of pupil counts) is answered as it came, looked at once at C speed."""
    if isinstance(value, list):
        if all(type(row) is list for row in value) and str not in {type(v) for row in value for v in row}:
            return value
        return [
            [_blank(v) if type(v) is str else v for v in row] if isinstance(row, list) else _blank(row) for row in value
        ]
    return _blank(value)


def _blank(value: Any) -> Any:
    return None if type(value) is str and not value.strip() else value


def rows_of(value: Any) -> list[list[Any]]:
    """A range as a list of rows, whatever the surface sent (a scalar, a row, a column, a table)."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [[value]]
    if value and not isinstance(value[0], list):
        return [[v] for v in value]
    return value


def flat(value: Any) -> list[Any]:
    """All cells of a range in reading order (a column or a row of weights, say)."""
    return [cell for row in rows_of(value) for cell in row]


def one_or_many(value: Any) -> Any:
    """A parameter that takes one number or a range: a 1x1 range is its one value (Excel on the web
    passes a declared matrix parameter as ``[[200]]`` where the sheet says 200), a longer range its cells."""
    if not isinstance(value, list):
        return value
    cells = flat(value)
    return cells[0] if len(cells) == 1 else cells


def to_cells(value: Any) -> Any:
    """Exact results become what a cell holds: whole numbers as int, others as float, Decimals never.

    Results are a value, a list of values or a list of rows (ranges are two levels at most). A range
    of whole numbers a cell holds exactly (blanks among them), the usual answer, is answered as it is.
    """
    if isinstance(value, list):
        if _cells_already(value):
            return value
        return [[_cell(v) for v in row] if isinstance(row, list) else _cell(row) for row in value]
    return _cell(value)


def _cells_already(rows: list[Any]) -> bool:
    """Whether every cell of ``rows`` is a whole number within :data:`EXACT` or blank (30,000 in ~3 ms)."""
    if not all(type(row) is list for row in rows):
        return False
    cells = [v for row in rows for v in row]
    kinds = set(map(type, cells))
    if not kinds <= {int, type(None)}:
        return False
    whole = [v for v in cells if v is not None] if type(None) in kinds else cells
    return not whole or (min(whole) >= -EXACT and max(whole) <= EXACT)


def _cell(value: Any) -> Any:
    """One answer as a cell holds it: a whole number past 2**53, or any number past a double's range, is
    what a double can hold, or #NUM! (an OverflowError here) where none can, as Excel says of 1E+309."""
    kind = type(value)
    if kind is int or kind is Decimal:
        if value == int(value) and -EXACT <= value <= EXACT:
            return int(value)
        return _finite(float(value))  # float() of an int too large for a double raises OverflowError itself
    if kind is float:
        return _finite(value)
    if kind is str or value is None:
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _finite(number: float) -> float:
    if not math.isfinite(number):  # Decimal -> float gives inf, and inf or nan reach no cell
        raise OverflowError(number)
    return number


def as_date(value: Any) -> dt.date:
    """A date from a date cell, an Excel serial number or Thai text (``"24 พ.ย. 2569"``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    return parse_date(value)


def as_int(value: Any, default: int) -> int:
    """A whole-number argument (years, rounds) from a number or Thai text; ``default`` when blank."""
    return default if value is None else whole_count(value, "จำนวน")
