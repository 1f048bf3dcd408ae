"""Printing the office's DOCX files to PDF with LibreOffice headless, as a reader would print them.

Many files go through one LibreOffice process (a batch of letters is one start-up, not one per school),
each run with its own throw-away profile so two printings never share one, a timeout that fits the
batch, and one retry on a fresh profile; what still fails is an :class:`~rules.EsaplanError` in Thai.
A machine without LibreOffice Writer gets one Thai line naming the Debian package, and the DOCX files
stay made.

Page numbers: the DOCX carries Word's ``PAGE \\* ThaiArabic`` field, which LibreOffice reads as Thai
letters (ก ข ค: writerfilter maps ThaiArabic to CHARS_THAI), so the copy LibreOffice prints has that
field taken out and the PDF gets "- ๒ -" stamped top centre from each document's second page, in the
document's own font (pypdf and reportlab).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from functools import cache, partial
from pathlib import Path

from rules import EsaplanError
from rules.thai import thai_digits
from sync.documents.look import PAGE_FIELD, font_file
from sync.files.atomic import write_atomically

WRITER_PACKAGE = "libreoffice-writer-nogui"
SECONDS_PER_FILE = 20
BATCH = 40  # files per LibreOffice run: a long command line and memory stay small
HEADER_FROM_TOP_CM = 1.2


class PrintingFailed(EsaplanError):
    """LibreOffice did not print a file twice in a row."""


def writer_missing() -> str | None:
    """Why PDFs cannot be printed on this machine, in Thai; None when LibreOffice Writer is here."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return f"ไม่ได้ทำ PDF: เครื่องนี้ไม่มี LibreOffice (ติดตั้งด้วย sudo apt-get install {WRITER_PACKAGE}) ไฟล์ Word ทำแล้ว"
    program = Path(soffice).resolve().parent
    if not any(program.glob("libswlo.so*")):  # Writer's library: the calc-only package lacks it
        return f"ไม่ได้ทำ PDF: LibreOffice ในเครื่องนี้ไม่มีโปรแกรม Writer (ติดตั้งด้วย sudo apt-get install {WRITER_PACKAGE}) ไฟล์ Word ทำแล้ว"
    return None


def print_pdfs(documents: Sequence[Path]) -> list[Path]:
    """Each DOCX printed beside itself as PDF with page numbers; raises :class:`PrintingFailed`."""
    printed: list[Path] = []
    for start in range(0, len(documents), BATCH):
        printed += _print_batch(documents[start : start + BATCH])
    return printed


def _print_batch(documents: Sequence[Path]) -> list[Path]:
    soffice = shutil.which("soffice")
    assert soffice is not None  # callers ask writer_missing() first
    with tempfile.TemporaryDirectory() as work:
        sources = []
        for number, docx in enumerate(documents):
            source = (
                Path(work) / f"d{number}.docx"
            )  # an ASCII name: LibreOffice under a C locale cannot open a Thai one
            source.write_bytes(_without_page_field(docx.read_bytes()))
            sources.append(source)
        last = ""
        for attempt in (1, 2):
            out = Path(work) / f"out{attempt}"
            try:
                result = subprocess.run(
                    [
                        soffice,
                        f"-env:UserInstallation={(Path(work) / f'profile{attempt}').as_uri()}",
                        "--headless",
                        "--convert-to",
                        "pdf",
                        "--outdir",
                        str(out),
                        *map(str, sources),
                    ],
                    capture_output=True,
                    timeout=60 + SECONDS_PER_FILE * len(sources),
                )
                said = (result.stderr or result.stdout).decode(errors="replace").strip().splitlines()
                last = said[-1] if said else ""
            except subprocess.TimeoutExpired:
                last = f"เกินเวลา {60 + SECONDS_PER_FILE * len(sources)} วินาที"
            if all((out / f"{s.stem}.pdf").is_file() for s in sources):
                return [
                    write_atomically(docx.with_suffix(".pdf"), partial(_numbered, out / f"{source.stem}.pdf"))
                    for docx, source in zip(documents, sources, strict=True)
                ]
        names = ", ".join(d.name for d in documents[:3]) + (" ..." if len(documents) > 3 else "")
        raise PrintingFailed(
            f"LibreOffice พิมพ์ {names} เป็น PDF ไม่สำเร็จ (ลองสองครั้ง): {last or 'ไม่มีข้อความจากโปรแกรม'} "
            f"ไฟล์ Word ยังใช้ได้ ลองสั่งอีกครั้งเมื่อเครื่องว่าง",
            f"LibreOffice did not print {names} (two attempts): {last}",
        )


def _without_page_field(content: bytes) -> bytes:
    """The DOCX with its ThaiArabic page field emptied (the PDF gets its numbers stamped instead)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("word/header") and PAGE_FIELD.encode() in data:
                data = _drop_numbered_paragraph(data)
            target.writestr(item, data)
    return buffer.getvalue()


def _drop_numbered_paragraph(xml: bytes) -> bytes:
    from lxml import etree

    root = etree.fromstring(xml)
    namespace = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    for paragraph in root.findall("w:p", namespace):
        if any(PAGE_FIELD in (t.text or "") for t in paragraph.iter(f"{{{namespace['w']}}}instrText")):
            for run in paragraph.findall("w:r", namespace):
                paragraph.remove(run)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


@cache
def _font_name() -> str:
    """The PDF font for page numbers: the documents' own, registered with reportlab once."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = font_file()
    if path is not None:
        pdfmetrics.registerFont(TTFont("esaplan-page", path))
        return "esaplan-page"
    return "Helvetica"  # pragma: no cover - the Thai font is an install requirement (fonts-tlwg-laksaman)


def _numbered(printed: Path, target: str) -> None:
    """``printed`` with "- ๒ -" ... stamped top centre from page 2, written to ``target``."""
    from pypdf import PdfReader, PdfWriter
    from reportlab.lib.units import cm
    from reportlab.pdfgen import canvas

    writer = PdfWriter(clone_from=printed)
    for number, page in enumerate(writer.pages, start=1):
        if number > 1:
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            overlay = io.BytesIO()
            stamp = canvas.Canvas(overlay, pagesize=(width, height), initialFontName=_font_name(), initialFontSize=16)
            stamp.drawCentredString(width / 2, height - HEADER_FROM_TOP_CM * cm - 12, f"- {thai_digits(number)} -")
            stamp.save()
            page.merge_page(PdfReader(overlay).pages[0])
    with open(target, "wb") as handle:
        writer.write(handle)


def merge_pdfs(parts: Sequence[Path], target: Path) -> Path:
    """One PDF of ``parts`` in order (a batch of letters to print), written atomically."""
    from pypdf import PdfWriter

    def write(name: str) -> None:
        writer = PdfWriter()
        for part in parts:
            writer.append(str(part))
        with open(name, "wb") as handle:
            writer.write(handle)

    return write_atomically(target, write)
