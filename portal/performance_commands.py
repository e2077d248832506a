"""``portal performance-rebuild [--check]``: the service-performance summary tables."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("performance-rebuild")
@click.option("--check", is_flag=True,
              help="Only compare the tables with a full recount; exit 1 when they differ.")  # fmt: skip
@with_appcontext
def performance_rebuild_command(check: bool) -> None:
    """Recount the service-performance summary tables from every appeal (after a bulk
    import), or with --check report how they differ from a recount."""
    from portal import performance_cells
    from portal.cli import _connected_engine

    engine = _connected_engine()
    if check:
        with engine.connect() as conn:
            problems = performance_cells.drift(conn)
        for line in problems[:20]:
            click.echo(line)
        if problems:
            raise click.ClickException(f"{len(problems)} rows differ from a full recount.")
        click.echo("The performance tables agree with a full recount.")
        return
    with engine.begin() as conn:
        rows = performance_cells.rebuild(conn)
    click.echo("Rebuilt " + ", ".join(f"{table} ({n} rows)" for table, n in rows.items()) + ".")


COMMANDS = (performance_rebuild_command,)
