"""``/healthz`` (the process answers) and ``/readyz`` (what the portal depends on, checked).

Load balancers restart on a failing liveness check, so ``/healthz`` checks nothing but the
process. ``/readyz`` checks the database (503 when it cannot be reached: no request could
be served), Redis (an accelerator: "down" only degrades) and the job queue (reachable,
how many jobs wait, when a worker was last seen).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from portal.database import check_connection
from portal.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers requests."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Readiness: database, Redis and the job queue as they really are right now."""
    from portal import jobs
    from portal.redis_link import redis_state

    checks = {"database": _database_state(), "redis": redis_state(), "queue": jobs.queue_state()}
    if checks["database"] != "ok":
        status, code = "unavailable", 503
    elif checks["redis"] == "down" or checks["queue"]["state"] != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    response = jsonify(status=status, **checks)
    response.headers["Cache-Control"] = "no-store"
    return response, code


def _database_state() -> str:
    try:
        check_connection(db.engine)
    except Exception as exc:  # noqa: BLE001 - any failure means the database is not there
        current_app.logger.warning("readiness: %s", exc)
        return "down"
    return "ok"
