"""Warming a new process up before its first request (``portal.wsgi``, each worker).

The first /performance request of a process would otherwise pay for what every later one
finds ready: compiling the Jinja templates, loading Babel's locale data, SQLAlchemy's
compiled statements, the number formats of the figures. ``warm_up`` renders the page of
the default window once per interface language — the figures computed from the summary
tables but not cached, so that the first request of a filter still computes its own —
and compiles the other performance templates. It never stops the app from starting: a
database not reachable yet is logged and left to the first request.
"""

from __future__ import annotations

import time

from flask import Flask

#: Templates compiled without rendering (the page and its figures are rendered).
COMPILED = ("performance/card.html", "performance/about.html")


def warm_up(app: Flask) -> None:
    """Render /performance of the default window in every language, uncached."""
    from portal.extensions import db
    from portal.public.performance import _today, render_page
    from portal.queries.performance import compute_performance_set
    from portal.queries.reference import load_reference
    from portal.schemas.performance import parse_performance_query

    started = time.perf_counter()
    try:
        for name in COMPILED:
            app.jinja_env.get_template(name)
        with app.app_context():
            ref = load_reference()
            query = parse_performance_query({}, today=_today(), cities=tuple(ref.cities))
            result = compute_performance_set(query.window_start, query.window_end)
            for language in app.config["LANGUAGES"]:
                with app.test_request_context(f"/performance?lang={language}"):
                    render_page(query, result, ref, {}, cached=False)
            db.session.remove()
    except Exception:  # noqa: BLE001 - a warm-up failure is no reason not to serve
        app.logger.warning("warm-up of /performance failed", exc_info=True)
    finally:
        with app.app_context():
            db.engine.dispose()  # no connection crosses a fork (gunicorn --preload)
    app.logger.info("warm-up of /performance: %.0f ms", (time.perf_counter() - started) * 1000)
