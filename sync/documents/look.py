"""How the office's documents look: the Thai government's printed form, in one place.

Every style, headings included, is TH Sarabun New (fontconfig prints Debian's metric twin Laksaman,
``fonts-tlwg-laksaman``, where TH Sarabun New is not installed), with no theme font left for a reader's
Word or LibreOffice to swap in, and marked Thai so that lines break between Thai words. The page is
A4 with the margins of the Prime Minister's Office's standard for printing official letters (คำแนะนำและ
แบบมาตรฐานการพิมพ์หนังสือราชการภาษาไทยด้วยโปรแกรมการพิมพ์ในเครื่องคอมพิวเตอร์, appended to ระเบียบ
สำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ: left 3 cm, right 2 cm, single spacing), body 16 pt. Pages are
numbered from the second, top centre, "- ๒ -" in Thai digits, as that standard and OBEC's documents
do: in Word by a ``PAGE \\* ThaiArabic`` field (Word's switch for Thai numerals); LibreOffice reads that
switch as Thai *letters*, so the PDF esaplan prints carries the numbers itself (:mod:`.printing`).
A draft (ร่าง) says so on every page.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from rules.thai import thai_digits

FONT = "TH Sarabun New"
FONT_FILES = ("TH Sarabun New", "Laksaman")  # the PDF's own page numbers: the font or its free twin
CHART_FONTS = ("TH Sarabun New", "Laksaman", "Garuda", "Loma", "Noto Sans Thai")
LANGUAGE = "th-TH"
PAGE_FIELD = " PAGE \\* ThaiArabic "
SIZES = {"Normal": 16, "Title": 20, "Heading 1": 18, "Heading 2": 16, "Heading 3": 16, "Table Grid": 16}
BOLD = ("Title", "Heading 1", "Heading 2", "Heading 3")
# One line of 16 pt Thai: 1.375 em, room for a tone mark over an upper vowel and a lower vowel under the
# line. LibreOffice would lay Laksaman (TH Sarabun New's widths) at its own 2 em: a letter would not fit a page.
LINE_POINTS = 22
THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def new_document(*, landscape: bool = False, draft: bool = False, top_cm: float = 2.5, bottom_cm: float = 2.0) -> Any:
    """An empty A4 document in the office's form; ``draft`` prints ร่าง on every page."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin, section.right_margin = Cm(3.0), Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(top_cm), Cm(bottom_cm)
    section.header_distance = Cm(1.2)
    _fonts(document)
    for name, size in SIZES.items():
        style = document.styles[name]
        style.font.size = Pt(size)
        _complex_script(style.element.get_or_add_rPr(), size, bold=name in BOLD)
        if name in BOLD:
            style.font.bold, style.font.color.rgb = True, RGBColor(0, 0, 0)
            style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(12), Pt(6)
            style.paragraph_format.keep_with_next = True
    title = document.styles["Title"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _no_title_rule(title)
    body = document.styles["Normal"].paragraph_format
    body.space_after = Pt(0)
    body.line_spacing_rule, body.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(LINE_POINTS)
    _page_numbers(section, draft)
    return document


def _fonts(document: Any) -> None:
    """TH Sarabun New for every script of every style, and Thai as the language: no theme fonts left."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    properties = [defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))] if defaults is not None else []
    properties += [style.element.get_or_add_rPr() for style in document.styles]
    for rpr in properties:
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        for attribute in THEME_ATTRIBUTES:
            fonts.attrib.pop(qn(attribute), None)
        for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attribute), FONT)
        language = rpr.find(qn("w:lang"))
        if language is None:
            language = OxmlElement("w:lang")
            rpr.append(language)
        for attribute in ("w:val", "w:eastAsia", "w:bidi"):
            language.set(qn(attribute), LANGUAGE)


def _complex_script(rpr: Any, points: int, *, bold: bool) -> None:
    """Word sizes and emboldens Thai (a complex script) by ``w:szCs`` and ``w:bCs``, which python-docx's
    ``font.size`` and ``font.bold`` leave unset."""
    for tag, value in (("w:szCs", str(points * 2)), *((("w:bCs", "1"),) if bold else ())):
        element = rpr.find(qn(tag))
        if element is None:
            element = OxmlElement(tag)
            rpr.append(element)
        element.set(qn("w:val"), value)


def _no_title_rule(style: Any) -> None:
    """python-docx's Title style draws a blue rule under the title; a government document has none."""
    paragraph = style.element.find(qn("w:pPr"))
    if paragraph is not None:
        for border in paragraph.findall(qn("w:pBdr")):
            paragraph.remove(border)


def _page_numbers(section: Any, draft: bool) -> None:
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    header.add_run("- ")
    field(header, PAGE_FIELD, "๒")
    header.add_run(" -")
    if draft:
        for part in (section.first_page_header, section.header):
            mark = part.add_paragraph() if part.paragraphs[0].text else part.paragraphs[0]
            mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = mark.add_run("ร่าง")
            run.bold, run.font.size, run.font.color.rgb = True, Pt(20), RGBColor(0xC0, 0, 0)


def field(paragraph: Any, instruction: str, shown: str) -> None:
    """A Word field (``PAGE``, ``TOC``...) with ``shown`` as the text until the reader updates it."""
    for kind in ("begin", "instr", "separate", "shown", "end"):
        run = paragraph.add_run(shown if kind == "shown" else None)
        if kind == "instr":
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = instruction
            run._r.append(text)
        elif kind != "shown":
            mark = OxmlElement("w:fldChar")
            mark.set(qn("w:fldCharType"), kind)
            run._r.append(mark)


def centre(document: Any, text: str, style: str = "Normal", *, bold: bool = False) -> Any:
    paragraph = document.add_paragraph(style=style)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = bold or None
    return paragraph


def indented(document: Any, text: str) -> Any:
    """A body paragraph as official Thai text sets it: first line indented 2.5 cm, justified in Thai."""
    paragraph = document.add_paragraph(text)
    paragraph.paragraph_format.first_line_indent = Cm(2.5)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.THAI_JUSTIFY
    return paragraph


@cache
def font_file() -> str | None:
    """The file of the font LibreOffice prints the documents with: TH Sarabun New, else its twin Laksaman."""
    from matplotlib import font_manager

    for name in FONT_FILES:
        try:
            return str(font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False))
        except ValueError:
            continue
    return None


