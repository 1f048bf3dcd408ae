"""Write a file so that a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook


def write_atomically(path: Path, write: Callable[[str], Any]) -> Path:
    """Let ``write`` fill a temporary file beside the target, then rename it over (atomic on one file system)."""
    temporary = temporary_beside(path, f".{path.stem}-")
    try:
        write(str(temporary))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def temporary_beside(path: Path, prefix: str) -> Path:
    """A new, empty file in ``path``'s folder (``prefix``, a random part, ``path``'s suffix and
    ``.tmp``) made with the user's usual permissions: ``tempfile.mkstemp`` makes files only their
    owner can read, and the master renamed from one stayed so for the colleagues who open it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        candidate = path.parent / f"{prefix}{secrets.token_hex(6)}{path.suffix}.tmp"
        try:
            os.close(
                os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            )  # the umask decides, as for any new file
        except FileExistsError:
            continue
        return candidate


def save_workbook(book: Workbook, path: Path) -> None:
    write_atomically(path, book.save)
