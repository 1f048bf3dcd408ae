"""The task queue consolidation jobs run on: huey, with its storage chosen by the installation.

One office keeps the zero-set-up default: the queue is a SQLite file in the installation folder
(``queue.sqlite3``) and ``esaplan serve`` works it itself (:class:`EmbeddedWorker`). Several
machines set ``queue_url = "redis://…"`` (or ``ESAPLAN_QUEUE_URL``): the service only enqueues,
and ``esaplan worker`` on each machine runs huey's own consumer. The same task and the same code
run in both.

What huey does not give - knowing that a worker died with a job in hand - the ``jobs`` table
does (:mod:`sync.service.jobs`): a running job beats every few seconds, and one whose beat stopped is put
back on the queue, by the next worker to start or by a periodic task on every worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from huey import Huey, RedisHuey, SqliteHuey, crontab

from sync.office.settings import Settings

QUEUE_NAME = "esaplan"
log = logging.getLogger(__name__)
IDLE_POLL_S = 2.0  # the embedded worker looks for jobs enqueued by another process this often


def make_huey(settings: Settings) -> Huey:
    """The installation's queue: Redis when configured, else a SQLite file beside the ledger."""
    if settings.queue_url:  # results=False: a job's outcome is kept in the jobs table, not in the queue
        return RedisHuey(QUEUE_NAME, url=settings.queue_url, results=False)
    settings.home.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(settings.home / "queue.sqlite3"), results=False)


class JobQueue:
    """The consolidation task registered on one huey, and how to hand it a job."""

    def __init__(self, huey: Huey, run_job: Callable[[int], object], reap: Callable[[], list[int]]) -> None:
        self.huey = huey
        self.wake = threading.Event()  # set when this process enqueues: the embedded worker starts at once
        self.task = huey.task(name="consolidate")(run_job)
        self.reap_task = huey.periodic_task(crontab(minute="*"), name="requeue-stalled")(lambda: self.requeue(reap()))

    def enqueue(self, job_id: int) -> None:
        self.task(job_id)
        self.wake.set()

    def requeue(self, job_ids: list[int]) -> None:
        for job_id in job_ids:
            self.enqueue(job_id)


class EmbeddedWorker(threading.Thread):
    """The one-office worker inside ``esaplan serve``: takes jobs off the queue one at a time.

    huey's ``Consumer`` sets signal handlers, which only the main thread may do and which would
    take SIGTERM away from the web server; this loop uses huey's public ``dequeue``/``execute``
    instead, and puts stalled jobs back on the queue at start and every minute.
    """

    def __init__(self, queue: JobQueue, reap: Callable[[], list[int]]) -> None:
        super().__init__(name="esaplan-embedded-worker", daemon=True)
        self.queue, self.reap = queue, reap
        self.stopping = threading.Event()

    def run(self) -> None:
        self._requeue_stalled()
        while not self.stopping.is_set():
            task = self.queue.huey.dequeue()
            if task is None:
                if not self.queue.wake.wait(IDLE_POLL_S):
                    self._requeue_stalled()
                self.queue.wake.clear()
                continue
            self.queue.huey.execute(task)

    def _requeue_stalled(self) -> None:
        """Put stalled jobs back; a database away for a moment (PostgreSQL restarting) is tried
        again at the next round instead of ending the service's only worker."""
        try:
            self.queue.requeue(self.reap())
        except Exception:
            log.warning("could not look for stalled jobs; trying again in %s s", IDLE_POLL_S, exc_info=True)

    def stop(self, timeout_s: float = 30) -> None:
        """End the loop after the job in hand (the service is closing, or a test is over)."""
        self.stopping.set()
        self.queue.wake.set()
        self.join(timeout_s)
