"""Benchmark of the public map at city scale (prints figures; not a timed test).

    python bench/map.py --database-url sqlite:////work/benchdb/bench-1m.db
    python bench/map.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench1m
    python bench/map.py --appeals 100000        # seeds a fresh SQLite database first

Prints: the map page's HTML bytes (and the same page for a 1,000-appeal database), the
in-process index build time, the server time of GET /api/v1/map at city (11), district
(14) and street (17) zoom — p50/p95/max over random viewports of a 1280×800 screen — and
the response bytes per view; then the naive alternative, a folium MarkerCluster page with
10,000 appeals embedded, and the ratios; last, bench/map_servers.py: the map API behind 2
gunicorn workers with a new random filter on every request, spatial slices against the
per-filter masks (p95 wall and CPU per zoom). The database is only read.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VIEWPORT = (1280, 800)
ZOOMS = (11, 14, 17)
#: Where people look: Bishkek (most appeals) and Osh, as (lat, lon, weight, spread°).
CENTRES = ((42.8746, 74.6122, 3, 0.04), (40.5283, 72.7985, 1, 0.02))
TARGET_PAGE = 60_000
TARGET_P95_MS = 100
TARGET_BYTES = 150_000


def seed_sqlite(path: Path, appeals: int) -> str:
    """A fresh SQLite demo database with ``appeals`` appeals (through the portal CLI)."""
    url = f"sqlite:///{path}"
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_DEBUG": "1"}
    for command in (["init-db"], ["seed-demo", "--appeals", str(appeals)]):
        subprocess.run(
            [sys.executable, "-c", "from portal.cli import main; main()", *command], env=env, check=True, cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return url


def make_app(url: str, index_dir: str = "off"):
    from portal import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "MAP_INDEX_DIR": index_dir,
            "SECRET_KEY": "benchmark-only-secret-key-0123456789",
            "SERVER_NAME": "bench.local",
            "SESSION_COOKIE_SECURE": False,
        }
    )


def bbox_for(lat: float, lon: float, zoom: int) -> str:
    """The bounding box a VIEWPORT-sized screen shows around (lat, lon) at ``zoom``."""
    world = 256 * 2**zoom
    x = (lon + 180) / 360 * world
    siny = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + siny) / (1 - siny)) / (4 * math.pi)) * world

    def unproject(px: float, py: float) -> tuple[float, float]:
        lon_ = px / world * 360 - 180
        n = math.pi - 2 * math.pi * py / world
        return math.degrees(math.atan(math.sinh(n))), lon_

    half_w, half_h = VIEWPORT[0] / 2, VIEWPORT[1] / 2
    north, west = unproject(x - half_w, y - half_h)
    south, east = unproject(x + half_w, y + half_h)
    return f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}"


#: A new worker process: its first map request, then its memory (RSS, and PSS, where pages
#: mapped by several processes count once in total). Prints one JSON line.
WORKER_PROBE = """
import json, sys, time
sys.path.insert(0, sys.argv[3])
started = time.perf_counter()
from bench.map import make_app
app = make_app(sys.argv[1], sys.argv[2])
client = app.test_client()
ready = time.perf_counter()
status = client.get("/api/v1/map?zoom=11&bbox=74.48,42.80,74.72,42.93&category=pothole").status_code
first = time.perf_counter()
memory = {}
for line in open("/proc/self/smaps_rollup"):
    key, _, value = line.partition(":")
    if key in ("Rss", "Pss"):
        memory[key.lower()] = int(value.split()[0]) // 1024
print(json.dumps({"status": status, "import_s": ready - started, "first_s": first - ready,
                  **memory}))
