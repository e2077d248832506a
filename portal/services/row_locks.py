"""Row locks taken before an appeal's state is read, so concurrent use cases serialise.

PostgreSQL locks rows with SELECT … FOR UPDATE (the callers' own queries); SQLite has no
row locks, so ``lock_row`` takes the database's write lock instead.
"""

from __future__ import annotations

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import Appeal


def lock_row(public_id: str) -> None:
    """Serialise concurrent actions on one appeal before its state is read.

    PostgreSQL locks the row with SELECT … FOR UPDATE. SQLite has no row locks: a no-op
    UPDATE as the transaction's first statement takes the database's write lock (waiting
    for another writer to commit), so the state read next is current and two simultaneous
    answers cannot both pass the status check.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(Appeal)
            .where(Appeal.public_id == public_id)
            .values(updated_at=Appeal.updated_at)
            .execution_options(synchronize_session=False)
        )


def lock_rows(*public_ids: str) -> None:
    """Lock several appeals' rows in one order (their public ids'), so that two actions
    locking the same pair from opposite ends wait for each other instead of deadlocking.
    SQLite: ``lock_row`` of the first takes the database's write lock, which covers all."""
    ordered = sorted(set(public_ids))
    if db.session.get_bind().dialect.name == "sqlite":
        lock_row(ordered[0])
        return
    query = select(Appeal.id).where(Appeal.public_id.in_(ordered)).order_by(Appeal.public_id)
    db.session.execute(query.with_for_update()).all()
