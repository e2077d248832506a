"""Schema migrations: models and revisions agree, every kind of database upgrades safely.

Each test gets a new, empty database (its own schema on PostgreSQL), because these tests
create, stamp and drop the migration history itself.
"""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from portal.extensions import db
from portal.models import Appeal, Category, Service
from portal.schema_upgrade import migrate, upgrade_database
from portal.search_index import FTS_TABLES


@pytest.fixture
def database_url(new_database_url) -> str:
    return new_database_url()


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate().get_config())


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def not_the_fts_tables(name, type_, parent_names) -> bool:
    """SQLite's FTS5 search table is no model (portal.search_index; as migrations/env.py)."""
    return not (type_ == "table" and name in FTS_TABLES)


def differences_from(metadata: sa.MetaData) -> list:
    """What `portal db migrate` would write to make the database match ``metadata``."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": not_the_fts_tables}
        )
        return compare_metadata(context, metadata)


def test_revisions_form_one_line(make_app):
    """Two revisions written in parallel on one parent must be merged before they land."""
    with make_app().app_context():
        script = scripts()
        assert len(script.get_bases()) == 1
        assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}"


def test_migrations_build_exactly_the_models(make_app):
    with make_app().app_context():
        upgrade_database()
        assert differences_from(db.metadata) == []
        # The comparison is not blind: a column the revisions lack is reported.
        models = sa.MetaData()
        for table in db.metadata.sorted_tables:
            table.to_metadata(models)
        models.tables["appeals"].append_column(sa.Column("not_a_column", sa.String(40)))
        [(operation, *_, column)] = differences_from(models)
        assert (operation, column.name) == ("add_column", "not_a_column")


def test_downgrading_the_baseline_leaves_an_empty_database(make_app):
    from alembic import command

    with make_app().app_context():
        upgrade_database()
        command.downgrade(migrate().get_config(), "base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        assert current_revision() is None
        upgrade_database()  # and back: nothing was left behind that gets in the way
        assert current_revision() == scripts().get_current_head()


def reflected_schema() -> dict:
    """Everything the database reports about its tables (the version table aside)."""
    inspector = inspect(db.engine)
    schema = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version", *FTS_TABLES}):
        schema[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ],
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (fk["name"] or "", fk["constrained_columns"], fk["referred_table"])
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], i["column_names"], bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"] or "", u["column_names"])
                for u in inspector.get_unique_constraints(table)
            ),
            "checks": sorted(
                (c["name"] or "", c["sqltext"]) for c in inspector.get_check_constraints(table)
            ),
        }
    return schema


def test_migrated_database_is_the_one_create_all_made(make_app, new_database_url):
    """Why a pre-migration database may be stamped at the baseline: nothing differs."""
    with make_app().app_context():
        upgrade_database()
        migrated = reflected_schema()
    with make_app(DATABASE_URL=new_database_url()).app_context():
        db.create_all()
        created = reflected_schema()
    assert len(migrated) == len(db.metadata.tables)
    assert migrated == created


def rows_of_every_table(columns: dict[str, list[str]] | None = None) -> dict[str, list]:
    """Every row, of the columns the database has (or of ``columns`` per table)."""
    tables = sa.MetaData()
    tables.reflect(db.engine)
    with db.engine.connect() as connection:
        return {
            name: connection.execute(
                select(*(table.c[c] for c in (columns or {}).get(name, table.c.keys()))).order_by(
                    *table.primary_key.columns
                )
            ).all()
            for name, table in tables.tables.items()
            if name != "alembic_version"
        }


def make_pre_migration_database(make_appeal, make_answer) -> None:
    """What today's `portal init-db` + `portal seed-demo` left: tables, rows, no history."""
    from alembic import command

    make_answer(make_appeal(contact={"email": "resident@example.kg"}))
    make_appeal(city="osh", status="submitted")
    db.session.remove()
    command.downgrade(migrate().get_config(), scripts().get_base())  # the schema of those days
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))


def test_pre_migration_database_is_adopted_keeping_every_row(app, make_appeal, make_answer):
    make_pre_migration_database(make_appeal, make_answer)
    before = rows_of_every_table()
    assert current_revision() is None

    result = app.test_cli_runner().invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert "Recognised a database made before migrations" in result.output
    assert current_revision() == scripts().get_current_head()
    kept = {name: list(rows[0]._fields) for name, rows in before.items() if rows}
    after = rows_of_every_table(kept)  # later revisions add columns and tables, keep rows
    assert {name: after[name] for name in before} == before
    assert len(before["appeals"]) == 2 and before["answers"] and before["contacts"]
    # Running it again is an ordinary upgrade with nothing to do.
    again = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert again.exit_code == 0 and "Recognised" not in again.output


