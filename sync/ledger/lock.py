"""One writer at a time: the lock held by whatever writes a round's versions and master (a
consolidation, a ledger move), and the clean-up of what a run killed mid-write left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from rules import EsaplanError
from sync.office.settings import Settings


class ConsolidationBusy(EsaplanError):
    """Another consolidation holds the lock."""


@contextmanager
def consolidation_lock(settings: Settings, timeout_s: float | None = None) -> Iterator[None]:
    """Held by whatever writes the round's versions and master (a consolidation, a ledger move),
    one at a time on the installation, whichever process; a second waits ``timeout_s`` (the
    installation's ``lock_timeout_s``), then is told in Thai that one is running."""
    lock = FileLock(str(settings.master_dir / ".consolidate.lock"))
    try:
        lock.acquire(timeout=settings.lock_timeout_s if timeout_s is None else timeout_s)
    except Timeout:
        raise ConsolidationBusy(
            "กำลังรวมข้อมูลอยู่ (มีการรวมข้อมูลอีกงานหนึ่ง) ลองใหม่ภายหลัง", "another consolidation is running; try again later"
        ) from None
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
