"""news photos: a news item may carry one photo (a ``photos`` row with ``news_item_id``
instead of an appeal), described for people who cannot see it in ru, ky and en.

Revision ID: da9606bd1ccb
Revises: f4a1c2e9b7d3
Create Date: 2026-12-05 23:58:03.547685
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "da9606bd1ccb"
down_revision = "f4a1c2e9b7d3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("news_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_alt_ru", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("photo_alt_ky", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("photo_alt_en", sa.String(length=300), nullable=True))

    # The foreign key unnamed, as create_all makes it. SQLite adds a column with its
    # REFERENCES clause in place (no copy of the photos' bytes; batch mode would want a
    # name); PostgreSQL names it photos_news_item_id_fkey, as create_all does.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE photos ADD COLUMN news_item_id INTEGER REFERENCES news_items (id)")
    else:
        op.add_column(
            "photos",
            sa.Column("news_item_id", sa.Integer(), sa.ForeignKey("news_items.id"), nullable=True),
        )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_news_item_id"), ["news_item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        # (the column's foreign key goes with it, on both databases)
        batch_op.drop_index(batch_op.f("ix_photos_news_item_id"))
        batch_op.drop_column("news_item_id")

    with op.batch_alter_table("news_items", schema=None) as batch_op:
        batch_op.drop_column("photo_alt_en")
        batch_op.drop_column("photo_alt_ky")
        batch_op.drop_column("photo_alt_ru")
