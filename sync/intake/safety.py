"""Refuse files that are not plain .xlsx workbooks before any parser touches them.

Checked by content, never by extension: a zip with ``xl/workbook.xml`` and no macro project,
not encrypted (password-protected .xlsx and legacy .xls are OLE compound files), within the
size limit, and no zip bomb (total uncompressed size and compression ratio bounded). Each
refusal is a Thai message a school can act on; one bad file never stops the others.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 150
MAX_MEMBERS = 10_000


@dataclass(frozen=True)
class Rejection:
    """Why a file was refused: a rule code and a Thai message."""

    rule: str
    message_th: str


def check_file(content: bytes, *, max_bytes: int) -> Rejection | None:
    """None when ``content`` is a plain xlsx that is safe to open, else the reason to refuse it."""
    if len(content) > max_bytes:
        return Rejection(
            "FILE-TOO-BIG", f"ไฟล์ใหญ่ {len(content) / 1048576:.1f} MB เกินที่รับได้ {max_bytes / 1048576:.0f} MB"
        )
    if content.startswith(OLE_SIGNATURE):
        return Rejection("FILE-ENCRYPTED", "ไฟล์ตั้งรหัสผ่านไว้หรือเป็นไฟล์ .xls รุ่นเก่า: เอารหัสผ่านออกแล้วบันทึกเป็น .xlsx ก่อนส่ง")
    if not content.startswith(ZIP_SIGNATURE):
        return Rejection("FILE-NOT-XLSX", "ไม่ใช่ไฟล์ Excel (.xlsx): ใช้แบบฟอร์มของสำนักงานเขตแล้วบันทึกเป็น .xlsx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except zipfile.BadZipFile:
        return Rejection("FILE-CORRUPT", "ไฟล์เสียหาย เปิดไม่ได้: บันทึกใหม่จาก Excel แล้วส่งอีกครั้ง")
    names = {m.filename for m in members}
    if (
        len(members) > MAX_MEMBERS
        or sum(m.file_size for m in members) > MAX_UNCOMPRESSED
        or any(m.compress_size and m.file_size / m.compress_size > MAX_RATIO for m in members)
    ):
        return Rejection("FILE-ZIP-BOMB", "ไฟล์ขยายตัวผิดปกติ (อาจเป็นไฟล์อันตราย) ระบบไม่เปิดไฟล์นี้")
    if "xl/vbaProject.bin" in names or any(name.lower().endswith(".bin") and "vba" in name.lower() for name in names):
        return Rejection("FILE-MACRO", "ไฟล์มีแมโคร (.xlsm) ระบบไม่รับ: บันทึกเป็น .xlsx (Excel Workbook) แล้วส่งใหม่")
    if "xl/workbook.xml" not in names:
        return Rejection("FILE-NOT-XLSX", "ไม่ใช่ไฟล์ Excel (.xlsx): ใช้แบบฟอร์มของสำนักงานเขตแล้วบันทึกเป็น .xlsx")
    content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if b"macroEnabled" in content_types:
        return Rejection("FILE-MACRO", "ไฟล์มีแมโคร (.xlsm) ระบบไม่รับ: บันทึกเป็น .xlsx (Excel Workbook) แล้วส่งใหม่")
    return None
