"""``portal db …``: Flask-Migrate's commands, without Alembic in a web worker.

The group is registered with the application's commands in ``create_app``; Flask-Migrate
and Alembic (~8 MB of a process) are imported only when one of its commands runs.
"""

from __future__ import annotations

import click
from flask import current_app, g
from flask.cli import with_appcontext

from portal.config import ConfigError


class MigrationCommands(click.Group):
    """``portal db …``: Flask-Migrate's commands, imported (with Alembic) only when one runs.

    Its ``upgrade`` also adopts a pre-migration database. The group's options are
    Flask-Migrate's group's; it binds Flask-Migrate to the application first
    (``portal.schema_upgrade.migrate``).
    """

    def __init__(self) -> None:
        options = [
            click.Option(["-d", "--directory"], default=None,
                         help='Migration script directory (default is "migrations")'),
            click.Option(["-x", "--x-arg"], multiple=True,
                         help="Additional arguments consumed by custom env.py scripts"),
        ]  # fmt: skip
        super().__init__("db", params=options, help="Perform database migrations.",
                         callback=with_appcontext(_bind_migrate))  # fmt: skip
        self._loaded: dict[str, click.Command] | None = None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._migration_commands())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._migration_commands().get(name)

    def _migration_commands(self) -> dict[str, click.Command]:
        if self._loaded is None:
            from flask_migrate.cli import db as alembic_group

            self._loaded = dict(alembic_group.commands)
            self._loaded["upgrade"] = _adopting_upgrade(alembic_group.commands["upgrade"])
        return self._loaded


def _bind_migrate(directory: str | None, x_arg: tuple[str, ...]) -> None:
    from portal.schema_upgrade import migrate

    migrate(current_app)
    g.directory, g.x_arg = directory, x_arg  # read by Flask-Migrate's commands, as its group does


def _adopting_upgrade(original: click.Command) -> click.Command:
    """Flask-Migrate's ``upgrade``, which first recognises a pre-migration database."""

    @click.pass_context
    def upgrade(ctx: click.Context, directory: str | None, sql: bool, **options) -> None:
        if not sql:
            _adopt_unversioned_database(directory or g.directory)
        ctx.invoke(original, directory=directory, sql=sql, **options)

    return click.Command(
        "upgrade",
        params=original.params,
        callback=upgrade,
        help="Upgrade to a later version (a database made before migrations is "
        "recognised as the baseline).",
    )


def _adopt_unversioned_database(directory: str | None) -> None:
    from portal.cli import _connected_engine
    from portal.schema_upgrade import adopt_unversioned_database, migrate

    _connected_engine()
    try:
        if adopt_unversioned_database(migrate().get_config(directory)):
            click.echo("Recognised a database made before migrations: stamped at the baseline.")
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
