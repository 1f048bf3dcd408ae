"""Consolidate what units submitted into the master workbook: the one function behind the button.

``consolidate`` (CLI ``esaplan consolidate``, later the web button and the Excel macro) takes
every incoming file, stores each new version in the ledger with its validation results, works
out each unit's status per form for the round (on time / late / has errors / missing) and
writes the master workbook. Submissions come from *sources*: the inbox folder, uploads and
Google Sheets (:mod:`sync.gsheets`) all produce the same :class:`Incoming` records; a problem
with a channel itself (an unknown file, a sheet no longer shared) is a :class:`Notice`.

Safety: one run at a time (a lock file), the master is written to a temporary file and
atomically replaced, the previous masters are kept, and a failed run leaves the master as it
was. A bad file becomes issues for its unit, never an exception that stops the others.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import hashlib
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from pythainlp.util import thai_digit_to_arabic_digit

from rules import EsaplanError

from .isolation import Failure, Limits, isolated_map, warm_up
from .ledger import Ledger, Submission, open_ledger
from .master import MasterData, code_salt, keep_added_sheets, write_master
from .parse import failed, parse
from .plausible import plausibility_notices
from .records import GSHEETS, Incoming, NewVersion
from .registry import Unit, find_unit, load_registry
from .seenfiles import SeenFiles
from .settings import Settings
from .status import Notice, UnitErrors

Progress = Callable[[str, int, int, str], None]  # phase, done, total, unit code
PHASES_TH = {"google": "อ่าน Google Sheets", "check": "ตรวจข้อมูล", "feedback": "เขียนผลการตรวจสอบลง Google Sheets", "master": "เขียนไฟล์รวม"}
FILES_A_WORKER = 5  # a reading worker for every this many new files (kept workers start nothing)
MAX_WORKERS = 4
STORE_BATCH = 100  # versions recorded per transaction (and per disk sync)
SYNC_ALL_FROM = 20  # from this many new files, one system-wide sync costs less than a sync each


class ConsolidationBusy(EsaplanError):
    """Another consolidation holds the lock."""


class NoRegistry(EsaplanError):
    """The installation has no unit registry yet: nobody is expected to submit."""


@dataclass
class RunResult:
    """What a run did: the master it wrote and counts per form."""

    run_id: int
    master_path: Path
    fiscal_year: int
    round: int
    summary: dict[str, dict[str, int]]
    new_versions: int
    files_seen: int
    notices: list[Notice] = field(default_factory=list)
    master_written: bool = True
    units_with_errors: list[UnitErrors] = field(default_factory=list)


# --- sources -------------------------------------------------------------------------------

_CODE_IN_NAME = re.compile(r"^([0-9A-Za-z]+)")


def inbox_files(settings: Settings, registry: dict[str, Unit], notices: list[Notice], folder: Path | None = None, seen: SeenFiles | None = None) -> Iterator[Incoming]:
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
            notices.append(Notice(None, "(inbox)", "UNKNOWN-UNIT", "error", _unknown_unit_message(relative, parts)))
            continue
        try:
            stat = path.stat(follow_symlinks=False)
        except OSError:  # gone since it was listed
            continue
        known = seen.sha256(relative, stat) if seen else None
        yield Incoming(unit.code, path, relative, dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC), "inbox", known, stat.st_size, stat.st_mtime_ns)


def _unit_of_name(parts: tuple[str, ...], registry: dict[str, Unit]) -> Unit | None:
    """The unit a file's place names: its folder (``inbox/<code>/``) or the code its name starts with."""
    return next((u for u in map(partial(find_unit, registry=registry), _codes_named(parts)) if u is not None), None)


def _codes_named(parts: tuple[str, ...]) -> list[str]:
    candidates = [parts[0]] if len(parts) > 1 else []
    match = _CODE_IN_NAME.match(thai_digit_to_arabic_digit(parts[-1]))
    return candidates + ([match.group(1)] if match else [])


