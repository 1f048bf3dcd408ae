"""Accepting files: each read and checked in a worker process under the installation's limits, its
bytes kept under ``store/`` (durable before anything refers to them), then its version recorded in
the ledger. The same file twice is one version; a file whose worker gave no answer is its unit's
issue (:func:`sync.intake.parse.failed`), never the end of the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from sync.files.cachefile import code_salt
from sync.intake.inbox import Progress
from sync.intake.isolation import Failure, Limits, isolated_map
from sync.intake.parse import failed, parse
from sync.ledger.recheck import replace_checks, stale_versions
from sync.ledger.records import GSHEETS, Incoming, NewVersion
from sync.ledger.store import Ledger
from sync.ledger.versions import Submission
from sync.office.errorlog import log_note
from sync.office.registry import Unit
from sync.office.settings import Settings

FILES_A_WORKER = 5  # a reading worker for every this many new files (kept workers start nothing)
MAX_WORKERS = 4
STORE_BATCH = 100  # versions recorded per transaction (and per disk sync)
SYNC_ALL_FROM = 20  # from this many new files, one system-wide sync costs less than a sync each


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
    return ledger.add_many([replace(one.version, checked_with=code_salt()) for one in parsed])


def recheck_stale(
    settings: Settings,
    ledger: Ledger,
    units: Mapping[str, Unit],
    round_: tuple[int, int],
    read: Callable[[list[Incoming]], Iterable[NewVersion]],
) -> int:
    """Read again, with this esaplan's checks, a round's kept versions another one checked (an upgrade
    since the files came), ``read`` being how that round's files are read (in workers): each keeps its
    number and its file, and gets today's data, issues and acceptance. A unit no longer known, or a kept
    file gone, is left as it was. Returns how many were read again (none but the first run after an upgrade)."""
    kept = [
        (one, settings.store / stored_name(one.sha256, one.source))
        for one in stale_versions(ledger, *round_, code_salt())
        if one.unit_code in units
    ]
    stale = [(one, path) for one, path in kept if path.is_file()]
    items = [Incoming(one.unit_code, path, one.original_name, one.submitted_at, one.source) for one, path in stale]
    for (one, _), version in zip(stale, read(items), strict=True):
        replace_checks(ledger, one.id, replace(version, checked_with=code_salt()))
    return len(stale)


def read_round_files(settings: Settings, registry: dict[str, Unit]) -> Callable[[list[Incoming]], Iterator[NewVersion]]:
    """How a reporting round's files are read: :func:`parse_all`'s versions (for :func:`recheck_stale`)."""
    return lambda items: (parsed.version for parsed in parse_all(settings, registry, items))


def ingest(settings: Settings, ledger: Ledger, registry: dict[str, Unit], item: Incoming) -> Submission:
    """Check, validate and store one incoming file (an upload); the same file twice is one version.
    The file is read in a worker process, as every file is: the caller (the web service) never reads it."""
    known = ledger.find_accounted(item.unit_code, item.sha256, settings.fiscal_year, settings.round)
    if known:
        return known
    return store(settings, ledger, list(parse_all(settings, registry, [item])))[0]


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


def store_new(
    settings: Settings, ledger: Ledger, registry: dict[str, Unit], items: list[Incoming], progress: Progress
) -> int:
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
    for parsed in parse_all(settings, registry, fresh):
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


def parse_all(settings: Settings, registry: dict[str, Unit], items: list[Incoming]) -> Iterator[Parsed]:
    """Read and check files in worker processes, each under the installation's limits, in order.
    Validation is CPU-bound: several workers when there are many files."""
    workers = max(1, min(os.cpu_count() or 1, MAX_WORKERS, len(items) // FILES_A_WORKER))
    limits = Limits(settings.read_memory_mb, settings.read_seconds)
    versions = isolated_map(
        partial(parse, settings, registry),
        items,
        limits,
        workers=workers,
        on_failure=partial(_failed, settings, registry),
    )
    yield from map(Parsed, items, versions)


def _failed(settings: Settings, registry: dict[str, Unit], item: Incoming, failure: Failure) -> NewVersion:
    """A file whose worker gave no answer: its unit's issue, and the reason in the error log."""
    log_note(settings, f"reading {item.source} {item.name} of {item.unit_code}: {failure.reason}", failure.detail)
    return failed(settings, registry, item, failure)
