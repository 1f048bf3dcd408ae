"""A Google Sheet's submission as stored data: the values of its tabs, read in one batch-get.

What esaplan keeps of a sheet is a *snapshot*: the unit code cell of the instructions tab, each
form's tab and the hidden ``_esaplan`` tab, as the Sheets API returned them (formulas as their
text, dates as shown), in canonical JSON, every grid anchored at A1. The snapshot is the submitted "file": it is hashed, kept in the
store and read back into the same :class:`~sync.intake.reader.Workbook` an xlsx produces, so one
validation serves both channels. Its hash covers the values only, so a sheet whose values did not
change (a formatting edit, esaplan's own feedback) is not a new version.
"""

from __future__ import annotations

import io
import json
from typing import Any

from rules.forms import FormSet, column_letter
from sync.intake.reader import INSTRUCTIONS_SHEET, META_SHEET, UNIT_CELL, UNIT_CELL_NAME, Workbook, workbook_from_grids
from sync.intake.sheetscan import Reach


def a1_range(title: str, reach: Reach) -> str:
    """What is read of a tab, in A1 notation: the tab as far as a form can reach (``'ข้อมูลนักเรียน'!A1:BH30000``:
    a tab pasted full of millions of cells is not fetched whole), or only the unit code cell of the
    instructions tab, whose status line esaplan itself writes."""
    quoted = "'" + title.replace("'", "''") + "'"
    return (
        f"{quoted}!{UNIT_CELL_NAME}"
        if title == INSTRUCTIONS_SHEET
        else f"{quoted}!A1:{column_letter(reach.columns - 1)}{reach.rows}"
    )


def tab_titles(form_set: FormSet) -> list[str]:
    """The tabs a unit's sheet must have, in the order they are read."""
    return [INSTRUCTIONS_SHEET, *(form.sheet for form in form_set.forms), META_SHEET]


def snapshot(spreadsheet_id: str, titles: list[str], response: dict[str, Any]) -> bytes:
    """Canonical JSON of a values batch-get of whole ``titles`` (ranges come back in request order)."""
    ranges = response.get("valueRanges", [])
    tabs = {title: value_range.get("values", []) for title, value_range in zip(titles, ranges, strict=True)}
    if tabs.get(INSTRUCTIONS_SHEET):  # the one cell read, back at its place in an A1-anchored grid
        row, column = UNIT_CELL
        tabs[INSTRUCTIONS_SHEET] = [[] for _ in range(row)] + [[""] * column + tabs[INSTRUCTIONS_SHEET][0]]
    return json.dumps(
        {"spreadsheet": spreadsheet_id, "tabs": tabs}, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode()


def book_from_snapshot(content: bytes) -> Workbook:
    """The :class:`Workbook` of a snapshot; formula cells hold their formula text (``shows_formulas``)."""
    tabs = json.loads(content)["tabs"]
    book = workbook_from_grids({title: [list(row) for row in values] for title, values in tabs.items()})
    book.shows_formulas = True
    return book


def snapshot_xlsx(content: bytes) -> bytes:
    """A snapshot as an xlsx staff can open: one sheet per tab read, every cell as text or number.

    Formula text stays text (typed as a string cell), so nothing a school wrote is evaluated.
    """
    import openpyxl  # only for a staff download: the reading workers, which import this module, never load it

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in json.loads(content)["tabs"].items():
        sheet = book.create_sheet(title[:31])
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value in ("", None):
                    continue
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
