"""Save a workbook so that a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from openpyxl import Workbook


def save_workbook(book: Workbook, path: Path) -> None:
    """Write beside the target, then rename over it (atomic on one file system)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".xlsx.tmp")
    os.close(descriptor)
    try:
        book.save(name)
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)
