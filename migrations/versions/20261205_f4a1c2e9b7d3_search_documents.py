"""Full-text search of the published texts: search_documents, indexed per database
(SQLite FTS5 with triggers, PostgreSQL GIN on to_tsvector('simple', tokens)), backfilled.

The backfill uses the portal's token rules (portal.search_text, via portal.search_index):
the index must hold the tokens the running portal queries with, so it takes today's rules,
not a copy frozen here (a later change of the rules re-indexes: ``portal search-reindex``).

Revision ID: f4a1c2e9b7d3
Revises: f4a1c2b7e9d0
Create Date: 2026-12-05 17:10:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f4a1c2e9b7d3"
down_revision = "f4a1c2b7e9d0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from portal import search_index

    op.create_table(
        "search_documents",
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["appeal_id"], ["appeals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("appeal_id"),
    )
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for statement in search_index.SQLITE_CREATE:
            op.execute(statement)
    else:
        op.execute(
            "CREATE INDEX ix_search_documents_tsv ON search_documents "
            "USING gin (to_tsvector('simple', tokens))"
        )
    search_index.rebuild(connection)


def downgrade() -> None:
    from portal import search_index

    if op.get_bind().dialect.name == "sqlite":
        for statement in search_index.SQLITE_DROP:
            op.execute(statement)
    else:
        op.drop_index("ix_search_documents_tsv", table_name="search_documents")
    op.drop_table("search_documents")
