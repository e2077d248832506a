"""The job queue: work that may fail and be retried, done outside the request (huey).

Backends, chosen by configuration like everything else:

- embedded default: ``SqliteHuey`` in JOBS_DB (``instance/jobs.db``), a file every process
  of the machine shares;
- with REDIS_URL: ``RedisHuey``, shared by every host; commands bounded by REDIS_TIMEOUT.

``portal worker`` runs the consumer (and the periodic jobs); ``portal serve`` runs one in
its own process, so the one-machine quick start needs nothing else. A queue that cannot be
reached does not lose work: ``enqueue`` then runs the job at once in the caller's process.

Jobs are declared once, in ``portal.jobs.tasks``, with ``@job`` (see docs/deploy.md, "Adding
a job"). Code queues one with ``enqueue("name", *args)`` — after its transaction committed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.workdays import BISHKEK

if TYPE_CHECKING:
    from huey.api import Huey

log = logging.getLogger(__name__)

_EXTENSION = "portal.jobs"
#: Session.info key of the jobs to queue when that session commits.
_PENDING_KEY = "portal.jobs_after_commit"
#: Key under which a worker notes that it is alive (read by /readyz).
HEARTBEAT_KEY = "portal:worker-heartbeat"


@dataclass(frozen=True)
class Job:
    """A declared job: its function and how it is retried and scheduled."""

    name: str
    func: Callable
    retries: int
    retry_delay: int
    #: A setting name holding a cron expression, or a cron expression; None: on demand.
    schedule: str | None


JOBS: dict[str, Job] = {}


def job(*, retries: int = 3, retry_delay: int = 60, schedule: str | None = None):
    """Declare a job (decorator). The function runs inside an application context."""

    def register(func: Callable) -> Callable:
        JOBS[func.__name__] = Job(func.__name__, func, retries, retry_delay, schedule)
        return func

    return register


class Queue:
    """An application's queue: its backend's name, and huey with the declared jobs
    registered, built on first use. A web worker that never queues a job (one serving a
    download, say) does not import huey, which with the Redis and PostgreSQL clients it
    imports costs a process ~15 MB."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.backend = backend_name(app.config)
        self._lock = threading.Lock()
        self._built: tuple[Huey, dict[str, Callable]] | None = None

    @property
    def huey(self) -> Huey:
        return self._build()[0]

    @property
    def tasks(self) -> dict[str, Callable]:
        """The declared jobs as huey tasks, by name: calling one queues it."""
        return self._build()[1]

    def _build(self) -> tuple[Huey, dict[str, Callable]]:
        with self._lock:
            if self._built is None:
                huey = make_huey(self.app, self.backend)
                self._built = huey, _register_jobs(self.app, huey)
            return self._built


def backend_name(config: Mapping[str, Any]) -> str:
    """The queue's backend as the settings choose it: immediate, redis or sqlite."""
    if config["JOBS_IMMEDIATE"]:
        return "immediate"
    return "redis" if config["REDIS_URL"] else "sqlite"


def make_huey(app: Flask, backend: str) -> Huey:
    """The huey instance of ``backend`` (``backend_name``) for ``app``'s settings."""
    from huey import RedisHuey, SqliteHuey
    from huey.api import Huey

    config = app.config
    name = "portal" + config.get("RATELIMIT_KEY_PREFIX", "")
    if backend == "immediate":
        return Huey(name, results=False, immediate=True)
    if backend == "redis":
        from redis import ConnectionPool

        from portal.redis_link import connection_options

        pool = ConnectionPool.from_url(
            config["REDIS_URL"], **connection_options(config["REDIS_TIMEOUT"])
        )
        return RedisHuey(name, results=False, connection_pool=pool, blocking=False)
    path = config["JOBS_DB"] or os.path.join(app.instance_path, "jobs.db")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return SqliteHuey(name, results=False, filename=path, timeout=15)


def local_cron(expression: str) -> Callable[[datetime], bool]:
    """A huey schedule from a cron expression read in Asia/Bishkek (huey ticks in UTC)."""
    from huey import crontab

    minute, hour, day, month, weekday = expression.split()
    matches = crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday)

    def validate(moment: datetime) -> bool:
        local = moment.replace(tzinfo=UTC).astimezone(BISHKEK).replace(tzinfo=None)
        return matches(local)

    return validate


