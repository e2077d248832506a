"""PostgreSQL's search postings: search_terms (token, appeal id), kept in step with
search_documents by statement triggers and filled from the documents already stored; the
GIN index it replaces goes. On SQLite the table is created and stays empty (FTS5 does
this part there).

Why: a GIN index cannot return the ids it matches without visiting every hit's document,
so a common word cost ~60,000 heap pages per search at 1M appeals; the postings' primary
key answers it alone (portal.search_index).

Revision ID: e7b2d4c6a8f1
Revises: 9f3a6c1d2b74
Create Date: 2026-12-06 20:20:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e7b2d4c6a8f1"
down_revision = "9f3a6c1d2b74"
branch_labels = None
depends_on = None

GIN_INDEX = "ix_search_documents_tsv"


def upgrade() -> None:
    from portal import search_index

    columns = (sa.Column("term", sa.Text(), nullable=False),
               sa.Column("appeal_id", sa.Integer(), autoincrement=False, nullable=False))  # fmt: skip
    if op.get_bind().dialect.name == "sqlite":
        op.create_table("search_terms", *columns, sa.PrimaryKeyConstraint("term", "appeal_id"))
        return
    # Filled in key order before the key exists: building it once is far quicker.
    op.create_table("search_terms", *columns)
    op.execute(search_index.PG_FILL)
    op.create_primary_key("search_terms_pkey", "search_terms", ["term", "appeal_id"])
    for statement in search_index.PG_CREATE:
        op.execute(statement)
    op.drop_index(GIN_INDEX, table_name="search_documents")
    with op.get_context().autocommit_block():
        # The visibility map lets the first searches read the key alone.
        op.execute("VACUUM ANALYZE search_terms")


def downgrade() -> None:
    from portal import search_index

    if op.get_bind().dialect.name != "sqlite":
        for statement in search_index.PG_DROP:
            op.execute(statement)
        op.execute(
            f"CREATE INDEX {GIN_INDEX} ON search_documents "
            "USING gin (to_tsvector('simple', tokens))"
        )
    op.drop_table("search_terms")
