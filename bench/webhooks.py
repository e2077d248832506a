"""Webhook delivery: attempts, backoff and time per attempt (prints figures).

    python bench/webhooks.py                      # a temporary SQLite database
    python bench/webhooks.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/x
    python bench/webhooks.py --appeals 200 --failures 2

A receiver on 127.0.0.1 answers 500 to the first ``--failures`` attempts of every delivery,
then 200. ``--appeals`` appeals of one city app are published (one outbox row each); the
delivery job (``portal.integrations.webhooks.deliver``) then runs on a simulated clock,
at each due time, until nothing is pending: the figures are the attempts per delivery,
when each attempt happened after the event (PORTAL_WEBHOOK_RETRY_DELAYS), the wall time per
attempt over loopback, and the give-up point of a receiver that never answers 2xx. The
database must be empty (it is filled with the reference data and the appeals).
"""

from __future__ import annotations

import argparse
import http.server
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def receiver(failures: int):
    seen: Counter = Counter()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            delivery = self.headers["X-Portal-Delivery"]
            seen[delivery] += 1
            code = 500 if failures < 0 or seen[delivery] <= failures else 200
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


def run(app, appeals: int, failures: int) -> dict:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.integrations import services
    from portal.integrations.models import ApiClient, WebhookDelivery
    from portal.integrations.webhooks import deliver
    from portal.models import StaffRole, StaffUser, utcnow
    from portal.schemas.appeal import AppealSubmissionSchema
    from portal.services.moderation import publish_appeal
    from portal.services.submission import Origin, submit_appeal

    server, url = receiver(failures)
    slug = f"bench{failures if failures >= 0 else 'x'}"
    admin = db.session.scalars(select(StaffUser).where(StaffUser.role == StaffRole.ADMIN)).first()
    client, _key = services.create_client(admin, {"slug": slug, "name": slug, "contact": "b@x.kg"})
    services.set_webhook(admin, client.id, url)
    moderator = db.session.scalars(
        select(StaffUser).where(StaffUser.role == StaffRole.MODERATOR)
    ).first()
    form = {"city": "bishkek", "category": "pothole", "lat": "42.8746", "lon": "74.6122",
            "description": "Глубокая яма на проезжей части у остановки.", "consent": "y"}  # fmt: skip
    for _ in range(appeals):
        origin = Origin(channel=f"open311:{slug}")
        result = submit_appeal(AppealSubmissionSchema().load(form), [], origin)
        publish_appeal(result.appeal.id, moderator)
    start = utcnow()
    clock, timeline, walls = start, [], []
    while True:
        began = time.perf_counter()
        outcome = deliver(now=clock)
        attempted = sum(outcome.values())
        if attempted:
            walls.append((time.perf_counter() - began) / attempted)
            timeline.append(((clock - start).total_seconds(), outcome))
        db.session.expire_all()
        due = db.session.scalars(
            select(WebhookDelivery.next_attempt_at).where(
                WebhookDelivery.client_id == client.id, WebhookDelivery.delivered_at.is_(None),
                WebhookDelivery.failed_at.is_(None),
            ).order_by(WebhookDelivery.next_attempt_at)
        ).first()  # fmt: skip
        if due is None:
            break
        clock = max(clock, due) + timedelta(seconds=1)
    rows = list(
        db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.client_id == client.id))
    )
    server.shutdown()
    db.session.execute(
        ApiClient.__table__.update().where(ApiClient.id == client.id).values(webhook_url=None)
    )
    db.session.commit()
    return {
        "deliveries": len(rows),
        "states": Counter(row.state for row in rows),
        "attempts": Counter(row.attempts for row in rows),
        "timeline": timeline,
        "ms_per_attempt": statistics.median(walls) * 1000 if walls else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--appeals", type=int, default=100)
    parser.add_argument("--failures", type=int, default=2, help="500s before each 200")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    from portal import create_app
    from portal.extensions import db
    from portal.models import StaffRole, StaffUser
    from portal.services.reference import install_reference_data

    app = create_app({
        "TESTING": True, "SECRET_KEY": "bench-secret-key-0123456789",
        "DATABASE_URL": args.database_url or f"sqlite:///{folder / 'bench.db'}",
        "JOBS_IMMEDIATE": False, "JOBS_DB": str(folder / "jobs.db"),
        "RATE_LIMIT_DB": str(folder / "ratelimits.db"), "CACHE_DIR": str(folder / "cache"), "MAP_INDEX_DIR": str(folder / "map"),
        "SNAPSHOT_DIR": str(folder / "snapshots"), "WEBHOOK_ALLOW_PRIVATE": True,
    })  # fmt: skip
    with app.app_context():
        db.create_all()
        install_reference_data()
        for role in (StaffRole.ADMIN, StaffRole.MODERATOR):
            db.session.add(StaffUser(email=f"{role.value}@bench.kg", private_name=role.value,
                                     password_hash="x", role=role))  # fmt: skip
        db.session.commit()
        delays = [int(d) for d in app.config["WEBHOOK_RETRY_DELAYS"]]
        print(f"WEBHOOK_RETRY_DELAYS = {delays} s; at most {len(delays) + 1} attempts, "
              f"the last {sum(delays)} s ({sum(delays) / 3600:.2f} h) after the first")  # fmt: skip
        for label, failures in ((f"receiver fails {args.failures}× then 200", args.failures),
                                ("receiver never answers 2xx", -1)):  # fmt: skip
            figures = run(app, args.appeals, failures)
            print(f"\n{label}: {figures['deliveries']} deliveries → {dict(figures['states'])}")
            print(f"  attempts per delivery: {dict(figures['attempts'])}")
            for at, outcome in figures["timeline"]:
                print(f"  t = {at:>7.0f} s: {outcome}")
            print(f"  wall time per attempt over loopback (median per run): "
                  f"{figures['ms_per_attempt']:.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