def _in_app_context(app: Flask, func: Callable) -> Callable:
    @wraps(func)
    def run(*args, **kwargs):
        with app.app_context():
            return func(*args, **kwargs)

    return run


def init_app(app: Flask) -> None:
    """Give ``app`` its queue (built on first use) and queue jobs when sessions commit."""
    from portal.jobs import tasks  # noqa: F401  (declares the jobs)

    if not event.contains(Session, "after_commit", _enqueue_pending):  # once per process
        event.listen(Session, "after_commit", _enqueue_pending)
        event.listen(Session, "after_rollback", _drop_pending)
    app.extensions[_EXTENSION] = Queue(app)


def _register_jobs(app: Flask, huey: Huey) -> dict[str, Callable]:
    """Register every declared job (and the periodic ones) on ``huey``; the tasks by name."""
    registered = {}
    for spec in JOBS.values():
        run = _in_app_context(app, spec.func)
        registered[spec.name] = huey.task(
            retries=spec.retries, retry_delay=spec.retry_delay, name=spec.name
        )(run)
        cron = app.config.get(spec.schedule, spec.schedule) if spec.schedule else ""
        if cron:
            huey.periodic_task(
                local_cron(cron), retries=spec.retries, retry_delay=spec.retry_delay,
                name=f"{spec.name}.periodic",
            )(run)  # fmt: skip
    return registered


def queue() -> Queue:
    """The current application's queue."""
    return current_app.extensions[_EXTENSION]


def enqueue(name: str, *args, **kwargs) -> None:
    """Queue the job ``name``; when the queue cannot be reached, run it here and now.

    Never raises because of the queue: callers enqueue after their transaction committed,
    and what is committed must not be reported as failed.
    """
    try:
        queue().tasks[name](*args, **kwargs)
        return
    except Exception:  # noqa: BLE001 - a queue outage must not fail the caller
        current_app.logger.warning("job queue unreachable; running %s in this process", name)
    try:
        JOBS[name].func(*args, **kwargs)
    except Exception:  # noqa: BLE001 - logged; the caller's work is already stored
        current_app.logger.exception("job %s failed and could not be queued for a retry", name)


def enqueue_after_commit(session: Session, name: str, *args, once: bool = False) -> None:
    """Queue the job ``name`` when ``session`` commits; forget it when it rolls back.

    ``once``: queue it at most once per commit (a job that drains an outbox).
    """
    pending = session.info.setdefault(_PENDING_KEY, [])
    if not (once and any(call[0] == name for call in pending)):
        pending.append((name, args))


def _enqueue_pending(session: Session) -> None:
    for name, args in session.info.pop(_PENDING_KEY, None) or ():
        enqueue(name, *args)  # never raises: the use case is stored


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def queue_state() -> dict:
    """What /readyz reports: reachable?, jobs waiting, seconds since a worker was seen."""
    current = queue()
    state: dict = {"backend": current.backend}
    if current.backend == "immediate":
        return {**state, "state": "ok", "pending": 0}
    try:
        state["pending"] = current.huey.pending_count()
        seen = current.huey.get(HEARTBEAT_KEY, peek=True)
    except Exception:  # noqa: BLE001 - the queue is not there
        return {**state, "state": "down"}
    state["worker_seen_seconds_ago"] = None if seen is None else round(time.time() - seen)
    return {**state, "state": "ok"}


def beat() -> None:
    """Note that a worker is alive (the heartbeat job calls it every minute)."""
    queue().huey.put(HEARTBEAT_KEY, time.time())


def consumer(app: Flask, *, threads: int, periodic: bool = True):
    """A huey consumer of ``app``'s queue (``portal worker`` runs it)."""
    current = app.extensions[_EXTENSION]
    if current.backend == "immediate":
        raise RuntimeError("JOBS_IMMEDIATE is set: jobs run where they are queued")
    return current.huey.create_consumer(
        workers=threads, worker_type="thread", periodic=periodic, max_delay=5.0
    )


def start_in_process(app: Flask, *, threads: int = 1) -> None:
    """Run a consumer on daemon threads of this process (``portal serve``'s single process).

    huey's consumer installs signal handlers, which belong to the server here: skip them.
    """
    embedded = consumer(app, threads=threads)
    embedded._set_signal_handlers = lambda: None
    embedded.start()
