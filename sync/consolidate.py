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

import ctypes
import datetime as dt
import errno
import gc
import hashlib
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from pythainlp.util import thai_digit_to_arabic_digit

from rules import EsaplanError, ParseError
from rules.forms import FormSet, Problem, form_sets, form_version, preload, read_sheet
from rules.thai import reporting_round

from .gsheets.snapshot import book_from_snapshot
from .ledger import Ledger, NewVersion, Submission, open_ledger
from .master import MasterData, code_salt, keep_added_sheets, write_master
from .reader import INSTRUCTIONS_SHEET, UNIT_CELL_NAME, UnreadableWorkbook, Workbook, read_workbook
from .registry import Unit, find_unit, load_registry
from .safety import check_file
from .seenfiles import SeenFiles
from .settings import Settings
from .status import Notice, UnitErrors, sets_for

Progress = Callable[[str, int, int, str], None]  # phase, done, total, unit code
PHASES_TH = {"google": "อ่าน Google Sheets", "check": "ตรวจข้อมูล", "feedback": "เขียนผลการตรวจสอบลง Google Sheets", "master": "เขียนไฟล์รวม"}
PARALLEL_FROM = 40  # below this many new files, worker start-up costs more than it saves
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends
STORE_BATCH = 100  # versions recorded per transaction (and per disk sync)
SYNC_ALL_FROM = 20  # from this many new files, one system-wide sync costs less than a sync each
FILE_SHEET = "(ไฟล์)"


class ConsolidationBusy(EsaplanError):
    """Another consolidation holds the lock."""


class NoRegistry(EsaplanError):
    """The installation has no unit registry yet: nobody is expected to submit."""


