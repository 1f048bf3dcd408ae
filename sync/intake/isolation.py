"""Read each submitted file in a process of its own, under limits: one file can cost its own unit, never the run.

A school's file can be built to hurt the reader: a cell at XFD1048576 makes calamine ask for
17 billion cells (the process aborts, or a ``PanicException`` escapes every ``except Exception``),
a few kilobytes can inflate to gigabytes. So no file is read in the process that consolidates or
serves the web pages. Worker processes, forked from a clean server process (``forkserver``; a
forked web server would copy its threads' locks), read one file at a time, each under

- a memory ceiling (``RLIMIT_AS``: the address space a worker may add to what it started with),
- a time limit, kept twice: the parent kills a worker that overruns, and the kernel stops one whose
  CPU time passes the limit (``RLIMIT_CPU``), should the parent itself be gone.

Whatever happens in a worker - an exception of any kind, an abort, a kill, running out of memory
or time - becomes :class:`Failure` for that item alone, which the caller turns into an issue for
the unit; a new worker takes the next item. Healthy workers are kept for the next call in the same
process (the service's next run or upload pays no start-up), up to :data:`KEPT`, and a worker that
grew past :data:`RETIRE_MB` ends after answering. A worker ends with the process that started it.
On Windows (no ``resource``, no ``forkserver``) workers are spawned and only the time limit holds.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends
# Imported once by the fork server, so each worker starts warm. multiprocessing also imports the
# starting program's main module in each new process (``esaplan``'s is the command line, which
# sync.cli brings; a script that imports much at its top pays that in each new worker).
PRELOADED = ["sync.intake.parse", "sync.cli"]
KEPT = 4  # idle workers kept between calls
RETIRE_MB = 256  # a worker whose memory grew past this (a big file read) ends after answering
STOP_POLL_S = 0.25  # how soon the feeding thread notices that the caller has stopped


@dataclass(frozen=True)
class Limits:
    """What reading one file may cost."""

    memory_mb: int = 1024
    seconds: float = 60.0


@dataclass(frozen=True)
class Failure:
    """Why a worker gave no result for an item: ``memory``, ``time`` or ``error`` (with what it said)."""

    reason: str
    detail: str = ""


def isolated_map(
    task: Callable[[Item], Result],
    items: Iterable[Item],
    limits: Limits,
    *,
    workers: int,
    on_failure: Callable[[Item, Failure], Result],
) -> Iterator[Result]:
    """``task(item)`` for each item in worker processes, results in the items' order; an item whose
    worker failed gives ``on_failure(item, failure)`` (called from another thread). ``task`` must
    pickle (a module's function or a partial of one); it runs with the rules data this process uses.

    The workers are fed by a thread of their own, so they go on reading while the caller does
    something with the results (the consolidation stores each hundred versions as they come)."""
    listed = list(items)
    if not listed:
        return
    answers: queue.Queue[tuple[int, Any, BaseException | None]] = queue.Queue()
    stop = threading.Event()
    feeder = threading.Thread(
        target=_feed,
        args=(task, listed, (limits, _rules_dir()), workers, on_failure, answers, stop),
        name="esaplan-readers",
        daemon=True,
    )
    feeder.start()
    done: dict[int, Result] = {}
    try:
        for next_out in range(len(listed)):
            while next_out not in done:
                index, result, error = answers.get()
                if error is not None:
                    raise error
                done[index] = result
            yield done.pop(next_out)
    finally:
        stop.set()
        feeder.join()


def _feed(
    task: Callable[[Item], Result],
    items: list[Item],
    kind: tuple[Limits, str],
    workers: int,
    on_failure: Callable[[Item, Failure], Result],
    answers: queue.Queue[tuple[int, Any, BaseException | None]],
    stop: threading.Event,
) -> None:
    """Give the items to workers one at a time each, and put each answer (or failure) on ``answers``."""
    pending = deque(enumerate(items))
    pool: list[_Worker] = []
    try:
        while (pending or any(w.job is not None for w in pool)) and not stop.is_set():
            while pending and len(pool) < workers:
                pool.append(_kept(kind) or _Worker(kind))
            for worker in pool:
                if worker.job is None and pending:
                    worker.give(task, *pending.popleft())
            busy = [w for w in pool if w.job is not None]
            deadline = min(w.deadline for w in busy)
            wait(
                [x for w in busy for x in (w.connection, w.process.sentinel)],
                timeout=min(max(0.0, deadline - time.monotonic()), STOP_POLL_S),
            )
            for worker in busy:
                outcome = worker.outcome()
                if outcome is None:
                    continue
                index, item = worker.job  # type: ignore[misc]
                worker.job = None
                answers.put((index, on_failure(item, outcome) if isinstance(outcome, Failure) else outcome, None))
                if not worker.alive:
                    worker.stop()
                    pool.remove(worker)
    except BaseException as error:  # the caller raises it: nothing is lost silently
        answers.put((-1, None, error))
    finally:
        for worker in pool:
            _keep(worker)


_IDLE: dict[tuple[Limits, str], list[_Worker]] = {}
_IDLE_LOCK = threading.Lock()


def _kept(kind: tuple[Limits, str]) -> _Worker | None:
    """An idle worker of this kind (limits, rules data) that is still alive, if one is kept."""
    with _IDLE_LOCK:
        idle = _IDLE.get(kind, [])
        while idle:
            worker = idle.pop()
            if worker.process.is_alive():
                return worker
            worker.stop()
    return None


def _keep(worker: _Worker) -> None:
    """Keep a worker for the next call when it is healthy and idle, else end it."""
    if worker.job is None and worker.alive and worker.process.is_alive():
        with _IDLE_LOCK:
            idle = _IDLE.setdefault(worker.kind, [])
            if len(idle) < KEPT:
                idle.append(worker)
                return
    worker.stop()


class _Worker(Generic[Item, Result]):
    """One worker process, the task it was given last, the item it has in hand and when it must be done."""

    def __init__(self, kind: tuple[Limits, str]) -> None:
        context = _context()
        self.kind = kind
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs, *kind), daemon=True, name="esaplan-reader")
        self.process.start()
        theirs.close()
        self.task: Callable[[Any], Any] | None = None
        self.job: tuple[int, Item] | None = None
        self.deadline = 0.0
        self.alive = True

    def give(self, task: Callable[[Any], Any], index: int, item: Item) -> None:
        self.job, self.deadline = (index, item), time.monotonic() + self.kind[0].seconds
        try:
            if task is not self.task:
                self.connection.send(("task", task))
                self.task = task
            self.connection.send(("item", item))
        except (OSError, ValueError):  # it died before taking the item: outcome() says so
            pass

    def outcome(self) -> Result | Failure | None:
        """The item's result or failure once there is one; None while it is still being read."""
        try:
            if self.connection.poll():
                kind, value, retiring = self.connection.recv()
                if retiring:  # it ends after this answer: not given another item
                    self.alive = False
                return value if kind == "ok" else Failure(kind, value)
        except (EOFError, OSError):
            pass  # the worker is gone: its exit says why
        else:
            if self.process.is_alive() and time.monotonic() < self.deadline:
                return None
            if self.process.is_alive():
                self.stop()
                return Failure("time")
        self.process.join(5)
        self.alive = False
        code = self.process.exitcode
        if code == -getattr(signal, "SIGXCPU", 0):
            return Failure("time")
        if code in (
            -signal.SIGABRT,
            -getattr(signal, "SIGKILL", 9),
        ):  # Rust aborts when an allocation fails; the kernel's OOM killer kills
            return Failure("memory", f"signal {-code}")
        return Failure("error", f"exit code {code}")

    def stop(self) -> None:
        self.alive = False
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


def _serve(connection: Connection, limits: Limits, rules_dir: str) -> None:
    """A worker's life: limits first, the parent's rules data, then one item at a time until the pipe closes."""
    _die_with_parent()
    _limit_memory(limits.memory_mb)
    import rules.parameters
    from rules.forms import preload

    rules.parameters.DATA_DIR = Path(rules_dir)
    preload()
    task: Callable[[Any], Any] | None = None
    while True:
        try:
            what, given = connection.recv()
        except (EOFError, OSError):
            return
        if what == "task":
            task = given
            continue
        _limit_cpu(limits.seconds)
        try:
            answer: tuple[str, Any] = ("ok", task(given))  # type: ignore[misc]
        except MemoryError:
            answer = ("memory", "MemoryError")
        except BaseException:  # a PanicException from Rust is a BaseException: still this item's failure
            answer = ("error", traceback.format_exc())
        retiring = _resident_mb() > RETIRE_MB  # the memory a big file took goes back to the system with the process
        try:
            connection.send((*answer, retiring))
        except MemoryError:
            connection.send(("memory", "MemoryError", True))
            return
        if retiring:
            return


def warm_up() -> None:
    """Start the fork server now, in the background: it imports what workers need while this process
    does other work (listing the inbox, opening the ledger), so the first worker starts at once."""
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _rules_dir() -> str:
    import rules.parameters

    return str(rules.parameters.DATA_DIR)


def _context() -> Any:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOADED)
        return context
    return multiprocessing.get_context("spawn")


def _die_with_parent() -> None:
    """A worker ends with whoever started it (Linux: PR_SET_PDEATHSIG; the fork server ends with its parent)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _limit_memory(megabytes: int) -> None:
    """Cap the worker's address space at what it has now plus ``megabytes``: past it, allocations fail
    (Python raises MemoryError, Rust aborts), and the parent reports the file as too complex."""
    try:
        import resource
    except ImportError:  # Windows
        return
    now = _statm(0)
    if now:
        resource.setrlimit(
            resource.RLIMIT_AS, (now + megabytes * 1024 * 1024, resource.getrlimit(resource.RLIMIT_AS)[1])
        )


def _limit_cpu(seconds: float) -> None:
    """Let the next item use ``seconds`` of CPU more than used so far; past it the kernel stops the worker."""
    try:
        import resource
    except ImportError:
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(used.ru_utime + used.ru_stime + seconds) + 2
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _resident_mb() -> float:
    return _statm(1) / 1024 / 1024


def _statm(field: int) -> int:
    """A field of /proc/self/statm in bytes (0: virtual size, 1: resident), 0 where it cannot be read (Linux only)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[field]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0
