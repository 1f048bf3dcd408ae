"""The inbox's files as last seen (size, modification time, SHA-256), so an unchanged file is not read again.

Each run looks at every file in the inbox. Reading and hashing them all (5,000 schools' workbooks
are ~140 MB) was an eighth of a run where ten schools changed. A file whose size and modification
time (to the nanosecond) are those it had when it was last read has the same content, the rule
rsync and git use, so its SHA-256 is taken from ``master/.inbox-seen.json`` and its bytes are read
only if the ledger has not accounted for that content. Losing the file costs one full read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sync.ledger.records import Incoming


class SeenFiles:
    """Content hashes of inbox files by name, valid while the file's size and time are unchanged."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.known: dict[str, list[object]] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.known = {}

    def sha256(self, name: str, stat: os.stat_result) -> str | None:
        """The content's hash when the file is as it was last read, else None."""
        entry = self.known.get(name)
        if isinstance(entry, list) and len(entry) == 3 and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
            return str(entry[2])
        return None

    def save(self, items: Iterable[Incoming]) -> None:
        """Remember the files of this scan (only these: a file gone from the inbox is forgotten), atomically."""
        seen = {item.name: [item.size, item.mtime_ns, item.sha256] for item in items if item.mtime_ns is not None}
        if seen == self.known:
            return
        part = self.path.with_suffix(".part")
        try:
            part.write_text(json.dumps(seen, ensure_ascii=False), encoding="utf-8")
            os.replace(part, self.path)
        except OSError:
            part.unlink(missing_ok=True)  # not remembered: the files are read again next run
