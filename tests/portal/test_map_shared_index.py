"""The map index shared on disk by the workers of a host (portal.queries.map_index_store):
a new worker maps it instead of building, one worker builds, the others follow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from portal.extensions import db
from portal.queries import map_index_cache
from portal.queries.map_index_cache import IndexHolder
from portal.queries.map_index_store import IndexStore


def worker(store: IndexStore) -> IndexHolder:
    """One worker's holder, checking freshness on every request (as tests do)."""
    return IndexHolder(db.engine, refresh_seconds=0, sync=True, store=store)


@pytest.fixture
def store(app, tmp_path) -> IndexStore:
    return IndexStore(tmp_path / "map-index", source=str(db.engine.url))


@pytest.fixture
def no_building(monkeypatch):
    """Make reading the appeals table an error: whatever answers must come from disk."""

    def refuse(*args, **kwargs):
        raise AssertionError("the index was built, not mapped from the shared folder")

    monkeypatch.setattr(map_index_cache, "build_index", refuse)
    monkeypatch.setattr(map_index_cache, "refresh_index", refuse)


def test_a_new_worker_maps_the_shared_index_instead_of_building(
    app, make_appeal, store, monkeypatch
):
    made = [make_appeal() for _ in range(3)]
    first = worker(store).get()
    assert first.size == 3
    monkeypatch.setattr(map_index_cache, "build_index", None)  # would fail if called
    monkeypatch.setattr(map_index_cache, "refresh_index", None)
    second = worker(store).get()
    assert isinstance(second.ids, np.memmap)  # read from the files, shared page cache
    assert sorted(second.ids.tolist()) == sorted(a.id for a in made)
    assert second.version == first.version
    assert second.names == first.names and second.fk_codes == first.fk_codes


def test_after_a_change_one_worker_builds_and_the_other_maps_its_result(
    app, make_appeal, store, monkeypatch
):
    make_appeal()
    a, b = worker(store), worker(store)
    assert a.get().size == 1 and b.get().size == 1
    make_appeal()
    assert a.get().size == 2  # a notices the change, refreshes and shares
    monkeypatch.setattr(map_index_cache, "refresh_index", None)
    monkeypatch.setattr(map_index_cache, "build_index", None)
    assert b.get().size == 2  # b maps a's files
    folders = [p.name for p in store.folder.iterdir() if p.name.startswith("v-")]
    assert len(folders) == 1  # the superseded index was swept


def test_a_stale_shared_index_is_refreshed_on_first_use(app, make_appeal, store):
    make_appeal()
    worker(store).get()
    make_appeal()
    assert worker(store).get().size == 2


def test_an_index_of_another_database_or_a_torn_write_is_never_mapped(
    app, make_appeal, store, tmp_path
):
    make_appeal()
    worker(store).get()
    other = IndexStore(store.folder, source="postgresql://elsewhere/other")
    assert other.load() is None
    (store.folder / ".tmp-v-crashed").mkdir()  # a build killed half-way
    current = store.current.resolve()
    (current / "ids.npy").write_bytes(b"not an array")
    assert store.load() is None  # unreadable: the worker builds instead
    make_appeal()
    assert worker(store).get().size == 2
    assert not (store.folder / ".tmp-v-crashed").exists()


def test_map_api_answers_from_the_shared_index(app, client, make_appeal, store, monkeypatch):
    made = make_appeal(lat=42.87, lon=74.6)
    worker(store).get()
    monkeypatch.setitem(app.extensions, "portal_map_index", worker(store))
    monkeypatch.setattr(map_index_cache, "build_index", None)
    monkeypatch.setattr(map_index_cache, "refresh_index", None)
    response = client.get("/api/v1/map?bbox=74.48,42.80,74.72,42.93&zoom=17")
    assert response.status_code == 200
    data = response.get_json()
    assert data["meta"]["total"] == 1
    assert data["features"][0]["properties"]["id"] == made.public_id


def test_sharing_is_on_by_default_outside_tests_and_can_be_turned_off(app, tmp_path):
    app.testing = False
    app.config["MAP_INDEX_DIR"] = ""  # the tests' default points into tmp_path
    try:
        store = map_index_cache._store(app)
        assert store.folder == Path(app.instance_path) / "map-index"
        assert store is not None and store.folder.name == "map-index"
        app.config["MAP_INDEX_DIR"] = "off"
        assert map_index_cache._store(app) is None
        app.config["MAP_INDEX_DIR"] = str(tmp_path / "shared")
        assert map_index_cache._store(app).folder == tmp_path / "shared"
    finally:
        app.testing = True


def test_the_index_is_read_a_chunk_at_a_time_and_on_postgresql_by_a_server_side_cursor(
    app, make_appeal, monkeypatch
):
    """Reading 1M appeals at once kept ~400 MB in a worker (libpq's copy of the result):
    the rows come FETCH_ROWS at a time, none lost between chunks."""
    from portal.queries import map_index_load

    ids = {make_appeal().id for _ in range(5)}
    monkeypatch.setattr(map_index_load, "FETCH_ROWS", 2)
    names = []
    if db.engine.dialect.name == "postgresql":
        import psycopg

        cursor = psycopg.Connection.cursor
        monkeypatch.setattr(
            psycopg.Connection, "cursor",
            lambda self, *args, **kwargs: names.append(kwargs.get("name")) or cursor(self, *args, **kwargs),
        )  # fmt: skip
    index = map_index_load.build_index(db.engine)
    assert set(index.ids.tolist()) == ids
    if db.engine.dialect.name == "postgresql":
        assert "map_index" in names  # a named cursor is PostgreSQL's server-side one