GSHEETS = "gsheets"  # the source whose content is a values snapshot (JSON), not an xlsx file


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
        return self.payload.read_bytes() if isinstance(self.payload, Path) else self.payload

    @cached_property
    def sha256(self) -> str:
        """The content's SHA-256, computed once: it names the stored copy and spots unchanged files."""
        return self.seen_sha256 or hashlib.sha256(self.content).hexdigest()


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
    to a registered unit become notices and are left alone.
    """
    inbox = folder or settings.inbox
    if not inbox.is_dir():
        return
    for parts in _files_under(inbox):
        if parts[-1].startswith(("~$", ".")):
            continue
        relative = os.path.join(*parts)
        path = Path(inbox, relative)
        candidates = [parts[0]] if len(parts) > 1 else []
        match = _CODE_IN_NAME.match(thai_digit_to_arabic_digit(parts[-1]))
        candidates += [match.group(1)] if match else []
        unit = next((u for u in map(partial(find_unit, registry=registry), candidates) if u is not None), None)
        if unit is None:
            named = [c for c in candidates if thai_digit_to_arabic_digit(c).strip().isdigit()]
            if named:  # a code was given but is not a registered unit: say which, not "unknown"
                message = f"{relative}: ไม่มีหน่วยรหัส {', '.join(named)} ในทะเบียนหน่วยงาน (registry.csv): ตรวจรหัสโรงเรียน หรือเพิ่มหน่วยในทะเบียน"
            else:
                message = f"{relative}: ไม่ทราบว่าเป็นไฟล์ของหน่วยใด (วางไฟล์ในโฟลเดอร์ inbox/<รหัสหน่วย>/)"
            notices.append(Notice(None, "(inbox)", "UNKNOWN-UNIT", "error", message))
            continue
        stat = path.stat()
        known = seen.sha256(relative, stat) if seen else None
        yield Incoming(unit.code, path, relative, dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC), "inbox", known, stat.st_size, stat.st_mtime_ns)


def _files_under(folder: Path) -> list[tuple[str, ...]]:
    """The files under a folder as path parts, in name order, as os.walk finds them (links to
    folders are not followed). With os.scandir and no path objects: pathlib's rglob cost ~0.1 ms a
    file and os.walk with a path a folder ~0.05 ms, where an inbox has a folder a school."""
    found: list[tuple[str, ...]] = []
    pending: list[tuple[str, tuple[str, ...]]] = [(str(folder), ())]
    while pending:
        path, base = pending.pop()
        try:
            entries = list(os.scandir(path))
        except OSError:  # gone or unreadable since it was listed: as os.walk, skipped
            continue
        for entry in entries:
            if entry.is_dir():
                if not entry.is_symlink():
                    pending.append((entry.path, (*base, entry.name)))
            else:
                found.append((*base, entry.name))
    return sorted(found)


# --- ingest ----------------------------------------------------------------------------------


@dataclass
class Parsed:
    """What reading and validating one file found, before it is stored."""

    item: Incoming
    version: NewVersion


def parse(settings: Settings, registry: dict[str, Unit], item: Incoming) -> Parsed:
    """Check and validate one file (pure: no database, no writes), so it can run in a worker.

    Whatever the file holds, the answer is a version of the round being consolidated: a fault
    of esaplan's own while reading it becomes an error for its unit (and a traceback in the
    error log), never an exception that stops the other units.
    """
    try:
        return _parse(settings, registry, item)
    except Exception:
        log_failure(settings, f"reading {item.source} {item.name} of {item.unit_code}")
        message = "ระบบอ่านไฟล์นี้ไม่สำเร็จ ข้อมูลในไฟล์จึงไม่ถูกนำไปรวม: กรอกลงแบบฟอร์มของรอบนี้แล้วส่งอีกครั้ง (ผู้ดูแลระบบดูรายละเอียดใน esaplan-error.log)"
        problem = Problem(FILE_SHEET, "-", "FILE-UNREADABLE", "error", message)
        return _parsed(settings, item, sets_for(registry[item.unit_code])[0].code, None, False, {}, [(None, problem)])


def _parse(settings: Settings, registry: dict[str, Unit], item: Incoming) -> Parsed:
    unit = registry[item.unit_code]
    form_set = sets_for(unit)[0]
    problems: list[tuple[str | None, Problem]] = []
    if item.source == GSHEETS:
        book = book_from_snapshot(item.content)
    else:
        rejection = check_file(item.content, max_bytes=settings.max_file_mb * 1024 * 1024)
        if rejection is not None:
            problems.append((None, Problem(FILE_SHEET, "-", rejection.rule, "error", rejection.message_th)))
            return _parsed(settings, item, form_set.code, None, False, {}, problems)
        try:
            book = read_workbook(item.content)
        except UnreadableWorkbook:
            problems.append((None, Problem(FILE_SHEET, "-", "FILE-CORRUPT", "error", "ไฟล์เสียหาย เปิดไม่ได้: บันทึกใหม่จาก Excel แล้วส่งอีกครั้ง")))
            return _parsed(settings, item, form_set.code, None, False, {}, problems)
    form_set, set_ok = _form_set_of(book, unit, problems)
    # A school's Google Sheet is copied once and filled again every round: it is read for the round
    # being consolidated. A file is made for one round, and says which.
    stamp, round_ok = (None, True) if item.source == GSHEETS else _form_round_of(book, settings, problems)
    unit_ok = _unit_of(book, unit, registry, problems)
    if not book.meta:
        problems.append((None, Problem(FILE_SHEET, "-", "NOT-TEMPLATE", "warning", "ไฟล์นี้ไม่ได้สร้างจากแบบฟอร์มของ esaplan ตรวจตามชื่อแผ่นงานและหัวตาราง")))
    elif set_ok and book.meta.get("form_version") != form_version(form_set):
        message = "แบบฟอร์มนี้เป็นรุ่นเก่า ระบบตรวจตามหัวตาราง ครั้งต่อไปโปรดใช้แบบฟอร์มรุ่นปัจจุบัน"
        problems.append((None, Problem(FILE_SHEET, "-", "FORM-VERSION", "warning", message, book.meta.get("form_version"))))
    on = reporting_round(settings.fiscal_year, settings.round).ends
    data: dict[str, Any] = {}
    for form in form_set.forms:
        grid = book.sheets.get(form.sheet)
        if grid is None:
            problems.append((form.code, Problem(form.sheet, "-", "MISSING-SHEET", "error", f"ไม่พบแผ่นงาน '{form.sheet}' ในไฟล์ (อย่าลบหรือเปลี่ยนชื่อแผ่นงาน)")))
            continue
        result = read_sheet(form, grid, unit_code=item.unit_code, on=on, formulas=book.shows_formulas)
        data[form.code] = result.rows
        problems.extend((form.code, p) for p in result.problems)
    accepted = set_ok and round_ok and unit_ok
    return _parsed(settings, item, form_set.code, stamp, accepted, data if accepted else {}, problems)


def _form_set_of(book: Workbook, unit: Unit, problems: list[tuple[str | None, Problem]]) -> tuple[FormSet, bool]:
    """The unit's form set the file is read as, and whether the file's own form is one of the unit's."""
    own = sets_for(unit)
    named = book.meta.get("form_set", "")
    found = form_sets().get(named)
    if not named or found in own:
        return (found or own[0]), True
    what = found.th if found else f"แบบ '{named}' ที่ระบบไม่รู้จัก"
    message = f"ไฟล์นี้เป็น{what} ไม่ใช่{own[0].th}: ดาวน์โหลด{own[0].th}ของรอบนี้แล้วกรอกใหม่ ข้อมูลในไฟล์นี้ไม่ถูกนำไปรวม"
    problems.append((None, Problem(FILE_SHEET, "-", "WRONG-FORM-SET", "error", message, named)))
    return own[0], False


