"""The inbox: the folders staff drop school files into (``inbox/<unit code>/``), read as incoming records.

A file is tied to its unit by the folder it is in, or by a unit code that begins its name; one that
cannot be tied to anyone, a link, or a file that vanished while it was listed is a notice for
staff, never a reason to stop. :data:`Progress` is how every source reports how far it got.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

from pythainlp.util import thai_digit_to_arabic_digit

from sync.intake.seenfiles import SeenFiles
from sync.ledger.records import Incoming
from sync.ledger.status import Notice
from sync.ledger.store import Ledger
from sync.office.registry import Unit, find_unit
from sync.office.settings import Settings

Progress = Callable[[str, int, int, str], None]  # phase, done, total, unit code

_CODE_IN_NAME = re.compile(r"^([0-9A-Za-z]+)")


def inbox_files(
    settings: Settings,
    registry: dict[str, Unit],
    notices: list[Notice],
    folder: Path | None = None,
    seen: SeenFiles | None = None,
) -> Iterator[Incoming]:
    """Files in the inbox (or another ``folder`` laid out alike, as the plan's): ``inbox/<unit code>/<any
    name>`` or ``inbox/<unit code>_<any name>``; ``seen`` knows the hashes of files as last read.

    The submission time of a dropped file is its modification time. Files that cannot be tied
    to a registered unit become notices and are left alone. Only plain files are read: a link
    (to a file or a folder, anywhere), a pipe or a device is a notice, never followed or opened,
    so nothing outside the installation is read through the inbox.
    """
    inbox = folder or settings.inbox
    if not inbox.is_dir():
        return
    files, others = _files_under(inbox)
    for parts in others:
        relative = os.path.join(*parts)
        unit = _unit_of_name(parts, registry)
        message = f"{relative}: เป็นลิงก์ (shortcut) หรือไฟล์พิเศษ ไม่ใช่ตัวไฟล์ ระบบจึงไม่เปิดอ่าน: คัดลอกตัวไฟล์แบบรายงานมาวางแทน"
        notices.append(Notice(unit.code if unit else None, "(inbox)", "INBOX-NOT-A-FILE", "error", message))
    for parts in files:
        relative = os.path.join(*parts)
        path = Path(inbox, relative)
        unit = _unit_of_name(parts, registry)
        if unit is None:
            message = _unknown_unit_message(relative, parts, registry, _shown(inbox, settings))
            notices.append(Notice(None, "(inbox)", "UNKNOWN-UNIT", "error", message))
            continue
        try:
            stat = path.stat(follow_symlinks=False)
        except OSError:  # gone since it was listed
            continue
        known = seen.sha256(relative, stat) if seen else None
        yield Incoming(
            unit.code,
            path,
            relative,
            dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC),
            "inbox",
            known,
            stat.st_size,
            stat.st_mtime_ns,
        )


def _unit_of_name(parts: tuple[str, ...], registry: dict[str, Unit]) -> Unit | None:
    """The unit a file's place names: its folder (``inbox/<code>/``) or the code its name starts with."""
    return next((u for u in map(partial(find_unit, registry=registry), _codes_named(parts)) if u is not None), None)


def _codes_named(parts: tuple[str, ...]) -> list[str]:
    candidates = [parts[0]] if len(parts) > 1 else []
    match = _CODE_IN_NAME.match(thai_digit_to_arabic_digit(parts[-1]))
    return candidates + ([match.group(1)] if match else [])


def _shown(inbox: Path, settings: Settings) -> str:
    """The inbox as staff see it in the installation folder: ``inbox`` or ``plan/inbox``."""
    return inbox.relative_to(settings.home).as_posix() if inbox.is_relative_to(settings.home) else str(inbox)


def _unknown_unit_message(relative: str, parts: tuple[str, ...], registry: dict[str, Unit], inbox: str) -> str:
    named = [c for c in _codes_named(parts) if thai_digit_to_arabic_digit(c).strip().isdigit()]
    if named:  # a code was given but is not a registered unit: say which, not "unknown"
        return f"{relative}: ไม่มีหน่วยรหัส {', '.join(named)} ในทะเบียนหน่วยงาน (registry.csv): ตรวจรหัสโรงเรียน หรือเพิ่มหน่วยในทะเบียน"
    called = _units_called(parts[0], registry) if len(parts) > 1 else []
    if called:  # a folder named for the school: say where the file goes, never guess between namesakes
        where = " หรือ ".join(f"{inbox}/{u.code}/ ({u.written_name}, อำเภอ{u.district})" for u in called)
        return f"{relative}: โฟลเดอร์ตั้งชื่อตามชื่อโรงเรียน ไม่ใช่รหัส ระบบจึงไม่นำไปรวม: ย้ายไฟล์ไปไว้ที่ {where}"
    return f"{relative}: ไม่ทราบว่าเป็นไฟล์ของหน่วยใด (วางไฟล์ในโฟลเดอร์ {inbox}/<รหัสหน่วย>/)"


def _units_called(folder: str, registry: dict[str, Unit]) -> list[Unit]:
    """The units whose name a folder is, with or without โรงเรียน in front and spaces anywhere."""
    key = "".join(folder.split()).removeprefix("โรงเรียน")
    return [u for u in registry.values() if "".join(u.name_th.split()).removeprefix("โรงเรียน") == key]


def _files_under(folder: Path) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The plain files under a folder as path parts, in name order, and the entries that are neither
    a plain file nor a folder (links, pipes, devices, sockets), which are never followed or opened.
    Names starting with ``.`` or ``~$`` (hidden files, Excel's lock files) are left out. With
    os.scandir and no path objects: pathlib's rglob cost ~0.1 ms a file and os.walk with a path a
    folder ~0.05 ms, where an inbox has a folder a school."""
    found: list[tuple[str, ...]] = []
    others: list[tuple[str, ...]] = []
    pending: list[tuple[str, tuple[str, ...]]] = [(str(folder), ())]
    while pending:
        path, base = pending.pop()
        try:
            entries = list(os.scandir(path))
        except OSError:  # gone or unreadable since it was listed: as os.walk, skipped
            continue
        for entry in entries:
            if entry.name.startswith(("~$", ".")):
                continue
            if entry.is_symlink():
                others.append((*base, entry.name))
            elif entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, (*base, entry.name)))
            elif entry.is_file(follow_symlinks=False):
                found.append((*base, entry.name))
            else:
                others.append((*base, entry.name))
    return sorted(found), sorted(others)


def readable_items(items: Iterable[Incoming], notices: list[Notice]) -> list[Incoming]:
    """The items whose content could be read (or is known by its hash); a file replaced by a link
    or made unreadable since it was listed is a notice instead."""
    readable = []
    for item in items:
        try:
            _ = item.sha256  # read here, once: the file is read when its hash is not known already
        except OSError as exc:
            message = f"{item.name}: อ่านไฟล์ไม่ได้ ({exc.strerror or exc}) ระบบจึงไม่ได้ตรวจไฟล์นี้: คัดลอกตัวไฟล์มาวางใหม่"
            notices.append(Notice(item.unit_code, "(inbox)", "INBOX-UNREADABLE", "error", message))
        else:
            readable.append(item)
    return readable


def misplaced_notices(ledger: Ledger, settings: Settings, items: Iterable[Incoming], latest: set[int]) -> list[Notice]:
    """Another unit's file still lying in a unit's inbox folder (refused WRONG-UNIT when it was read), for
    staff, every run until it is moved: its message is its version's, which a later file of the folder's
    own unit makes no longer the latest (``latest``: the ids of the round's latest versions), so without
    this nobody would read where it belongs. A file since moved is no longer listed here."""
    here = {(item.unit_code, item.sha256) for item in items if item.source == "inbox"}
    return [
        Notice(version.unit_code, "(inbox)", "WRONG-UNIT", "error", f"{version.original_name}: {message}")
        for version, message in ledger.refused_for(settings.fiscal_year, settings.round, "WRONG-UNIT")
        if version.id not in latest and (version.unit_code, version.sha256) in here
    ]
