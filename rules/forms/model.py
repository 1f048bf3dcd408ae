"""Forms as data: each form (``rules/data/forms/<code>.yaml``) declares its sheet, its columns (key,
Thai label, accepted header aliases, type, range, choices) and cross-field checks; form sets say which
forms a kind of unit sends each round. Loaded once a process and checked with the rules data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from rules.defaults import default_parameters
from rules.forms.cells import fold
from rules.grades import all_grades
from rules.kpi import kpis

FORMULA_PREFIXES = ("=", "+", "-", "@")
HEADER_SCAN_ROWS = 15


@dataclass(frozen=True)
class Column:
    """One column of a form: input columns are typed in; ``formula``/``lookup`` ones are filled by the template."""

    key: str
    th: str
    aliases: tuple[str, ...] = ()
    hint_th: str | None = None  # said with "ต้องกรอก" when the cell is left blank: what to type instead
    type: str = "text"
    required: bool = False
    min: Decimal | None = None
    max: Decimal | None = None
    choices: tuple[str, ...] = ()
    formula: str | None = None
    lookup: str | None = None
    unusual: str | None = None  # a parameter (rules/data): above its value, a warning that the figure looks wrong
    impossible: str | None = None  # a parameter: above its value, an error (the row is left out)

    @property
    def is_input(self) -> bool:
        return self.formula is None and self.lookup is None


@dataclass(frozen=True)
class Check:
    """A DHIS2-style validation rule: ``left op right`` (optionally only ``when`` holds)."""

    id: str
    left: str
    op: str
    right: str
    severity: str
    message_th: str
    when: str | None = None
    cell: str | None = None  # column whose cell the problem points at (default: first of ``left``)


@dataclass(frozen=True)
class SharedRooms:
    """How a form with rooms by grade says that several grades share a room (ห้องเรียนคละชั้น), as
    about half of OBEC's schools teach: the room is counted once, at the grade that holds it
    (``rooms``), and each other grade names that grade in its ``with`` column (or types 0 rooms
    right after it, or sits under a rooms cell merged over the grades). The ``checks`` about rooms
    are then made on the room's group (its grades' pupils together), not grade by grade."""

    rooms: str
    with_: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Form:
    """One form = one sheet of a submission workbook."""

    code: str
    version: int
    sheet: str
    title_th: str
    description: str
    columns: tuple[Column, ...]
    checks: tuple[Check, ...]
    prefill: Mapping[str, Any] | None = None
    blank_rows: int = 0
    transfer_check: bool = False
    kpi_check: bool = False
    unique: tuple[str, ...] = ()  # the columns that name a row: a grade, a KPI code, a budget line appears once
    shared_rooms: SharedRooms | None = None  # grades that share a room (ห้องเรียนคละชั้น), when the form has rooms by grade
    empty: str | None = None  # the severity of a sheet with no rows, when every unit has something to report on it

    @property
    def inputs(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.is_input)


@dataclass(frozen=True)
class FormSet:
    """The forms one kind of unit sends each round, in one workbook."""

    code: str
    th: str
    file: str
    submitted_by: str
    forms: tuple[Form, ...]
    deadline_days: int
    yearly: bool = False  # sent once a fiscal year (the action plan), not every round


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth knowing) in a submitted sheet, with the cell to look at."""

    sheet: str
    cell: str
    rule: str
    severity: str
    message_th: str
    value: Any = None
    column: str | None = None


@dataclass
class SheetResult:
    """Normalised rows (each with its spreadsheet row number in ``_row``) and the problems found."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")


def _decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@cache
def forms() -> dict[str, Form]:
    """Every form declared in rules/data/forms, by code."""
    params = default_parameters()
    result = {}
    for name in params.files:
        if not name.startswith("forms.") or name == "forms.sets":
            continue
        data = params.table(name)
        result[data["code"]] = Form(
            code=data["code"],
            version=int(data["version"]),
            sheet=data["sheet"],
            title_th=data["title_th"],
            description=data["description"],
            columns=tuple(
                Column(
                    key=c["key"],
                    th=c["th"],
                    aliases=tuple(c.get("aliases", ())),
                    hint_th=c.get("hint_th"),
                    type=c.get("type", "text"),
                    required=bool(c.get("required", False)),
                    min=_decimal_or_none(c.get("min", 0 if c.get("type") in {"count", "money"} else None)),
                    max=_decimal_or_none(c.get("max")),
                    choices=tuple(c.get("choices", ())),
                    formula=c.get("formula"),
                    lookup=c.get("lookup"),
                    unusual=c.get("unusual"),
                    impossible=c.get("impossible"),
                )
                for c in data["columns"]
            ),
            checks=tuple(Check(**{k: v for k, v in c.items()}) for c in data.get("checks") or ()),
            prefill=data.get("prefill"),
            blank_rows=int(data.get("blank_rows", 0)),
            transfer_check=bool(data.get("transfer_check", False)),
            kpi_check=bool(data.get("kpi_check", False)),
            unique=tuple(data.get("unique") or ()),
            shared_rooms=SharedRooms(
                data["shared_rooms"]["rooms"],
                data["shared_rooms"]["with"],
                tuple(data["shared_rooms"].get("checks") or ()),
            )
            if data.get("shared_rooms")
            else None,
            empty=data.get("empty"),
        )
    return result


@cache
def form_sets() -> dict[str, FormSet]:
    """The form sets (one workbook each), by code."""
    data = default_parameters().table("forms.sets")
    catalogue = forms()
    return {
        row["code"]: FormSet(
            code=row["code"],
            th=row["th"],
            file=row["file"],
            submitted_by=row["submitted_by"],
            forms=tuple(catalogue[code] for code in row["forms"]),
            deadline_days=int(data["deadline_days_after_round_end"]),
            yearly=row.get("cycle") == "year",
        )
        for row in data["sets"]
    }


def preload() -> None:
    """Load every cached rules table now: worker processes forked afterwards inherit them."""
    form_sets()
    kpis()
    all_grades()
    for form in forms().values():
        header_map_of(form.code)


def form_version(form_set: FormSet) -> str:
    """The version stamp written into a workbook of this set: each form's code and version."""
    return ".".join(f"{f.code}:{f.version}" for f in form_set.forms)


# --- expressions -------------------------------------------------------------------------


@cache
def header_map_of(code: str) -> dict[str, str]:
    return header_map(forms()[code])


def header_map(form: Form) -> dict[str, str]:
    names: dict[str, str] = {}
    for column in form.columns:
        for spelling in (column.key, column.th, *column.aliases):
            names.setdefault(fold(spelling), column.key)
    return names