time.sleep(float(sys.argv[4]))  # stay alive so that the workers' mappings overlap
"""


def new_workers(url: str, index_dir: str, count: int) -> list[dict]:
    """``count`` new worker processes started together, each answering its first request."""
    import json

    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER_PROBE, url, index_dir, str(ROOT), "3"],
                         stdout=subprocess.PIPE, cwd=ROOT, text=True)
        for _ in range(count)
    ]  # fmt: skip
    return [json.loads(proc.communicate()[0].strip().splitlines()[-1]) for proc in procs]


def random_centre(rng: random.Random) -> tuple[float, float]:
    lat, lon, _, spread = rng.choices(CENTRES, weights=[c[2] for c in CENTRES])[0]
    return lat + rng.uniform(-spread, spread), lon + rng.uniform(-spread, spread) * 1.4


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def page_bytes(client) -> int:
    response = client.get("/map")
    assert response.status_code == 200, response.status_code
    return len(response.data)


def bench_map_api(app, requests: int, rng: random.Random, cold: bool = False) -> dict:
    """Map requests over random viewports; ``cold`` empties the per-filter cache first."""
    from portal.queries.map_index_cache import point_index

    client = app.test_client()
    with app.app_context():
        index = point_index()
    results = {}
    for zoom in ZOOMS:
        for label, extra in (("", ""), ("category=pothole", "&category=pothole")):
            times, sizes, modes = [], [], {}
            for _ in range(requests):
                lat, lon = random_centre(rng)
                url = f"/api/v1/map?zoom={zoom}&bbox={bbox_for(lat, lon, zoom)}{extra}"
                if cold:
                    index._cache.clear()
                    index._seen.clear()
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.data[:300]
                sizes.append(len(response.data))
                mode = response.json["meta"]["mode"]
                modes[mode] = modes.get(mode, 0) + 1
            results[(zoom, label)] = {
                "p50": statistics.median(times),
                "p95": percentile(times, 0.95),
                "max": max(times),
                "bytes_mean": statistics.mean(sizes),
                "bytes_max": max(sizes),
                "modes": modes,
            }
    return results


def naive_page(app, n: int) -> tuple[float, int]:
    """Render the naive alternative: a folium MarkerCluster page with ``n`` appeals embedded."""
    import folium
    from folium.plugins import MarkerCluster

    from portal.extensions import db
    from portal.queries.appeals import public_appeals_select, to_record

    with app.app_context():
        started = time.perf_counter()
        rows = db.session.execute(public_appeals_select().limit(n * 2)).all()
        records = [r for r in map(to_record, rows) if r.lat is not None][:n]
        m = folium.Map(location=[42.8746, 74.6122], zoom_start=12)
        cluster = MarkerCluster().add_to(m)
        for record in records:
            folium.Marker(
                location=[record.lat, record.lon],
                popup=folium.Popup(
                    f"{record.public_id} {record.category} {record.status} {record.text or ''}"[
                        :300
                    ]
                ),
            ).add_to(cluster)
        html = m.get_root().render()
        elapsed = time.perf_counter() - started
    return elapsed, len(html.encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an existing (seeded) database; only read")
    parser.add_argument("--appeals", type=int, default=100_000, help="appeals to seed if no URL")
    parser.add_argument("--requests", type=int, default=60, help="map requests per zoom")
    parser.add_argument("--naive", type=int, default=10_000, help="appeals in the naive page")
    parser.add_argument("--no-small", action="store_true", help="skip the 1,000-appeal page")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2, help="new worker processes to start")
    parser.add_argument("--served", type=int, default=200, help="requests per zoom (gunicorn)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    from portal.extensions import db
    from portal.queries.map_index_cache import point_index
    from portal.queries.map_index_load import data_version

    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp:
        url = database_url = args.database_url or seed_sqlite(Path(tmp) / "bench.db", args.appeals)
        shared = str(Path(tmp) / "map-index")
        app = make_app(url, shared)  # the index is shared on disk, as in production
        safe_url = url.split("@")[-1]
        print(f"database: {safe_url}; CPUs: {os.cpu_count()}; load average at start: "
              f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}")  # fmt: skip
        with app.app_context():
            started = time.perf_counter()
            with db.engine.connect() as conn:
                version = data_version(conn)
            version_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            index = point_index()
            build_s = time.perf_counter() - started
        print(f"public appeals in the index: {index.size:,}  (with a point: "
              f"{int(index.has_point.sum()):,})")  # fmt: skip
        print(f"index build (once per process): {build_s:.2f} s; "
              f"data-version check: {version_ms:.0f} ms (every 5 s, in a background thread); "
              f"version {version}")  # fmt: skip

        with app.app_context():
            from dataclasses import replace

            from portal.queries.map_index_load import refresh_index

            last_appeal, last_event = index.version
            older = replace(index, version=(last_appeal - 200, last_event - 2000))
            started = time.perf_counter()
            refreshed = refresh_index(db.engine, older)
            refresh_s = time.perf_counter() - started
        print(f"incremental refresh (last 200 appeals and 3,000 events read again): "
              f"{refresh_s:.2f} s, {refreshed.size:,} appeals")  # fmt: skip

        client = app.test_client()
        big_page = page_bytes(client)
        print(f"map page HTML: {big_page:,} bytes (target ≤ {TARGET_PAGE:,})")
        if not args.no_small:
            small_app = make_app(seed_sqlite(Path(tmp) / "small.db", 1_000))
            small_page = page_bytes(small_app.test_client())
            print(f"map page HTML with 1,000 appeals: {small_page:,} bytes "
                  f"(difference {big_page - small_page:+,} bytes)")  # fmt: skip

        results = bench_map_api(app, args.requests, rng)
        print(f"\n{args.workers} new worker processes at once, first GET /api/v1/map each "
              f"(side by side: the shared on-disk index against each building its own):")  # fmt: skip
        for label, index_dir in (("shared index (mapped)", shared), ("own index (built)", "off")):
            runs = new_workers(url, index_dir, args.workers)
            firsts = ", ".join(f"{r['first_s']:.2f}" for r in runs)
            print(
                f"  {label:<22} first request {firsts} s; RSS {sum(r['rss'] for r in runs)} MB,"
                f" PSS {sum(r['pss'] for r in runs)} MB in total (HTTP "
                f"{sorted({r['status'] for r in runs})}; app start {runs[0]['import_s']:.1f} s)"
            )

        print(f"\nGET /api/v1/map, {args.requests} random {VIEWPORT[0]}×{VIEWPORT[1]} viewports "
              f"per row (server time in process, ms):")  # fmt: skip
        print(f"{'zoom':>4} {'filter':<18} {'p50':>7} {'p95':>7} {'max':>7} "
              f"{'bytes mean':>11} {'bytes max':>10}  modes")  # fmt: skip
        worst_p95 = worst_bytes = 0.0
        for (zoom, label), r in results.items():
            worst_p95 = max(worst_p95, r["p95"])
            worst_bytes = max(worst_bytes, r["bytes_max"])
            print(f"{zoom:>4} {label or '-':<18} {r['p50']:7.1f} {r['p95']:7.1f} {r['max']:7.1f} "
                  f"{r['bytes_mean']:11,.0f} {r['bytes_max']:10,}  {r['modes']}")  # fmt: skip
        ok_time = "OK" if worst_p95 <= TARGET_P95_MS else "OVER"
        ok_bytes = "OK" if worst_bytes <= TARGET_BYTES else "OVER"
        print(
            f"worst p95 {worst_p95:.1f} ms (target ≤ {TARGET_P95_MS}: {ok_time}); "
            f"largest response {worst_bytes:,.0f} bytes (target ≤ {TARGET_BYTES:,}: {ok_bytes})"
        )

        print("\nlists (server time, ms): ", end="")
        for url in (
            "/appeals",
            "/appeals?category=pothole&page=40",
            "/api/v1/appeals?per_page=200",
            "/api/v1/appeals?city=osh&overdue=1",
            "/appeals/BSK-2026-000123",
            "/",
        ):
            times = []
            for _ in range(10):
                started = time.perf_counter()
                status = client.get(url).status_code
                times.append((time.perf_counter() - started) * 1000)
            print(
                f"{url} {statistics.median(times):.0f} (p95 {percentile(times, 0.95):.0f}, "
                f"HTTP {status}); ",
                end="",
            )
        print()

        cold = bench_map_api(app, max(args.requests // 3, 5), rng, cold=True)
        print("\nthe same with the per-filter location cache emptied before every request "
              "(worst case: each request a new filter combination):")  # fmt: skip
        for (zoom, label), r in cold.items():
            print(f"{zoom:>4} {label or '-':<18} {r['p50']:7.1f} {r['p95']:7.1f} {r['max']:7.1f} "
                  f"{r['bytes_mean']:11,.0f} {r['bytes_max']:10,}  {r['modes']}")  # fmt: skip

        print(f"load average now: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
        naive_s, naive_bytes = naive_page(app, args.naive)
        with app.app_context():
            started = time.perf_counter()
            page_bytes(app.test_client())
            ours_s = time.perf_counter() - started
        print(f"\nnaive alternative: folium MarkerCluster page with {args.naive:,} appeals "
              f"embedded: {naive_s:.1f} s to build, {naive_bytes:,} bytes")  # fmt: skip
        print(
            f"this map page: {ours_s * 1000:.0f} ms, {big_page:,} bytes "
            f"(+ one map response of ≤ {worst_bytes:,.0f} bytes per view, for ALL appeals)"
        )
        print(f"ratio naive/ours: {naive_bytes / big_page:.0f}× bytes, "
              f"{naive_s / ours_s:.0f}× time")  # fmt: skip

        from bench.map_servers import side_by_side

        side_by_side(database_url, shared, index.names, args.served, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
