"""``portal backup`` and ``portal restore``: a round trip on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Appeal, StatusEvent


def state() -> tuple:
    db.session.expire_all()
    return (
        sorted(db.session.scalars(select(Appeal.public_id))),
        db.session.scalar(select(func.count(StatusEvent.id))),
    )


def test_backup_then_restore_gives_back_the_backed_up_state(runner, make_appeal, tmp_path):
    from portal.queries.search import ranked_ids

    bench_id = make_appeal(public_text="Сломанная скамейка").id
    make_appeal(status="submitted")
    db.session.commit()
    before = state()
    out = tmp_path / "backups" / "portal.backup"
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert out.stat().st_size > 0

    make_appeal()  # life goes on…
    doomed = db.session.scalars(select(Appeal)).first()
    doomed.status = "closed"
    db.session.commit()
    db.session.remove()
    assert state() != before
    db.session.remove()  # a restore replaces tables: nothing may hold them

    result = runner.invoke(args=["restore", str(out), "--yes"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    db.session.remove()
    assert state() == before
    assert db.session.scalar(select(func.count()).where(Appeal.status == "closed")) == 0
    assert ranked_ids("скамейки") == [bench_id]  # the search index came back whole


def test_restore_asks_before_replacing_everything(runner, make_appeal, tmp_path):
    out = tmp_path / "portal.backup"
    assert runner.invoke(args=["backup", "--out", str(out)]).exit_code == 0
    make_appeal()
    db.session.commit()
    db.session.remove()
    result = runner.invoke(args=["restore", str(out)], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    db.session.remove()
    assert db.session.scalar(select(func.count(Appeal.id))) == 1


def test_restore_of_a_missing_file_is_one_clear_line(runner, tmp_path):
    result = runner.invoke(args=["restore", str(tmp_path / "nothing.backup"), "--yes"])
    assert result.exit_code == 1
    assert "no backup file" in result.output and "Traceback" not in result.output