def _unknown_unit_message(relative: str, parts: tuple[str, ...]) -> str:
    named = [c for c in _codes_named(parts) if thai_digit_to_arabic_digit(c).strip().isdigit()]
    if named:  # a code was given but is not a registered unit: say which, not "unknown"
        return f"{relative}: ไม่มีหน่วยรหัส {', '.join(named)} ในทะเบียนหน่วยงาน (registry.csv): ตรวจรหัสโรงเรียน หรือเพิ่มหน่วยในทะเบียน"
    return f"{relative}: ไม่ทราบว่าเป็นไฟล์ของหน่วยใด (วางไฟล์ในโฟลเดอร์ inbox/<รหัสหน่วย>/)"


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
            item.sha256  # read here, once: the file is read when its hash is not known already
        except OSError as exc:
            message = f"{item.name}: อ่านไฟล์ไม่ได้ ({exc.strerror or exc}) ระบบจึงไม่ได้ตรวจไฟล์นี้: คัดลอกตัวไฟล์มาวางใหม่"
            notices.append(Notice(item.unit_code, "(inbox)", "INBOX-UNREADABLE", "error", message))
        else:
            readable.append(item)
    return readable


# --- ingest ----------------------------------------------------------------------------------


@dataclass
class Parsed:
    """What reading and validating one file found, before it is stored."""

    item: Incoming
    version: NewVersion


def store(settings: Settings, ledger: Ledger, parsed: Sequence[Parsed]) -> list[Submission]:
    """Keep the files, make them durable with one sync, then record the versions in one transaction.

    The order matters: a version is only recorded once its file is safely on disk.
    """
    names = [stored_name(one.version.sha256, one.item.source) for one in parsed]
    for one, name in zip(parsed, names, strict=True):
        _keep_file(settings.store / name, one.item.content)
    _sync(settings.store, names)
    return ledger.add_many([one.version for one in parsed])


def ingest(settings: Settings, ledger: Ledger, registry: dict[str, Unit], item: Incoming) -> Submission:
    """Check, validate and store one incoming file (an upload); the same file twice is one version.
    The file is read in a worker process, as every file is: the caller (the web service) never reads it."""
    known = ledger.find_accounted(item.unit_code, item.sha256, settings.fiscal_year, settings.round)
    if known:
        return known
    return store(settings, ledger, list(_parse_all(settings, registry, [item])))[0]


def stored_name(sha: str, source: str) -> str:
    """The kept copy's name in the store: ``<sha256>.xlsx``, or ``.json`` for a Google Sheet's snapshot."""
    return f"{sha}.json" if source == GSHEETS else f"{sha}.xlsx"


def _keep_file(target: Path, content: bytes) -> None:
    """Keep the submitted bytes in the store (renamed into place, once); :func:`_sync` makes it durable."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".part")
    part.write_bytes(content)
    os.replace(part, target)


def _sync(folder: Path, names: Sequence[str]) -> None:
    """Flush kept files to disk. Many new files: one system-wide sync where there is one (209
    fsyncs took ~2 s). A few (ten schools resending): a sync each and one for the folder's
    entries, which costs less than flushing everything else the machine has written."""
    if len(names) >= SYNC_ALL_FROM and hasattr(os, "sync"):
        os.sync()
        return
    for name in names:
        with (folder / name).open("rb+") as handle:
            os.fsync(handle.fileno())
    if names and os.name == "posix":  # the renames into place; Windows cannot open a folder to sync it
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# --- the run ---------------------------------------------------------------------------------


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cycle collector far less often while consolidating, with the thresholds mypy's
    ``build()`` sets for the same reason (it "can spend a large fraction of cpu in gc").

    A run allocates millions of short-lived objects (rows, cells, XML) while it holds every unit's
    submitted data; at Python's default threshold (700 allocations) the collector walks that data
    again and again: ~10 % of a run where ten schools changed. Reference counting still frees
    everything but cycles, and those are still collected, less often.
    """
    before = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def consolidation_lock(settings: Settings, timeout_s: float | None = None) -> Iterator[None]:
    """Held by whatever writes the round's versions and master (a consolidation, a ledger move),
    one at a time on the installation, whichever process; a second waits ``timeout_s`` (the
    installation's ``lock_timeout_s``), then is told in Thai that one is running."""
    lock = FileLock(str(settings.master_dir / ".consolidate.lock"))
    try:
        lock.acquire(timeout=settings.lock_timeout_s if timeout_s is None else timeout_s)
    except Timeout:
        raise ConsolidationBusy("กำลังรวมข้อมูลอยู่ (มีการรวมข้อมูลอีกงานหนึ่ง) ลองใหม่ภายหลัง", "another consolidation is running; try again later") from None
    try:
        yield
    finally:
        lock.release()


