"""The installation's error log (``esaplan-error.log`` in its home): tracebacks go there, staff get
a Thai sentence that names it. A full disk is said as such, the one failure staff can fix.
"""

from __future__ import annotations

import datetime as dt
import errno
import sys
import traceback
from pathlib import Path

from sync.office.settings import Settings


def log_failure(settings: Settings, what: str) -> Path:
    """From an ``except`` block: append the traceback to the installation's error log; returns the log."""
    return log_note(settings, what, traceback.format_exc())


def log_note(settings: Settings, what: str, detail: str) -> Path:
    """Append what happened, and its detail (a traceback), to the installation's error log; returns the log."""
    log = settings.home / "esaplan-error.log"
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"--- {dt.datetime.now().isoformat()} {what}\n{detail}\n")
    return log


def record_failure(settings: Settings, what: str) -> str:
    """A whole run failed (called while its exception is handled): log it and return the message
    for staff. The run has failed before replacing anything, so the master is intact. A full disk
    is said as such: it is the one failure staff can fix themselves."""
    log = log_failure(settings, what)
    error = sys.exc_info()[1]
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        where = Path(error.filename).parent if error.filename else settings.home
        return f"รวมข้อมูลไม่สำเร็จ: ดิสก์ที่เก็บ {where} เต็ม ลบไฟล์ที่ไม่ใช้หรือเพิ่มพื้นที่ แล้วรวมข้อมูลอีกครั้ง ไฟล์รวมเดิมยังอยู่ครบ (รายละเอียด: {log})"
    return f"รวมข้อมูลไม่สำเร็จ ไฟล์รวมเดิมยังอยู่ครบ รายละเอียดสำหรับผู้ดูแลระบบอยู่ใน {log}"
