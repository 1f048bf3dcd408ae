"""The master's zip writer: whatever the parts, Python's own zipfile reads back exactly what was written."""

from __future__ import annotations

import datetime as dt
import zipfile
from itertools import pairwise
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.files.zippackage import deflate, write_zip

names = st.text(st.characters(codec="utf-8", exclude_characters="\x00/\\"), min_size=1, max_size=20)
contents = st.binary(max_size=5000) | st.text(max_size=3000).map(str.encode)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(names, contents, min_size=1, max_size=6),
    st.lists(st.integers(0, 5000), max_size=4),
    st.datetimes(dt.datetime(1980, 1, 1), dt.datetime(2107, 12, 31)),
)
def test_every_part_reads_back_byte_for_byte(
    tmp_path_factory, parts: dict[str, bytes], cuts: list[int], when: dt.datetime
) -> None:
    """Each part given in pieces (a sheet, then its rows), cut anywhere."""
    path = tmp_path_factory.mktemp("zip") / "parts.zip"
    write_zip(
        path,
        [
            (name, [content[a:b] for a, b in pairwise([0, *sorted(cuts), len(content)])])
            for name, content in parts.items()
        ],
        when,
    )
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # every CRC checks out
        assert [info.filename for info in archive.infolist()] == list(parts)
        assert {name: archive.read(name) for name in parts} == parts
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.date_time == (when.year, when.month, when.day, when.hour, when.minute, when.second // 2 * 2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(contents, st.booleans()), min_size=1, max_size=8))
def test_a_part_of_segments_compressed_apart_reads_back_whole(
    tmp_path_factory, pieces: list[tuple[bytes, bool]]
) -> None:
    """A sheet whose rows come compressed from the cache: segments and plain pieces in any order."""
    path = tmp_path_factory.mktemp("zip") / "segments.zip"
    write_zip(
        path,
        [("xl/worksheets/sheet1.xml", [deflate([content]) if kept else content for content, kept in pieces])],
        dt.datetime(2026, 12, 4, 9, 30),
    )
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.read("xl/worksheets/sheet1.xml") == b"".join(content for content, _ in pieces)


def test_repetitive_xml_is_compressed(tmp_path: Path) -> None:
    row = '<row r="1"><c r="A1" t="inlineStr"><is><t>โรงเรียนบ้านโนนสะอาด</t></is></c></row>'.encode()
    write_zip(tmp_path / "sheet.zip", [("xl/worksheets/sheet1.xml", [row] * 10_000)], dt.datetime(2026, 11, 25, 9, 30))
    assert (tmp_path / "sheet.zip").stat().st_size < len(row) * 10_000 / 50