def remove_leftovers(settings: Settings) -> None:
    """Remove what a run killed while writing left behind: a half-written master (``.master-*.xlsx.tmp``
    and other ``.*.tmp`` in master/) and half-kept files (``*.part`` in store/ and master/). Called
    with the consolidation lock held, so no live run owns them."""
    for folder, patterns in ((settings.master_dir, (".*.tmp", "*.part")), (settings.store, ("*.part",))):
        for pattern in patterns:
            for leftover in folder.glob(pattern):
                leftover.unlink(missing_ok=True)


def require_registry(settings: Settings) -> None:
    """Refuse, in Thai, an installation that has no registry yet (before anything is created for it)."""
    if not settings.registry_path.is_file():
        raise NoRegistry(
            f"ยังไม่มีทะเบียนหน่วยงาน {settings.registry_path}: คัดลอกรายชื่อโรงเรียน (CSV จาก สพฐ. หรือแบบของ esaplan) มาไว้ที่นี่ก่อน",
            f"no unit registry at {settings.registry_path}: copy the school list (OBEC CSV or esaplan format) there first",
            path=settings.registry_path,
        )


@_fewer_collections()
def consolidate(settings: Settings, *, sources: Iterable[Incoming] | None = None, progress: Progress | None = None, full: bool = False) -> RunResult:
    """Ingest everything new, then write the round's master workbook; returns what was done.

    ``sources`` replaces the installation's own channels (the inbox and, when configured,
    Google Sheets); ``full`` reads every Google Sheet, changed or not.
    """
    require_registry(settings)
    settings.ensure_folders()
    report = progress or _silent
    warm_up()
    with consolidation_lock(settings):
        remove_leftovers(settings)
        ledger = open_ledger(settings.database_url)
        run_id = ledger.start_run(settings.fiscal_year, settings.round)
        notices: list[Notice] = []
        try:
            registry = load_registry(settings.registry_path)
            sheets = seen = None
            if sources is not None:
                items = list(sources)
            else:
                seen = SeenFiles(settings.master_dir / ".inbox-seen.json")
                items = readable_items(inbox_files(settings, registry, notices, seen=seen), notices)
                if settings.google is not None:
                    from .gsheets.source import SheetsSource  # Google's libraries load only where they are used

                    sheets = SheetsSource.open(settings, ledger, registry, notices)
                    if sheets:
                        items += sheets.changed(report, full=full)
            new_versions = _store_new(settings, ledger, registry, items, report)
            if seen:
                seen.save(i for i in items if i.source == "inbox")
            if sheets:
                sheets.feedback(report)
            data = MasterData.collect(settings, ledger, registry, notices)
            notices.extend(data.census.notices)
            notices.extend(plausibility_notices(settings, ledger, data))
            summary = data.summary()
            fingerprint = _fingerprint(settings, data)
            master = settings.master_path()
            kept = [asdict(n) for n in notices]
            if master.exists() and ledger.last_fingerprint(settings.fiscal_year, settings.round) == fingerprint:
                ledger.finish_run(run_id, status="unchanged", master_path=str(master), summary=summary, fingerprint=fingerprint, notices=kept)
                report("master", 1, 1, "")
                return RunResult(run_id, master, settings.fiscal_year, settings.round, summary, new_versions, len(items), notices, False, data.units_with_errors())
            if moved := keep_added_sheets(settings):
                notices.append(moved)  # shown in ปัญหาที่พบ of the new master and on the dashboard
                kept.append(asdict(moved))
            master = write_master(settings, data, lambda done, steps: report("master", done, steps, ""))
            ledger.finish_run(run_id, status="ok", master_path=str(master), summary=summary, fingerprint=fingerprint, notices=kept)
            return RunResult(run_id, master, settings.fiscal_year, settings.round, summary, new_versions, len(items), notices, True, data.units_with_errors())
        except BaseException as exc:
            ledger.finish_run(run_id, status="failed", error=f"{type(exc).__name__}: {exc}")
            raise


def log_failure(settings: Settings, what: str) -> Path:
    """From an ``except`` block: append the traceback to the installation's error log; returns the log."""
    return log_note(settings, what, traceback.format_exc())