@cache
def chart_font() -> str:
    """The first Thai font matplotlib finds, for charts and drawn images."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CHART_FONTS if name in installed), "DejaVu Sans")


def cover(document: Any, title: str, office: str, garuda: Path | None, *, draft: bool) -> None:
    """The cover: the office's emblem, the title (marked ร่าง for a draft) and the office; then a new page."""
    if garuda is not None:
        document.add_picture(str(garuda), height=Cm(3.0))
        picture = document.paragraphs[-1]
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE  # an exact line would crop it
        picture.paragraph_format.space_before = Cm(4.0)
    heading = centre(document, title + (" (ร่าง)" if draft else ""), "Title")
    heading.paragraph_format.space_before = Cm(1.0 if garuda is not None else 8.0)
    centre(document, office, bold=True).paragraph_format.space_before = Pt(12)
    new_page(document)


def new_page(document: Any) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def contents(document: Any, entries: list[tuple[str, int | None]]) -> None:
    """สารบัญ: each part's title and its page (Thai digits) after a dotted leader; a page not yet known is blank."""
    centre(document, "สารบัญ", "Title")
    section = document.sections[-1]
    right = section.page_width - section.left_margin - section.right_margin
    heading = document.add_paragraph()
    heading.paragraph_format.tab_stops.add_tab_stop(right, WD_TAB_ALIGNMENT.RIGHT)
    heading.add_run("\tหน้า").bold = True
    for title, page in entries:
        line = document.add_paragraph()
        line.paragraph_format.tab_stops.add_tab_stop(right, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        line.add_run(f"{title}\t{thai_digits(page) if page else ''}")
    new_page(document)


def numbered(document: Any, items: list[str], prefix: str = "") -> None:
    """Numbered paragraphs in Thai digits (๑. ๒. ...), the way the seed lists missions and goals."""
    for number, text in enumerate(items, start=1):
        paragraph = document.add_paragraph(f"{prefix}{thai_digits(number)}. {text}")
        paragraph.paragraph_format.left_indent = Cm(1.25)
        paragraph.paragraph_format.first_line_indent = -Cm(0.75)


def turn_page(document: Any, *, landscape: bool) -> None:
    """Go on in a new section on a new page, landscape (for a wide table) or back to portrait; page
    numbers and the draft mark carry on (the new section's header is the one before it)."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    short, long = sorted((section.page_width, section.page_height))
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    section.different_first_page_header_footer = False
