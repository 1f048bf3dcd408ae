"""Faults for the reading workers, importable by name: a worker process unpickles its task by module
and name, so a fault injected with monkeypatch in the test's own process would never reach it."""

from __future__ import annotations

import os
import time
from typing import Any

from sync.intake.parse import parse


def parse_with_a_bug(settings: Any, registry: Any, item: Any) -> Any:
    """esaplan's own parse, with a bug that shows for school 40050002 only."""
    if item.unit_code == "40050002":
        raise ZeroDivisionError("a bug of esaplan's own")
    return parse(settings, registry, item)


_HELD: list[bytearray] = []


class Panic(BaseException):
    """What a Rust panic looks like from Python: not an Exception."""


def misbehave(how: str) -> str:
    """One item of the isolation tests: answer, or fail in one of the ways a reader can."""
    if how == "panic":
        raise Panic("called `Option::unwrap()` on a `None` value")
    if how == "abort":
        os.abort()
    if how == "exit":
        os._exit(3)
    if how == "sleep":
        time.sleep(60)
    if how == "spin":
        while True:
            pass
    if how == "grow":  # memory a big file took, still held when the answer is sent
        _HELD.append(bytearray(300 * 1024 * 1024))
        return "GREW"
    if (
        how == "eat"
    ):  # a gigabyte, 16 MiB at a time (bounded, so a ceiling that does not hold fails the test, not the machine)
        hoard = [bytearray(16 * 1024 * 1024) for _ in range(64)]
        return f"ATE {len(hoard)}"
    return how.upper()
