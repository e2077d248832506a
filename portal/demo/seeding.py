"""Seeding a demo database: the generator's batches written as they come.

For large counts the rows are generated in a second process while this one writes them,
so both cores work; the output is identical either way (one generator, in order).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from portal import performance_cells, search_index
from portal.demo.bulk import (
    TABLES,
    BulkWriter,
    batch_tables,
    next_ids,
    reset_sequences,
    save_counters,
)
from portal.demo.generate import BATCH, Generator, SeedStats
from portal.demo.inputs import load_reference, local_ordinal
from portal.workdays import WorkCalendar

PARALLEL_THRESHOLD = 50_000


def seed_demo(
    conn: Connection,
    count: int,
    *,
    seed: int = 1,
    today: date | None = None,
    calendar: WorkCalendar | None = None,
    progress: Callable[[int], None] = lambda n: None,
) -> SeedStats:
    """Append ``count`` demo appeals to the database behind ``conn`` (reference data must exist).

    For large counts, rows are generated in a second process while this one writes them,
    so both cores work; the output is identical either way (one generator, in order).
    """
    now = history_end(today or date.today())
    today = local_date(now)
    calendar = calendar or WorkCalendar()
    writer = BulkWriter(conn)
    writer.prepare()
    ids = next_ids(conn)
    job = (load_reference(conn), seed, today, sorted(calendar.extra_holidays),
           sorted(calendar.extra_working_days), count, ids, now)  # fmt: skip
    batches = _produce_in_process(*job) if count >= PARALLEL_THRESHOLD else _produce(*job)
    stats = SeedStats()
    for tables, statuses in batches:
        if tables is None:  # the producer's last message: final public-id counters
            ids["counters"] = statuses
            continue
        for table, columns in TABLES:
            writer.write(table, columns, tables[table.name])
        search_index.refresh(conn, [row[0] for row in tables["appeals"]], new=True)
        stats.appeals += len(tables["appeals"])
        stats.events += len(tables["status_events"])
        stats.answers += len(tables["answers"])
        stats.ratings += len(tables["ratings"])
        for status, number in statuses.items():
            stats.by_status[status] = stats.by_status.get(status, 0) + number
        progress(len(tables["appeals"]))
    save_counters(conn, ids["counters"])
    if writer.postgres:
        reset_sequences(conn)
    performance_cells.rebuild(conn)  # bulk rows bypass the session that keeps them current
    return stats


def history_end(today: date) -> float:
    """The demo history's "now": 18:00 in Bishkek on ``today``, never after the real now.

    A past ``today`` gives the same data on every run; today's history ends at the start
    of the current hour (the same data within the hour), so no timestamp lies in the
    future; a future ``today`` is today.
    """
    evening = datetime.combine(today, datetime.min.time(), UTC).timestamp() + 12 * 3600
    return min(evening, time.time() // 3600 * 3600)


def local_date(ts: float) -> date:
    """The Bishkek date of a UTC timestamp."""
    return date.fromordinal(local_ordinal(ts))


def _produce(reference, seed, today, holidays, working_days, count, ids, now) -> Iterator[tuple]:
    """Generate batches of row tuples per table; finally (None, public-id counters)."""
    calendar = WorkCalendar(holidays, working_days)
    generator = Generator(reference, seed, today, calendar, now)
    batch: list[dict] = []
    for _ in range(count):
        ids["appeal"] += 1
        batch.append(generator.appeal(ids["appeal"], ids))
        if len(batch) == BATCH:
            yield batch_tables(batch)
            batch = []
    if batch:
        yield batch_tables(batch)
    yield None, ids["counters"]


def _producer_main(queue, *job) -> None:
    for item in _produce(*job):
        queue.put(item)


def _produce_in_process(*job) -> Iterator[tuple]:
    """Run _produce in a child process, a few batches ahead of the writer."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=4)
    process = context.Process(target=_producer_main, args=(queue, *job), daemon=True)
    process.start()
    try:
        while True:
            item = queue.get(timeout=600)
            yield item
            if item[0] is None:
                break
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()
