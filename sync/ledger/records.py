"""The records that pass from reading files to the ledger: a submission as it arrives, and what reading it found.

Kept apart from both ends so a process that only reads files (:mod:`sync.intake.isolation`'s workers)
loads neither the database nor the master's libraries.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from rules.forms import Problem

GSHEETS = "gsheets"  # the source whose content is a values snapshot (JSON), not an xlsx file
FILE_SHEET = "(ไฟล์)"  # the sheet named by a problem with the whole file


@dataclass(frozen=True)
class Incoming:
    """A submission a unit handed in, from any channel: an xlsx file, or a Google Sheet's snapshot.

    ``payload`` is the content, or for an inbox file its path: read only when needed, and not at
    all when ``seen_sha256`` (the hash it had when its size and time, ``size`` and ``mtime_ns``,
    were the same) is a content already accounted for.
    """

    unit_code: str
    payload: bytes | Path
    name: str
    submitted_at: dt.datetime
    source: str
    seen_sha256: str | None = None
    size: int | None = None
    mtime_ns: int | None = None

    @cached_property
    def content(self) -> bytes:
        return read_plain_file(self.payload) if isinstance(self.payload, Path) else self.payload

    @cached_property
    def sha256(self) -> str:
        """The content's SHA-256, computed once: it names the stored copy and spots unchanged files."""
        return self.seen_sha256 or hashlib.sha256(self.content).hexdigest()


def read_plain_file(path: Path) -> bytes:
    """A plain file's bytes, never through a link and never waiting on a pipe (a link or a pipe put
    in the inbox after it was listed raises OSError instead)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, "ไม่ใช่ไฟล์ธรรมดา (not a plain file)", str(path))
        return handle.read()


@dataclass(frozen=True)
class NewVersion:
    """A submission to record: who sent what for which round, and what checking it found."""

    unit_code: str
    form_set: str
    fiscal_year: int
    round: int
    sha256: str
    source: str
    original_name: str
    submitted_at: dt.datetime
    accepted: bool
    data: dict[str, Any]
    problems: list[tuple[str | None, Problem]]
    form_round: tuple[int, int] | None = None  # (fiscal year, round) the file's form names, when valid
    made_at: dt.datetime | None = None  # when the school saved the file, as the workbook itself records it
    checked_with: str | None = None  # the esaplan whose checks these are (sync.files.cachefile.code_salt)
