"""The two ways an office could consolidate without esaplan, timed against it on the same inbox.

Each runs as a script in a fresh interpreter (``python bench/baselines.py openpyxl|pandas INBOX OUT``),
imports included, exactly as ``esaplan consolidate`` is timed:

- ``openpyxl``: the plain loop - load every workbook with openpyxl and copy every row of every
  sheet into one workbook, then save it. No validation.
- ``pandas``: the short modern script - read every sheet with pandas' python-calamine engine,
  concatenate per sheet, write with XlsxWriter. No validation.

Files that do not open (a PDF renamed .xlsx) are skipped by both, as such a script would.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path


def openpyxl_loop(inbox: Path, out: Path) -> None:
    from openpyxl import Workbook, load_workbook

    master = Workbook()
    master.remove(master.active)
    for path in sorted(inbox.rglob("*.xlsx")):
        try:
            book = load_workbook(path, data_only=True)
        except Exception:  # noqa: BLE001, S112 - a script like this skips what it cannot open
            continue
        for sheet in book.worksheets:
            target = master[sheet.title] if sheet.title in master.sheetnames else master.create_sheet(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                target.append([path.parent.name, *row])
    master.save(out)


def pandas_script(inbox: Path, out: Path) -> None:
    import pandas as pd

    frames = defaultdict(list)
    for path in sorted(inbox.rglob("*.xlsx")):
        try:
            sheets = pd.read_excel(path, sheet_name=None, header=None, engine="calamine")
        except Exception:  # noqa: BLE001, S112
            continue
        for name, frame in sheets.items():
            frame.insert(0, "unit", path.parent.name)
            frames[name].append(frame)
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        for name, parts in frames.items():
            pd.concat(parts, ignore_index=True).to_excel(writer, sheet_name=name[:31], index=False, header=False)


if __name__ == "__main__":
    {"openpyxl": openpyxl_loop, "pandas": pandas_script}[sys.argv[1]](Path(sys.argv[2]), Path(sys.argv[3]))