@pytest.mark.parametrize(
    "alteration",
    ["CREATE TABLE notes (id INTEGER PRIMARY KEY)", "ALTER TABLE contacts DROP COLUMN phone"],
    ids=["unknown table", "missing column"],
)
def test_tables_unlike_the_baseline_are_refused_untouched(
    app, make_appeal, make_answer, alteration
):
    make_pre_migration_database(make_appeal, make_answer)
    with db.engine.begin() as connection:
        connection.execute(text(alteration))
    tables_before = set(inspect(db.engine).get_table_names())

    for command in (["db", "upgrade"], ["init-db"]):
        result = app.test_cli_runner().invoke(args=command)
        assert result.exit_code == 1, result.output
        [line] = result.output.strip().splitlines()
        assert line.startswith("Error: the database has tables but no migration history")
        assert "notes" in line or "contacts" in line

    assert set(inspect(db.engine).get_table_names()) == tables_before  # no alembic_version
    assert current_revision() is None


def test_init_db_on_an_empty_database_runs_the_migrations(make_app, monkeypatch):
    app = make_app()
    monkeypatch.setattr(db, "create_all", lambda *a, **k: pytest.fail("create_all was used"))
    with app.app_context():
        first = app.test_cli_runner().invoke(args=["init-db"])
        assert first.exit_code == 0, first.output
        assert "reference data installed" in first.output
        second = app.test_cli_runner().invoke(args=["init-db"])
        assert second.exit_code == 0, second.output
        assert "reference data installed" not in second.output
        assert current_revision() == scripts().get_current_head()
        assert db.session.scalar(select(func.count(Service.id))) == 27
        assert db.session.scalar(select(func.count(Category.id))) == 60


def test_seed_demo_on_an_empty_database_runs_the_migrations(make_app):
    """The README's quick start: `portal seed-demo` on a fresh machine."""
    app = make_app()
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["seed-demo", "--appeals", "20", "--today", "2026-11-22"]
        )
        assert result.exit_code == 0, result.output
        assert current_revision() == scripts().get_current_head()
        assert db.session.scalar(select(func.count(Appeal.id))) == 20


LATER_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "later"
down_revision = {head!r}


def upgrade():
    # SQLite cannot change a column's type: batch mode copies the table and swaps it in.
    with op.batch_alter_table("appeals") as batch_op:
        batch_op.alter_column("extension_reason", type_=sa.String(500))
"""


def test_a_later_revision_can_rebuild_a_table_other_rows_reference(
    app, make_appeal, make_answer, tmp_path
):
    """Rebuilding `appeals` on SQLite must neither fail on nor cascade to its answers."""
    make_answer(make_appeal())
    before = rows_of_every_table()
    directory = tmp_path / "migrations"
    shutil.copytree(migrate().directory, directory)
    head = scripts().get_current_head()
    (directory / "versions" / "later.py").write_text(LATER_REVISION.format(head=head))
    db.session.remove()

    result = app.test_cli_runner().invoke(args=["db", "upgrade", "-d", str(directory)])

    assert result.exit_code == 0, result.output
    column = {c["name"]: c for c in inspect(db.engine).get_columns("appeals")}
    assert str(column["extension_reason"]["type"]) == "VARCHAR(500)"
    assert rows_of_every_table() == before
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_search_revision_indexes_the_published_texts_already_there(
    app, make_appeal, make_answer
):
    """Issue 18: upgrading a database with appeals backfills the search index from the
    published texts (an appeal's and its answers'), and only from them."""
    from alembic import command

    from portal.models import SearchDocument
    from portal.queries.search import ranked_ids

    pothole = make_appeal(text="Ямы у дома Жумабекова", public_text="Ямы у дома [имя скрыто]")
    make_answer(pothole, text="Засыпали щебнем")
    make_appeal(status="submitted", text="Ямы во дворе")  # not published: not indexed
    pothole_id = pothole.id
    db.session.remove()
    config = migrate().get_config()
    command.downgrade(config, "d330c14f086e")
    assert "search_documents" not in inspect(db.engine).get_table_names()

    command.upgrade(config, "head")

    assert ranked_ids("яма") == [pothole_id]
    assert ranked_ids("засыпать") == [pothole_id]  # the answer's "засыпали"
    tokens = db.session.scalars(select(SearchDocument.tokens)).all()
    assert len(tokens) == 1 and "жумабек" not in tokens[0]


def test_upgrading_forgets_the_uploads_of_videos_already_re_encoded(app, make_appeal):
    """Uploads that earlier versions kept after re-encoding (GPS atom and all) are emptied
    by the upgrade; a video still waiting for its job keeps its upload."""
    from alembic import command

    from portal.models import Video, VideoState

    appeal = make_appeal()
    for number, state in enumerate(VideoState):
        db.session.add(Video(public_id=f"{number:032d}", appeal_id=appeal.id, state=state,
                             private_raw=b"\xa9xyz upload"))  # fmt: skip
    db.session.commit()
    db.session.remove()
    config = migrate().get_config()
    command.downgrade(config, "b8d41f6c2a90")  # the revision before
    command.upgrade(config, "head")

    kept = dict(db.session.execute(select(Video.state, Video.private_raw)).all())
    assert kept.pop(VideoState.PROCESSING) == b"\xa9xyz upload"
    assert set(kept.values()) == {b""} and len(kept) == len(VideoState) - 1
