"""Forget the uploads of videos already re-encoded or refused (they may carry a GPS point).

From this version on the job empties ``videos.private_raw`` once it has re-encoded or
refused the upload; this clears the uploads kept by earlier versions. Only videos still
waiting for their job keep theirs. The downgrade cannot bring them back.

Revision ID: 5d2c8b7e1f43
Revises: b8d41f6c2a90
Create Date: 2026-12-06 04:45:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d2c8b7e1f43"
down_revision = "b8d41f6c2a90"
branch_labels = None
depends_on = None


def upgrade() -> None:
    videos = sa.table(
        "videos", sa.column("state", sa.String), sa.column("private_raw", sa.LargeBinary)
    )
    op.execute(videos.update().where(videos.c.state != "processing").values(private_raw=b""))


def downgrade() -> None:
    """Nothing to undo: the forgotten uploads are gone."""
