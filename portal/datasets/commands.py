"""``portal publish``: write a dated snapshot of every dataset."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("publish")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of snapshots (default: the SNAPSHOT_DIR setting).")  # fmt: skip
@with_appcontext
def publish_command(out_dir: Path | None) -> None:
    """Write today's snapshot of all datasets in all formats, with datapackage.json.

    The snapshot is written into a fresh folder and OUT/<YYYY-MM-DD> is switched to it
    atomically when complete; leftovers of interrupted runs are swept first.
    """
    started = time.perf_counter()
    with click.progressbar(length=1, label="Rows") as bar:

        def set_total(rows: int) -> None:
            bar.length = max(rows, 1)

        path, total = publish_today(out_dir, progress=bar.update, on_total=set_total)
    size = sum(p.stat().st_size for p in path.iterdir())
    click.echo(
        f"Published {total} rows ({size / 1e6:.1f} MB) to {path} "
        f"in {time.perf_counter() - started:.1f} s."
    )


def publish_today(
    out_dir: Path | None = None,
    *,
    progress: Callable[[int], None] = lambda n: None,
    on_total: Callable[[int], None] = lambda n: None,
) -> tuple[Path, int]:
    """Publish today's snapshot (the command and the ``publish_snapshot`` job call this)."""
    from opendata.schema import PERFORMANCE
    from portal.datasets.snapshots import publish_snapshot
    from portal.datasets.views import local_today, snapshot_dir
    from portal.extensions import db
    from portal.models import utcnow
    from portal.queries.exports import stream_rows
    from portal.schemas.filters import AppealFilters
    from portal.workdays import BISHKEK

    out_dir = out_dir or snapshot_dir()
    engine = db.engine
    options = {"categories": {"default_deadline": current_app.config["DEFAULT_DEADLINE_DAYS"]}}
    counted = [0]

    def count(total: int) -> None:
        counted[0] = total
        on_total(total)

    def performance():
        # computed with the application's session, while the workers write the others
        return stream_rows(engine, PERFORMANCE.name, AppealFilters())

    path = publish_snapshot(
        engine,
        out_dir,
        day=local_today(),
        created=utcnow().astimezone(BISHKEK),
        base_url=current_app.config["BASE_URL"],
        progress=progress,
        on_total=count,
        row_sources=lambda name: performance if name == PERFORMANCE.name else None,
        dataset_options=options,
        workers=current_app.config["PUBLISH_WORKERS"],
    )
    total = counted[0]
    return path, total


COMMANDS = (publish_command,)
