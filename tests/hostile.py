"""Hostile files, generated (never stored): what a school can send by link or staff can drop in the
inbox, made from a workbook ``esaplan templates`` wrote and a school filled, changed at the XML
level as Excel, a script or another program would leave it."""

from __future__ import annotations

import io
import os
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from sync.intake.sheetscan import sheet_parts

ENROLMENT = "ข้อมูลนักเรียน"
BUDGET = "การใช้งบประมาณ"


def rewrite(path: Path, part: str, change: Callable[[bytes], bytes], *, add: dict[str, bytes] | None = None) -> Path:
    """Rewrite one part of an xlsx in place (and add parts), keeping every other part byte for byte."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info, content in parts:
            target.writestr(info, change(content) if info.filename == part else content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    path.write_bytes(buffer.getvalue())
    return path


def sheet_part(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return sheet_parts(archive)[sheet]


def replace_text(path: Path, sheet: str, old: str, new: str) -> Path:
    """A cell's text replaced in the sheet's XML, as another program would have written it (``new`` is XML)."""
    encoded = "".join(
        f"&#{ord(c)};" if ord(c) > 127 else c for c in old
    ).encode()  # openpyxl writes non-ASCII as references

    def change(xml: bytes) -> bytes:
        written = encoded if encoded in xml else old.encode()
        assert written in xml, f"{old!r} not in {sheet}"
        return xml.replace(written, new.encode(), 1)

    return rewrite(path, sheet_part(path, sheet), change)


def control_characters(path: Path, typed: str) -> Path:
    """A budget line name pasted from a terminal or a web page, as Excel saves it: escape, bell and
    vertical tab written ``_x001B_``, ``_x0007_``, ``_x000B_``, and half of a UTF-16 pair."""
    return replace_text(path, BUDGET, typed, f"{typed}_x001B_[31m_x0007_ _x000B_สีแดง_xD800_")


def cell_at(path: Path, sheet: str, row: int, column: int, value: str = "1") -> Path:
    """One value typed far away (row and column 1-based), the rest of the sheet as it was."""
    letters = ""
    index = column
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    cell = f'<row r="{row}"><c r="{letters}{row}"><v>{value}</v></c></row>'.encode()
    return rewrite(path, sheet_part(path, sheet), lambda xml: xml.replace(b"</sheetData>", cell + b"</sheetData>"))


def bulk(path: Path, sheet: str, *, rows: int, columns: int, text_bytes: int, seed: int = 5) -> Path:
    """Rows of long text added under a sheet's data (each cell different, so it compresses about as
    text does, ~10:1): a legal file of some megabytes that inflates to hundreds of megabytes of XML."""
    rng = random.Random(seed)
    words = ["ค่าใช้จ่าย", "โครงการ", "พัฒนา", "ครุภัณฑ์", "วัสดุ", "อบรม", "ประชุม", "นักเรียน", "ห้องเรียน", "ปรับปรุง"]
    start = 1000
    lines = []
    for r in range(start, start + rows):
        cells = []
        for c in range(columns):
            text = " ".join(rng.choice(words) + str(rng.randrange(100)) for _ in range(text_bytes // 40))
            cells.append(f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{text}</t></is></c>')
        lines.append(f'<row r="{r}">{"".join(cells)}</row>')
    added = "".join(lines).encode()
    return rewrite(path, sheet_part(path, sheet), lambda xml: xml.replace(b"</sheetData>", added + b"</sheetData>"))


def extra_sheet_bulk(path: Path, *, rows: int, text_bytes: int) -> Path:
    """The same bulk in a sheet of the school's own (not a form's): its data are never read."""
    with zipfile.ZipFile(path) as archive:
        book = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
    rng = random.Random(7)
    words = ["ข้อมูล", "ของ", "โรงเรียน", "เอง", "สรุป"]
    body = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{" ".join(rng.choice(words) + str(rng.randrange(100)) for _ in range(text_bytes // 40))}</t></is></c></row>'
        for r in range(1, rows + 1)
    )
    sheet = f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>'.encode()
    book = book.replace(
        "</sheets>",
        '<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" name="ของโรงเรียนเอง" sheetId="99" r:id="rIdBulk"/></sheets>',
    )
    rels = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdBulk" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/bulk.xml"/></Relationships>',
    )
    types = types.replace(
        "</Types>",
        '<Override PartName="/xl/worksheets/bulk.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    )
    rewrite(path, "xl/workbook.xml", lambda _: book.encode())
    rewrite(path, "xl/_rels/workbook.xml.rels", lambda _: rels.encode())
    return rewrite(path, "[Content_Types].xml", lambda _: types.encode(), add={"xl/worksheets/bulk.xml": sheet})


def external_link(path: Path, sheet: str, cell: str, cached: int) -> Path:
    """``cell`` made a formula that takes its value from another workbook on the school's computer
    (``=[1]Sheet1!B4``), its cached value ``cached``, with the external link parts Excel writes."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    link = (
        f'<externalLink xmlns="{main}" xmlns:r="{relations}"><externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames>'
        f'<sheetDataSet><sheetData sheetId="0"><row r="4"><cell r="B4"><v>{cached}</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>'
    ).encode()
    link_rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath" Target="file:///C:/Users/school/Desktop/numbers.xlsx" TargetMode="External"/></Relationships>'
    )
    rewrite(
        path,
        "xl/workbook.xml",
        lambda xml: re.sub(
            rb"(</sheets>)",
            rb'\1<externalReferences><externalReference xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rIdLink"/></externalReferences>',
            xml,
            count=1,
        ),
    )
    rewrite(
        path,
        "xl/_rels/workbook.xml.rels",
        lambda xml: xml.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdLink" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>',
        ),
    )
    rewrite(
        path,
        "[Content_Types].xml",
        lambda xml: xml.replace(
            b"</Types>",
            b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
        ),
        add={"xl/externalLinks/externalLink1.xml": link, "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels},
    )

    def formula(xml: bytes) -> bytes:
        found = re.search(rf'<c r="{cell}"([^>]*?)(?:/>|>.*?</c>)'.encode(), xml)
        assert found, cell
        style = re.sub(rb'\s*t="[^"]*"', b"", found.group(1))
        return (
            xml[: found.start()]
            + f'<c r="{cell}"'.encode()
            + style
            + f"><f>[1]Sheet1!B4</f><v>{cached}</v></c>".encode()
            + xml[found.end() :]
        )

    return rewrite(path, sheet_part(path, sheet), formula)


def link_to(inbox_folder: Path, target: str) -> Path:
    """A symbolic link in a school's inbox folder to a file outside the installation."""
    inbox_folder.mkdir(parents=True, exist_ok=True)
    link = inbox_folder / "แบบรายงาน-ลิงก์.xlsx"
    link.symlink_to(target)
    return link


def pipe_in(inbox_folder: Path) -> Path:
    """A named pipe in a school's inbox folder: reading it would wait forever."""
    inbox_folder.mkdir(parents=True, exist_ok=True)
    pipe = inbox_folder / "แบบรายงาน-pipe.xlsx"
    os.mkfifo(pipe)
    return pipe
