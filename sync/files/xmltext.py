"""Text that a workbook or a document can carry, whatever a school pasted into a cell.

Text copied from a web page, a terminal or an old program brings characters nobody sees: escape
(Excel keeps it as ``_x001B_``), bell, other C0 and C1 control characters, half of a UTF-16 pair.
XML 1.0 forbids most of them, so openpyxl refuses to write them (``IllegalCharacterError``) and
python-docx/lxml likewise: one such cell stopped every school's master. They are removed once, on
the way in (the reader notes each cell it cleaned), and again by every writer, so a value stored
before this rule existed cannot stop a run either.
"""

from __future__ import annotations

import re

#: Code points removed from text: C0 controls but tab, line feed and carriage return; DEL and the
#: C1 controls; lone surrogates; U+FFFE and U+FFFF (not characters).
REMOVED = (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF)
_REMOVED = re.compile("[" + "".join(map(chr, REMOVED)) + "]")


def clean_text(text: str) -> str:
    """``text`` without the characters of :data:`REMOVED` (the same object when it has none)."""
    return _REMOVED.sub("", text) if _REMOVED.search(text) else text
