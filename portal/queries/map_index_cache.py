"""Keeping one map index per application process, fresh.

Freshness: a cheap data version (highest appeal id and highest status event id — every
transition writes an event) is checked at most every ``MAP_INDEX_REFRESH_SECONDS``
(default 5). When it changed, the index is rebuilt in a background thread while requests
keep using the previous one; in TESTING (or with ``MAP_INDEX_SYNC``) the check and
rebuild happen in the request, so tests see their writes at once. A process's first
request starts the first build in the background (``MAP_INDEX_WARMUP``, default on).
"""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app
from sqlalchemy import Engine

from portal.extensions import db
from portal.queries.map_index import PointIndex
from portal.queries.map_index_load import build_index, data_version, refresh_index

log = logging.getLogger("portal.map_index")


class IndexHolder:
    """The current PointIndex of one application, refreshed when the data changes."""

    def __init__(self, engine: Engine, refresh_seconds: float, sync: bool) -> None:
        self.engine = engine
        self.refresh_seconds = refresh_seconds
        self.sync = sync
        self._index: PointIndex | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def get(self) -> PointIndex:
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    self._index = build_index(self.engine)
                    self._checked = time.monotonic()
                return self._index
        if time.monotonic() - self._checked >= self.refresh_seconds:
            if self.sync:
                with self._lock:
                    self._refresh()
            else:
                self._refresh_in_background()
        return self._index

    def _refresh(self) -> None:
        self._checked = time.monotonic()
        with self.engine.connect() as conn:
            version = data_version(conn)
        if self._index is None:
            self._index = build_index(self.engine)
        elif version != self._index.version:
            self._index = refresh_index(self.engine, self._index)

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._worker is not None and self._worker.is_alive():
                return
            self._checked = time.monotonic()  # one check at a time
            self._worker = threading.Thread(target=self._refresh_quietly, daemon=True)
            self._worker.start()

    def _refresh_quietly(self) -> None:
        try:
            self._refresh()
        except Exception:  # noqa: BLE001 - keep serving the previous index
            log.exception("map index refresh failed")

    def _warm(self) -> None:
        try:
            self.get()
        except Exception:  # noqa: BLE001 - the first request will build and report it
            log.exception("map index warm-up failed")

    def invalidate(self) -> None:
        """Force a check on the next request (tests and write paths may call it)."""
        self._checked = 0.0


def _holder(app) -> IndexHolder:
    holder = app.extensions.get("portal_map_index")
    if holder is None:
        sync = bool(app.config.get("MAP_INDEX_SYNC", app.testing))
        refresh = 0.0 if sync else float(app.config.get("MAP_INDEX_REFRESH_SECONDS", 5))
        holder = IndexHolder(db.engine, refresh_seconds=refresh, sync=sync)
        app.extensions["portal_map_index"] = holder
    return holder


def point_index() -> PointIndex:
    """The current application's index (built on first use)."""
    return _holder(current_app._get_current_object()).get()


def warm_up() -> None:
    """Start building the index in the background at a process's first request, so the
    map's first API call does not wait the whole build (off in TESTING)."""
    app = current_app._get_current_object()
    if app.testing or not app.config.get("MAP_INDEX_WARMUP", True):
        return
    holder = _holder(app)
    if holder._index is None and holder._worker is None:
        with holder._lock:
            if holder._worker is None:
                holder._worker = threading.Thread(target=holder._warm, daemon=True)
                holder._worker.start()
