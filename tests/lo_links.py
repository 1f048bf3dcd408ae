"""Drive LibreOffice Calc through UNO the way an analyst does, for tests/test_analysis_links.py.

Run by the system Python (Debian's ``python3-uno`` binds to it, not to the project's venv):

    python3 tests/lo_links.py PROFILE make  ANALYSIS.xlsx 'FORMULA' ...   # a new workbook, saved as .xlsx
    python3 tests/lo_links.py PROFILE read  ANALYSIS.xlsx                 # open it as staff would, print A1:A9

``make`` types each formula into column A of a new sheet and saves it in Excel's format, as an
analyst who builds a workbook on the master does. ``read`` opens the saved file with the
profile's own link-update setting (``UpdateDocMode`` ACCORDING_TO_CONFIG: what opening the file
from the file manager does) and prints column A's values as JSON, so the caller sees whether
LibreOffice fetched the master's current values or kept the ones cached in the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.document.UpdateDocMode import ACCORDING_TO_CONFIG  # type: ignore[import-not-found]


def _prop(name: str, value: object) -> PropertyValue:
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _desktop(profile: Path) -> tuple[subprocess.Popen, object, object]:
    """Start a private headless office on a pipe named for this process and connect to it."""
    pipe = f"esaplan-links-{os.getpid()}"
    office = subprocess.Popen(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so soffice.bin goes with it if it must be killed
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:  # noqa: BLE001 - NoConnectException until the office listens
            time.sleep(0.1)
    else:
        os.killpg(office.pid, signal.SIGKILL)
        raise SystemExit("LibreOffice did not start")
    return office, context, context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)


def _values(sheet: object) -> list[object]:
    cells = [sheet.getCellRangeByName(f"A{row}") for row in range(1, 10)]
    return [
        cell.getValue() if cell.getError() == 0 else f"Err:{cell.getError()}" for cell in cells if cell.getFormula()
    ]


def main(profile: Path, action: str, workbook: Path, formulas: list[str]) -> None:
    office, context, desktop = _desktop(profile)
    try:
        if action == "make":
            doc = desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, (_prop("Hidden", True),))
            sheet = doc.Sheets.getByIndex(0)
            for row, formula in enumerate(formulas, start=1):
                sheet.getCellRangeByName(f"A{row}").setFormula(formula)
            doc.calculateAll()
            doc.storeToURL(workbook.as_uri(), (_prop("FilterName", "Calc MS Excel 2007 XML"),))
        else:
            doc = desktop.loadComponentFromURL(
                workbook.as_uri(),
                "_blank",
                0,
                (_prop("Hidden", True), _prop("ReadOnly", True), _prop("UpdateDocMode", ACCORDING_TO_CONFIG)),
            )
            sheet = doc.Sheets.getByIndex(0)
            # Read-only, so no lock file is left beside it. Calc fetches the master after opening,
            # in steps driven by its event loop: let that run and read until three reads agree.
            toolkit = context.ServiceManager.createInstanceWithContext("com.sun.star.awt.Toolkit", context)
            seen: list[list[object]] = []
            while len(seen) < 3 or seen[-1] != seen[-2] or seen[-2] != seen[-3]:
                toolkit.processEventsToIdle()
                doc.calculateAll()
                seen.append(_values(sheet))
                time.sleep(0.3)
        print(json.dumps(_values(sheet)))
        doc.close(True)
    finally:
        with contextlib.suppress(Exception):  # the bridge closes as the office quits
            desktop.terminate()
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:  # the values are printed; an office that hangs on quitting is killed
            os.killpg(office.pid, signal.SIGKILL)
            office.wait()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4:])
