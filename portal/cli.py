"""The ``portal`` command (also ``flask --app portal …``).

Expected mistakes (a negative count, a busy port, an unreachable database, a missing
secret) end with a one-line message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import sys
import time
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from portal.config import ConfigError


def _cli_app() -> Flask:
    """The application for maintenance commands.

    They serve no requests, so without PORTAL_SECRET_KEY a throwaway random key is used.
    """
    from portal import create_app

    overrides = {}
    if not os.environ.get("PORTAL_SECRET_KEY"):
        overrides["SECRET_KEY"] = secrets.token_hex(32)
    try:
        return create_app(overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _connected_engine():
    from portal.database import check_connection
    from portal.extensions import db

    try:
        check_connection(db.engine)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    return db.engine


def _upgrade_schema() -> None:
    """Create the schema on an empty database, or bring an existing one to the newest."""
    from alembic.util import CommandError

    from portal.schema_upgrade import upgrade_database

    try:
        upgrade_database()
    except (ConfigError, CommandError) as exc:
        raise click.ClickException(str(exc)) from None


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the tables and install the cities, services and categories."""
    from portal.services.reference import install_reference_data

    _connected_engine()
    _upgrade_schema()
    installed = install_reference_data()
    click.echo("Database ready" + (" (reference data installed)." if installed else "."))


@click.command("seed-demo")
@click.option("--appeals", "count", type=click.IntRange(min=0), default=5000, show_default=True,
              help="How many demo appeals to add.")  # fmt: skip
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date the demo history ends (default: today).")  # fmt: skip
@click.option("--append", is_flag=True,
              help="Add demo appeals to a database that already has appeals.")  # fmt: skip
@with_appcontext
def seed_demo_command(count: int, seed: int, today, append: bool) -> None:
    """Add realistic demo appeals (deterministic for a given seed and date)."""
    from sqlalchemy import func, select

    from portal.demo.news import seed_news
    from portal.demo.seeding import seed_demo
    from portal.models import Appeal
    from portal.services.core import work_calendar
    from portal.services.reference import install_reference_data

    engine = _connected_engine()
    _upgrade_schema()
    install_reference_data()
    with engine.connect() as conn:
        existing = conn.scalar(select(func.count()).select_from(Appeal.__table__))
    if existing and not append:
        raise click.ClickException(
            f"The database already has {existing} appeals; nothing was added. "
            "Run with --append to add demo appeals to them."
        )
    started = time.perf_counter()
    day = today.date() if today else date.today()
    with engine.begin() as conn, click.progressbar(length=count, label="Appeals") as bar:
        stats = seed_demo(conn, count, seed=seed, today=day, calendar=work_calendar(),
                          progress=bar.update)  # fmt: skip
        seed_news(conn, day)
    if engine.dialect.name == "postgresql":
        # Fresh statistics: until autovacuum gets to the new rows, the planner takes
        # the tables for empty and some pages' plans take minutes at 1M appeals.
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    elapsed = time.perf_counter() - started
    click.echo(
        f"Added {stats.appeals} appeals, {stats.events} events, {stats.answers} answers, "
        f"{stats.ratings} ratings in {elapsed:.1f} s."
    )


@click.command("search-reindex")
@with_appcontext
def search_reindex_command() -> None:
    """Rebuild the text search index from the published texts (after a bulk import or a
    change of the word-form rules in portal.search_text)."""
    from portal import search_index

    with _connected_engine().begin() as conn:
        count = search_index.rebuild(conn)
    click.echo(f"Indexed the published texts of {count} appeals.")


@click.command("create-staff")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Private: never shown to the public.")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "moderator", "service", "editor"])
)  # models.StaffRole
@click.option("--service", "service_code", default=None, help="Service code (service staff).")
@click.option("--password", default=None, help="At least 10 characters (prompted when omitted).")
@with_appcontext
def create_staff_command(email, name, role, service_code, password) -> None:
    """Create a staff account."""
    from portal.services.core import ServiceError
    from portal.services.reference import create_staff, staff_service

    _connected_engine()
    try:
        staff_service(role, service_code)  # a wrong service fails before the password prompt
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        user = create_staff(email=email, name=name, password=password, role=role,
                            service_code=service_code)  # fmt: skip
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {user.role.value} account {user.email}.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="More than 1 runs gunicorn with that many worker processes.")  # fmt: skip
@click.option("--jobs/--no-jobs", default=True, show_default=True,
              help="Run the job queue's consumer too (--no-jobs when `portal worker` runs).")  # fmt: skip
