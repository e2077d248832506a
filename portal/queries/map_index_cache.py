"""Keeping one map index per application process, fresh.

Freshness: a cheap data version (highest appeal id and highest status event id — every
transition writes an event) is checked at most every ``MAP_INDEX_REFRESH_SECONDS``
(default 5). When it changed, the index is rebuilt in a background thread while requests
keep using the previous one; in TESTING (or with ``MAP_INDEX_SYNC``) the check and
rebuild happen in the request, so tests see their writes at once. A process's first
request starts the first build in the background (``MAP_INDEX_WARMUP``, default on).

With a shared folder (``MAP_INDEX_DIR``; by default ``instance/map-index`` outside
TESTING) the workers of a host share one index on disk (``map_index_store``): a new
worker maps the current files instead of building, and one worker at a time builds.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import Engine

from portal.extensions import db
from portal.queries.map_index import PointIndex
from portal.queries.map_index_load import build_index, data_version, refresh_index
from portal.queries.map_index_store import IndexStore

log = logging.getLogger("portal.map_index")


class IndexHolder:
    """The current PointIndex of one application, refreshed when the data changes."""

    def __init__(
        self, engine: Engine, refresh_seconds: float, sync: bool, store: IndexStore | None = None
    ) -> None:
        self.engine = engine
        self.store = store
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
                    self._index = self._first_index()
                return self._index
        if time.monotonic() - self._checked >= self.refresh_seconds:
            if self.sync:
                with self._lock:
                    self._refresh()
            else:
                self._refresh_in_background()
        return self._index

    def _first_index(self) -> PointIndex:
        """The shared index when there is one (checked for freshness at once in sync mode,
        else at the next interval), else a new build."""
        shared = self.store.load() if self.store is not None else None
        if shared is None:
            self._checked = time.monotonic()
            return self._build(None)
        self._checked = 0.0 if self.sync else time.monotonic()
        self._index = shared
        if self.sync:
            self._refresh()
        return self._index

    def _refresh(self) -> None:
        self._checked = time.monotonic()
        with self.engine.connect() as conn:
            version = data_version(conn)
        if self._index is None or version != self._index.version:
            self._index = self._build(version)

    def _build(self, version: tuple | None) -> PointIndex:
        """The index at ``version`` (None: whatever is current): mapped from the shared
        folder when another worker already built it, else built (refreshed from the newest
        index at hand) and shared."""
        if self.store is None:
            return self._built(self._index)
        with self.store.building():
            shared = self.store.load()
            if shared is not None and (version is None or shared.version == version):
                return shared
            return self.store.save(self._built(shared or self._index))

    def _built(self, base: PointIndex | None) -> PointIndex:
        return build_index(self.engine) if base is None else refresh_index(self.engine, base)

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
        holder = IndexHolder(db.engine, refresh_seconds=refresh, sync=sync, store=_store(app))
        app.extensions["portal_map_index"] = holder
    return holder


def _store(app) -> IndexStore | None:
    """The host's shared index folder: MAP_INDEX_DIR, else instance/map-index; "off" turns
    sharing off, and so does TESTING (each test has its own database)."""
    folder = app.config.get("MAP_INDEX_DIR") or ""
    if folder == "off" or app.testing:
        return None
    source = db.engine.url.render_as_string(hide_password=True)
    return IndexStore(Path(folder or os.path.join(app.instance_path, "map-index")), source)


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
