"""Write a file so that a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook


def write_atomically(path: Path, write: Callable[[str], Any]) -> Path:
    """Let ``write`` fill a temporary file beside the target, then rename it over (atomic on one file system)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=f"{path.suffix}.tmp")
    os.close(descriptor)
    try:
        write(name)
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)
    return path


def save_workbook(book: Workbook, path: Path) -> None:
    write_atomically(path, book.save)