def _form_round_of(book: Workbook, settings: Settings, problems: list[tuple[str | None, Problem]]) -> tuple[tuple[int, int] | None, bool]:
    """The round the file's form was written for (when it names a valid one) and whether it is this round.

    A form of another round, or with a year that is not a BE fiscal year (2026), is an error of
    this round, addressed to the school: its data is not counted here, and never filed elsewhere.
    """
    if "fiscal_year" not in book.meta and "round" not in book.meta:
        return None, True  # not an esaplan template: read for this round by its headers
    this = f"ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน"
    try:
        named = reporting_round(book.meta.get("fiscal_year"), book.meta.get("round"))
    except ParseError as exc:
        message = f"ปีหรือรอบในแบบฟอร์มไม่ถูกต้อง ({exc.message_th}): กรุณาใช้แบบของรอบนี้ ({this}) ข้อมูลในไฟล์นี้ไม่ถูกนำไปรวม"
        problems.append((None, Problem(FILE_SHEET, "-", "FORM-ROUND", "error", message, f"{book.meta.get('fiscal_year')}/{book.meta.get('round')}")))
        return None, False
    stamp = (named.fiscal_year, named.months)
    if stamp == (settings.fiscal_year, settings.round):
        return stamp, True
    message = f"ส่งแบบของปีงบประมาณ {named.fiscal_year} รอบ {named.months} เดือน: กรุณาใช้แบบของรอบนี้ ({this}) ข้อมูลในไฟล์นี้ไม่ถูกนำไปรวม"
    problems.append((None, Problem(FILE_SHEET, "-", "WRONG-ROUND", "error", message, f"{named.fiscal_year}/{named.months}")))
    return stamp, False


def _unit_of(book: Workbook, unit: Unit, registry: dict[str, Unit], problems: list[tuple[str | None, Problem]]) -> bool:
    """Whether the code typed in the file (or written in its form) names the unit that sent it."""
    claimed = book.typed_unit or book.meta.get("unit_code", "")
    if not claimed:
        problems.append((None, Problem(INSTRUCTIONS_SHEET, UNIT_CELL_NAME, "NO-UNIT", "warning", "ไม่ได้กรอกรหัสหน่วยงาน ใช้รหัสจากช่องทางที่ส่งแทน")))
        return True
    named = find_unit(claimed, registry)
    if named is not None and named.code == unit.code:
        return True
    who = f"{named.code} ({named.name_th})" if named else claimed
    message = f"รหัสในไฟล์ {who} ไม่ตรงกับผู้ส่ง {unit.code} ({unit.name_th}): แก้รหัสในช่อง {UNIT_CELL_NAME} ให้ถูกต้อง"
    problems.append((None, Problem(INSTRUCTIONS_SHEET, UNIT_CELL_NAME, "WRONG-UNIT", "error", message, claimed)))
    return False


def _parsed(settings: Settings, item: Incoming, form_set: str, stamp: tuple[int, int] | None, accepted: bool, data: dict[str, Any], problems: list[tuple[str | None, Problem]]) -> Parsed:
    """Every version is recorded in the round being consolidated; ``stamp`` is the round its form names."""
    version = NewVersion(item.unit_code, form_set, settings.fiscal_year, settings.round, item.sha256, item.source, item.name, item.submitted_at, accepted, data, problems, stamp)
    return Parsed(item, version)


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
    """Check, validate and store one incoming file (an upload); the same file twice is one version."""
    known = ledger.find_accounted(item.unit_code, item.sha256, settings.fiscal_year, settings.round)
    if known:
        return known
    return store(settings, ledger, [parse(settings, registry, item)])[0]


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
    with consolidation_lock(settings):
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
                items = list(inbox_files(settings, registry, notices, seen=seen))
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
    log = settings.home / "esaplan-error.log"
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"--- {dt.datetime.now().isoformat()} {what}\n{traceback.format_exc()}\n")
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
    """Parse files in worker processes when there are many (validation is CPU-bound), in order."""
    job = partial(parse, settings, registry)
    preload()  # load the rules before forking, so every worker inherits them instead of re-reading
    if len(items) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        yield from map(job, items)
        return
    with ProcessPoolExecutor(max_workers=min(os.cpu_count() or 2, 4), initializer=_die_with_parent) as pool:
        yield from pool.map(job, items, chunksize=16)


def _die_with_parent() -> None:
    """A parsing process ends with the consolidation that started it. A job's worker killed with
    SIGKILL cannot stop its pool, whose processes would otherwise wait forever on their queue
    (each holds the queue's other end) and keep their memory (Linux: PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _fingerprint(settings: Settings, data: Any) -> str:
    """A hash of everything the master is built from: when it is unchanged, so is the master.

    Covers the newest version of each submission, the registry, the orphan files, the census
    and last year's KPI results, and esaplan's code and rules data (rates, forms, KPI targets:
    :func:`~sync.master.code_salt`), so any change rebuilds the master.
    """
    digest = hashlib.sha256()
    digest.update(f"{code_salt()}|{settings.fiscal_year}|{settings.round}".encode())
    for key, submission in sorted(data.latest.items()):
        digest.update(f"|{key}:{submission.id}".encode())
    digest.update(settings.registry_path.read_bytes())
    digest.update("|".join(map(repr, data.notices)).encode())
    digest.update(repr((sorted(data.census.by_band.items()), sorted(data.baseline.items()))).encode())  # KPI denominators and baselines
    return digest.hexdigest()
