"""Writing a snapshot's datasets in parallel processes (``portal publish`` on every core).

Each dataset is read once and written into all its formats from the same batches
(``opendata.exports.MultiWriter``); that work is CPU-bound (Arrow conversion and rendering
hold the GIL), so the datasets read by SQL are shared out among ``PUBLISH_WORKERS``
processes, the largest first, while the publishing process computes the datasets it
supplies itself (the monthly performance figures, which need the application).

Workers are *spawned* (not forked: the publishing process may hold database connections
and threads), open their own engine on the same URL, and return each file's size and
SHA-256. They send progress — ``("total", rows)`` when a dataset's rows are counted,
``("rows", n)`` per batch written — on a queue the publishing process drains.
An in-memory SQLite database cannot be shared with another process: it is written in
the publishing process, as with ``PUBLISH_WORKERS = 1``.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from opendata import catalog
from opendata.exports import MultiWriter
from opendata.schema import DATASETS
from opendata.tableschema import Dataset

WRITE_BUFFER = 1 << 20
#: The datasets read by SQL, largest first (a worker that takes the appeals early
#: leaves the others to the rest).
BY_SIZE = ("appeals", "answers", "ratings", "withdrawn", "categories", "services")

Report = Callable[[tuple[str, int]], None]
_queue = None  # the publishing process's progress queue, in a worker
_parent = 0  # and its process id


def write_files(dataset: Dataset, work: Path, source: Iterable, report: Report) -> dict:
    """Write every format of ``dataset`` from one pass over ``source`` (batches) into
    ``work``; returns ``{file name: catalog.FileInfo}``."""
    names = {fmt: catalog.file_name(dataset, fmt) for fmt in dataset.formats}
    with ExitStack() as stack:
        writers = {
            fmt: catalog.HashingWriter(
                stack.enter_context(open(work / name, "wb", buffering=WRITE_BUFFER))
            )
            for fmt, name in names.items()
        }
        with MultiWriter(dataset, writers) as writer:
            for batch in source:
                writer.write(batch)
                report(("rows", len(batch)))
    return {name: writers[fmt].info() for fmt, name in names.items()}


def write_sql_dataset(engine: Engine, work: Path, name: str, options: dict, report: Report):
    """Count (for the progress bar), then stream and write dataset ``name``."""
    from portal.queries.exports import count_rows, stream_rows
    from portal.schemas.filters import AppealFilters

    report(("total", count_rows(engine, name, **options)))
    source = stream_rows(engine, name, AppealFilters(), **options)
    return write_files(DATASETS[name], work, source, report)


def _init_worker(pipe, parent: int) -> None:
    global _queue, _parent
    _queue, _parent = pipe, parent


def _report(item: tuple[str, int]) -> None:
    if os.getppid() != _parent:  # the publisher was killed: stop writing its run
        os._exit(1)
    _queue.put(item)


def _worker_job(url: str, work: str, name: str, options: dict) -> dict:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return write_sql_dataset(engine, Path(work), name, options, _report)
    finally:
        engine.dispose()


def shareable(engine: Engine) -> bool:
    """Whether another process can open the engine's database (not in-memory SQLite)."""
    database = engine.url.database or ""
    return not (engine.dialect.name == "sqlite" and database in ("", ":memory:"))


def write_in_workers(
    engine: Engine, work: Path, names: list[str], options: dict, workers: int, report: Report,
    meanwhile: Callable[[], dict],
) -> dict:  # fmt: skip
    """Write the SQL datasets ``names`` in ``workers`` spawned processes while the calling
    process runs ``meanwhile()``; returns the file infos of both."""
    context = multiprocessing.get_context("spawn")
    pipe = context.SimpleQueue()
    received = _pump(pipe)
    url = engine.url.render_as_string(hide_password=False)
    ordered = sorted(names, key=lambda n: BY_SIZE.index(n) if n in BY_SIZE else len(BY_SIZE))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(pipe, os.getpid())) as pool:  # fmt: skip
        try:
            pending: set[Future] = {
                pool.submit(_worker_job, url, str(work), name, options.get(name, {}))
                for name in ordered
            }
            files = meanwhile()
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(received, report)
                for future in done:
                    files.update(future.result())
        except BaseException:
            pool.shutdown(cancel_futures=True)  # datasets not begun are not written
            raise
        finally:
            pipe.put(None)  # ends the pump
    _drain(received, report, to_the_end=True)
    return files


def _pump(pipe) -> queue.Queue:
    """Move the workers' reports from ``pipe`` to an in-process queue, in a thread, so
    that a worker never waits on a full pipe (e.g. while ``meanwhile`` runs)."""
    received: queue.Queue = queue.Queue()

    def pump() -> None:
        while (item := pipe.get()) is not None:
            received.put(item)
        received.put(None)

    threading.Thread(target=pump, name="publish-progress", daemon=True).start()
    return received


def _drain(received: queue.Queue, report: Report, to_the_end: bool = False) -> None:
    """Report what was received (``to_the_end``: everything, up to the pump's end)."""
    while True:
        try:
            item = received.get(block=to_the_end)
        except queue.Empty:
            return
        if item is None:
            return
        report(item)