def log_note(settings: Settings, what: str, detail: str) -> Path:
    """Append what happened, and its detail (a traceback), to the installation's error log; returns the log."""
    log = settings.home / "esaplan-error.log"
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"--- {dt.datetime.now().isoformat()} {what}\n{detail}\n")
    return log


def record_failure(settings: Settings, what: str) -> str:
    """A whole run failed (called while its exception is handled): log it and return the message
    for staff. The run has failed before replacing anything, so the master is intact. A full disk
    is said as such: it is the one failure staff can fix themselves."""
    log = log_failure(settings, what)
    error = sys.exc_info()[1]
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        where = Path(error.filename).parent if error.filename else settings.home
        return f"รวมข้อมูลไม่สำเร็จ: ดิสก์ที่เก็บ {where} เต็ม ลบไฟล์ที่ไม่ใช้หรือเพิ่มพื้นที่ แล้วรวมข้อมูลอีกครั้ง ไฟล์รวมเดิมยังอยู่ครบ (รายละเอียด: {log})"
    return f"รวมข้อมูลไม่สำเร็จ ไฟล์รวมเดิมยังอยู่ครบ รายละเอียดสำหรับผู้ดูแลระบบอยู่ใน {log}"


def _silent(phase: str, done: int, total: int, unit_code: str) -> None:
    """Progress nobody watches."""


def _store_new(settings: Settings, ledger: Ledger, registry: dict[str, Unit], items: list[Incoming], progress: Progress) -> int:
    """Parse and store the submissions not stored before, in batches; returns how many versions are new."""
    known = ledger.accounted(settings.fiscal_year, settings.round)
    fresh = []
    for item in sorted(items, key=lambda i: i.submitted_at):  # versions are numbered in the order they were sent
        key = (item.unit_code, item.sha256)
        if key not in known:  # unchanged files and a second copy of the same file are skipped
            known.add(key)
            fresh.append(item)
    done, new_versions = len(items) - len(fresh), 0
    batch: list[Parsed] = []
    for parsed in _parse_all(settings, registry, fresh):
        batch.append(parsed)
        done += 1
        progress("check", done, len(items), parsed.item.unit_code)
        if len(batch) == STORE_BATCH:
            new_versions += len(store(settings, ledger, batch))
            batch = []
    new_versions += len(store(settings, ledger, batch)) if batch else 0
    if not fresh and items:
        progress("check", len(items), len(items), "")
    return new_versions


def _parse_all(settings: Settings, registry: dict[str, Unit], items: list[Incoming]) -> Iterator[Parsed]:
    """Read and check files in worker processes, each under the installation's limits, in order.
    Validation is CPU-bound: several workers when there are many files."""
    workers = max(1, min(os.cpu_count() or 1, MAX_WORKERS, len(items) // FILES_A_WORKER))
    limits = Limits(settings.read_memory_mb, settings.read_seconds)
    versions = isolated_map(partial(parse, settings, registry), items, limits, workers=workers, on_failure=partial(_failed, settings, registry))
    yield from map(Parsed, items, versions)


def _failed(settings: Settings, registry: dict[str, Unit], item: Incoming, failure: Failure) -> NewVersion:
    """A file whose worker gave no answer: its unit's issue, and the reason in the error log."""
    log_note(settings, f"reading {item.source} {item.name} of {item.unit_code}: {failure.reason}", failure.detail)
    return failed(settings, registry, item, failure)


def _fingerprint(settings: Settings, data: Any) -> str:
    """A hash of everything the master is built from: when it is unchanged, so is the master.

    Covers the newest and the counted version of each submission, the registry, the orphan files, the census
    and last year's KPI results, and esaplan's code and rules data (rates, forms, KPI targets:
    :func:`~sync.master.code_salt`), so any change rebuilds the master.
    """
    digest = hashlib.sha256()
    digest.update(f"{code_salt()}|{settings.fiscal_year}|{settings.round}".encode())
    for key, submission in sorted(data.latest.items()):
        digest.update(f"|{key}:{submission.id}".encode())
    for key, submission in sorted(data.counted.items()):  # staff's choice of the version that counts
        digest.update(f"|counted {key}:{submission.id}".encode())
    digest.update(settings.registry_path.read_bytes())
    digest.update("|".join(map(repr, data.notices)).encode())
    digest.update(repr((sorted(data.census.by_band.items()), sorted(data.baseline.items()))).encode())  # KPI denominators and baselines
    return digest.hexdigest()
