"""Writing the master's .xlsx package: a plain zip of deflated parts, compressed with ISA-L.

Python's zipfile compresses with zlib and has no way to take parts compressed by anything else.
ISA-L (python-isal, the library xopen and cutadapt use) deflates the master's ~18 MB of XML in
~13 ms where zlib's fastest level takes ~90 ms, and the result is ~9 % smaller; the stream is
ordinary deflate, which Excel, LibreOffice and every zip reader inflate. What is left is the zip
layout itself (APPNOTE.TXT 4.3): a local header before each part, a central directory at the end.

A part may come partly compressed already: :class:`Deflated` segments (a unit's rows, kept between
runs) are raw deflate ending on a byte boundary (a sync flush, RFC 1951 3.2.4), so they follow one
another as they are; the pieces around them are compressed by a fresh compressor each (a
back-reference never reaches across a segment), and the CRC of the whole part is combined from
each segment's own (zlib's crc32_combine).
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from isal import isal_zlib

_LOCAL = struct.Struct("<IHHHHHIIIHH")  # APPNOTE 4.3.7
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # APPNOTE 4.3.12
_END = struct.Struct("<IHHHHIIH")  # APPNOTE 4.3.16
_DEFLATE, _VERSION, _UTF8 = 8, 20, 0x800
_MADE_ON_UNIX = (
    3 << 8
)  # so readers take the external attributes as permissions (rw for the owner), as zipfile writes them
_LIMIT = 0xFFFFFFFF  # without zip64: no master comes near 4 GiB, and Excel could not open one that did


@dataclass(frozen=True)
class Deflated:
    """``size`` bytes whose CRC-32 is ``crc``, compressed as raw deflate into ``data`` (a view of a
    larger piece's bytes, or bytes of its own)."""

    data: bytes | memoryview
    crc: int
    size: int


def deflate(pieces: Iterable[bytes], final: bool = False) -> Deflated:
    """``pieces`` as one segment (ISA-L level 1): ending the stream if ``final``, else sync-flushed
    so that another segment can follow it."""
    compressor, crc, size, data = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15), 0, 0, []
    for piece in pieces:
        data.append(compressor.compress(piece))
        crc, size = isal_zlib.crc32(piece, crc), size + len(piece)
    data.append(compressor.flush(isal_zlib.Z_FINISH if final else isal_zlib.Z_SYNC_FLUSH))
    return Deflated(b"".join(data), crc, size)


def joined(segments: Sequence[Deflated]) -> Deflated:
    """Sync-flushed segments as one: their bytes one after another, their CRCs combined."""
    crc, size = _combined(segments)
    return Deflated(b"".join(segment.data for segment in segments), crc, size)


def _combined(segments: Sequence[Deflated]) -> tuple[int, int]:
    """The CRC-32 and size of what ``segments`` hold together (zlib's crc32_combine)."""
    crc, size = 0, 0
    for segment in segments:
        crc, size = isal_zlib.crc32_combine(crc, segment.crc, segment.size), size + segment.size
    return crc, size


def _segments(content: Sequence[bytes | Deflated]) -> list[Deflated]:
    """A part's pieces as segments: runs of plain pieces compressed, the last segment ending the stream."""
    segments: list[Deflated] = []
    plain: list[bytes] = []
    for piece in content:
        if isinstance(piece, Deflated):
            if plain:
                segments.append(deflate(plain))
                plain = []
            segments.append(piece)
        else:
            plain.append(piece)
    segments.append(deflate(plain, final=True))  # nothing left over: the empty final block, two bytes
    return segments


def write_zip(path: Path, parts: Iterable[tuple[str, Sequence[bytes | Deflated]]], when: dt.datetime) -> None:
    """Write ``parts`` (name, content in pieces) to ``path`` in order, each deflated (ISA-L level 1),
    stamped ``when``. A part comes in pieces so a sheet and its rows are never copied into one, and
    its :class:`Deflated` pieces are not compressed again."""
    stamp_time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    stamp_date = ((when.year - 1980) << 9) | (when.month << 5) | when.day
    directory = []
    with path.open("wb") as out:
        for name, content in parts:
            encoded = name.encode()
            flags = 0 if encoded.isascii() else _UTF8
            segments = _segments(content)
            crc, size = _combined(segments)
            offset, packed = out.tell(), sum(len(segment.data) for segment in segments)
            if max(size, offset + packed) >= _LIMIT:
                raise OverflowError(f"{path.name}: a part or the package is over 4 GiB")
            fields = (_VERSION, flags, _DEFLATE, stamp_time, stamp_date, crc, packed, size, len(encoded))
            out.write(_LOCAL.pack(0x04034B50, *fields, 0) + encoded)
            out.writelines(segment.data for segment in segments)
            directory.append(
                _CENTRAL.pack(0x02014B50, _MADE_ON_UNIX | _VERSION, *fields, 0, 0, 0, 0, 0o600 << 16, offset) + encoded
            )
        start = out.tell()
        out.write(b"".join(directory))
        out.write(_END.pack(0x06054B50, 0, 0, len(directory), len(directory), out.tell() - start, start, 0))