@with_appcontext
def serve_command(host: str, port: int, workers: int, jobs: bool) -> None:
    """Serve the portal (development server, or gunicorn with --workers > 1)."""
    _ensure_port_free(host, port)
    _connected_engine()
    if workers > 1:
        _exec_gunicorn(host, port, workers, jobs)
    if not os.environ.get("PORTAL_SECRET_KEY"):
        click.echo(
            "Note: PORTAL_SECRET_KEY is not set; this development server signs sessions with "
            "a throwaway key (sessions end when it stops). Production (--workers N, "
            "gunicorn portal.wsgi) refuses to start without it."
        )
    app = current_app._get_current_object()
    if jobs and app.extensions["portal.jobs"].backend != "immediate":
        from portal.jobs import start_in_process

        start_in_process(app)
    click.echo(f"Serving Ачык Шаар on http://{host}:{port}/ (Ctrl+C to stop)")
    # Flask ignores app.run() inside its own CLI, so start Werkzeug's server directly.
    from werkzeug.serving import run_simple

    from portal.security import QuietRequestHandler

    run_simple(host, port, app, use_debugger=app.debug, use_reloader=False, threaded=True,
               request_handler=QuietRequestHandler)  # fmt: skip


def _ensure_port_free(host: str, port: int) -> None:
    """Fail early on a port in use — binding as the servers do (SO_REUSEADDR), so a port
    whose last connections wait in TIME_WAIT after a restart counts as free."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                "(is another server running? try --port)"
            ) from None


def _exec_gunicorn(host: str, port: int, workers: int, jobs: bool) -> None:
    """Replace this process with gunicorn; each worker builds its own app from PORTAL_*.

    With ``jobs``, gunicorn's master also starts ``portal worker`` (portal.gunicorn_hooks).
    """
    if not os.environ.get("PORTAL_SECRET_KEY"):
        raise click.ClickException(
            "PORTAL_SECRET_KEY must be set for several workers (they must share it)"
        )
    gunicorn = shutil.which("gunicorn")
    if gunicorn is None:
        raise click.ClickException("gunicorn is not installed (pip install gunicorn)")
    args = [gunicorn, "--workers", str(workers), "--bind", f"{host}:{port}",
            "--config", "python:portal.gunicorn_hooks", "portal.wsgi:app"]  # fmt: skip
    os.environ["PORTAL_SERVE_JOBS"] = "1" if jobs else "0"
    click.echo(f"Starting gunicorn with {workers} workers on http://{host}:{port}/")
    sys.stdout.flush()
    os.execv(gunicorn, args)


@click.command("worker")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Jobs run at the same time.")  # fmt: skip
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the scheduled jobs (reminders, snapshots…); one worker should.")  # fmt: skip
@with_appcontext
def worker_command(threads: int, periodic: bool) -> None:
    """Run the job queue's consumer: mail, reminders, snapshots… with retries."""
    from portal.jobs import consumer

    _connected_engine()
    app = current_app._get_current_object()
    try:
        runner = consumer(app, threads=threads, periodic=periodic)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Job worker: {threads} threads on the {app.extensions['portal.jobs'].backend} queue"
    )
    runner.run()


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (SQLite: a database file; PostgreSQL: pg_dump's custom format).")  # fmt: skip
@with_appcontext
def backup_command(out: Path) -> None:
    """Write a consistent copy of the database while the portal keeps running."""
    from portal.backup import backup

    engine = _connected_engine()
    try:
        backup(engine, out)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Backed up {engine.url.render_as_string()} to {out} ({out.stat().st_size:,} bytes)."
    )


@click.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(backup_file: Path, yes: bool) -> None:
    """Replace the database's content with BACKUP_FILE (made by `portal backup`)."""
    from portal.backup import restore

    engine = _connected_engine()
    if not yes:
        click.confirm(f"Replace everything in {engine.url.render_as_string()}?", abort=True)
    try:
        restore(engine, backup_file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {backup_file}.")


COMMANDS = (
    init_db_command,
    seed_demo_command,
    create_staff_command,
    serve_command,
    worker_command,
    backup_command,
    restore_command,
    search_reindex_command,
)


def register_commands(app: Flask) -> None:
    """Make the commands reachable as ``flask --app portal …`` too."""
    for command in COMMANDS:
        app.cli.add_command(command)
    from portal.migration_commands import MigrationCommands

    app.cli.add_command(MigrationCommands())
    for extra in _extra_commands():
        app.cli.add_command(extra)


def _extra_commands() -> list[click.Command]:
    """Commands contributed by other modules (publish, remind, import…)."""
    from importlib import import_module

    found = []
    for module_name in (
        "portal.datasets.commands",
        "portal.staff.commands",
        "portal.alerts.commands",
        "portal.integrations.commands",
        "portal.performance_commands",
    ):
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        found.extend(getattr(module, "COMMANDS", ()))
    return found


cli = FlaskGroup(
    name="portal",
    create_app=_cli_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="Ачык Шаар (Open City) portal: set up, seed, serve and publish.",
)


def main() -> None:
    """Entry point of the ``portal`` console script."""
    cli.main(prog_name="portal")
