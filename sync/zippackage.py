"""Writing the master's .xlsx package: a plain zip of deflated parts, compressed with ISA-L.

Python's zipfile compresses with zlib and has no way to take parts compressed by anything else.
ISA-L (python-isal, the library xopen and cutadapt use) deflates the master's ~18 MB of XML in
~13 ms where zlib's fastest level takes ~90 ms, and the result is ~9 % smaller; the stream is
ordinary deflate, which Excel, LibreOffice and every zip reader inflate. What is left is the zip
layout itself (APPNOTE.TXT 4.3): a local header before each part, a central directory at the end.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

from isal import isal_zlib

_LOCAL = struct.Struct("<IHHHHHIIIHH")  # APPNOTE 4.3.7
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # APPNOTE 4.3.12
_END = struct.Struct("<IHHHHIIH")  # APPNOTE 4.3.16
_DEFLATE, _VERSION, _UTF8 = 8, 20, 0x800
_MADE_ON_UNIX = 3 << 8  # so readers take the external attributes as permissions (rw for the owner), as zipfile writes them
_LIMIT = 0xFFFFFFFF  # without zip64: no master comes near 4 GiB, and Excel could not open one that did


def write_zip(path: Path, parts: Iterable[tuple[str, Sequence[bytes]]], when: dt.datetime) -> None:
    """Write ``parts`` (name, content in pieces) to ``path`` in order, each deflated (ISA-L level 1),
    stamped ``when``. A part comes in pieces so a sheet and its rows are never copied into one."""
    stamp_time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    stamp_date = ((when.year - 1980) << 9) | (when.month << 5) | when.day
    directory = []
    with path.open("wb") as out:
        for name, content in parts:
            encoded = name.encode()
            flags = 0 if encoded.isascii() else _UTF8
            compressor, crc, size = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15), 0, 0
            deflated = [compressor.compress(piece) for piece in content]
            deflated.append(compressor.flush())
            for piece in content:
                crc, size = isal_zlib.crc32(piece, crc), size + len(piece)
            offset, packed = out.tell(), sum(map(len, deflated))
            if max(size, offset + packed) >= _LIMIT:
                raise OverflowError(f"{path.name}: a part or the package is over 4 GiB")
            fields = (_VERSION, flags, _DEFLATE, stamp_time, stamp_date, crc, packed, size, len(encoded))
            out.write(_LOCAL.pack(0x04034B50, *fields, 0) + encoded)
            out.writelines(deflated)
            directory.append(_CENTRAL.pack(0x02014B50, _MADE_ON_UNIX | _VERSION, *fields, 0, 0, 0, 0, 0o600 << 16, offset) + encoded)
        start = out.tell()
        out.write(b"".join(directory))
        out.write(_END.pack(0x06054B50, 0, 0, len(directory), len(directory), out.tell() - start, start, 0))
