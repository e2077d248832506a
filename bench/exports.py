"""Benchmark of the open-data downloads and ``portal publish`` (prints figures).

    portal seed-demo --appeals 100000                  # with PORTAL_DATABASE_URL set, then:
    python bench/exports.py --database-url sqlite:////work/benchdb/bench-100k.db
    python bench/exports.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python bench/exports.py --appeals 100000           # seed a fresh SQLite first

Measured side by side in one run, over the same rows (the public appeals, all filters off),
for CSV, GeoJSON and Parquet:

* the command-line shell writing the SELECT the portal runs as CSV: ``sqlite3 -csv``
  (SQLite) or ``psql \\copy (…) to stdout csv`` (PostgreSQL), when the binary exists;
* the floor: a bare DBAPI cursor over the same SQL written with ``csv.writer`` (for
  GeoJSON: orjson per feature);
* the real HTTP endpoint ``/datasets/appeals.<fmt>``, served by a fresh server process
  (werkzeug, one process) and read over a socket: rows/s and the server's peak RSS;
* ``portal publish`` of every dataset in every format (wall time, peak RSS).

Rates are shown per wall-clock second and per CPU second of the process doing the work
(the shell, the floor's process, the server): on a shared machine the CPU rates are the
comparable ones — except against ``psql``, whose CPU leaves out the server's work: on
PostgreSQL compare wall time. Each endpoint is shown as a ratio to the shell and to the floor.
Targets (issue 20): CSV and GeoJSON ≥ 1.0 × the shell, server peak RSS ≤ 150 MB.

Measured 2026-12-07 on the seeded 1M databases (977,339 public rows), quiet 2-core machine,
one run per tree, wall seconds (peak RSS MB), before -> after SQLite wrote each row as one
line of SQL literals for Arrow to parse and both databases' text was parsed by the caller
while a thread read ahead (``portal.queries.text_rows``):

- SQLite (shell 12.3-16.4 s): CSV 27.8 (234) -> 19.2 (235), 0.45x -> 0.60x the shell;
  GeoJSON 27.6 (241) -> 23.7-25.3 (243), 0.43x -> 0.49-0.53x; Parquet 25.5 (329) -> 18.2 (343).
- PostgreSQL (psql 13.2-23.9 s): CSV 18.4 (264) -> 18.4 (229); GeoJSON 34.6 (270) -> 24.6
  (236); Parquet 18.9 (351) -> 16.3 (331).

The same code on a quiet machine later that day, median over rounds (wall, endpoint / shell;
server idle 192-193 MB, peak 230-242 MB for CSV and GeoJSON, 330-351 MB for Parquet):

- SQLite, 3 rounds (shell 8.9-11.7 s): CSV 12.9-15.1 s, 0.73x; GeoJSON 13.4-17.4 s, 0.67x;
  Parquet 11.0-13.4 s, 0.86x.
- PostgreSQL, 2 rounds (psql 9.1-10.9 s): CSV 12.1-13.9 s, 0.84x; GeoJSON 15.1-17.3 s, 0.57x;
  Parquet 11.2-11.8 s, 0.87x.

Stop 34 (2026-12-07, new machine, quiet, 977,277 public rows): SQLite reads blocks of
consecutive keys joined by ``group_concat`` (``text_rows.as_line_blocks``), a thread of its
own parses, short text columns are scanned as bytes before any regex, and the answers index
is in order (which also made the shells' SELECT ~1 s faster). Median over rounds:

- SQLite, 2 rounds (shell 8.4-8.9 s): CSV 8.0-8.1 s, 1.06x (was 0.73x); GeoJSON 8.4-8.8 s,
  0.99x (0.96, 1.02; was 0.67x); Parquet 7.4-7.5 s, 1.17x. Server idle 184 MB, peak
  234-235 MB (CSV), 240-246 MB (GeoJSON), 357-360 MB (Parquet).
- PostgreSQL, 1 round (psql 7.5-7.8 s): CSV 9.4 s, 0.83x; GeoJSON 10.7 s, 0.69x; Parquet
  7.8 s, 0.99x; peak 230, 239, 333 MB. ``portal publish``: 44.1 s, peak 229 MB.

Stop 35 (2026-12-07, another machine, noisier: the shells varied by up to 30% between
rounds). The rendering joins each line in one pass (``opendata.cells.json_parts``,
``csv_parts``) and finds special bytes by comparing buffers; PostgreSQL reads Arrow from
its binary COPY (``portal.queries.postgres_arrow``). Endpoint / shell per round, median:

- PostgreSQL, before (1 round): CSV 0.90x, GeoJSON 0.70x, Parquet 1.02x. After, two runs of
  2 rounds (psql 7.2-9.7 s): CSV 1.13, 1.04 / 1.28, 0.92 -> 1.09x, 1.10x; GeoJSON 1.03,
  0.84 / 0.95, 1.01 -> 0.93x, 0.98x; Parquet 1.10, 1.12 / 1.04, 1.11 -> 1.11x, 1.07x. Peak
  241-243 MB (CSV), 248 (GeoJSON), 369-372 (Parquet). ``portal publish``: 35.8 s, 231 MB.
- SQLite, before (2 rounds, shell 7.5-8.6 s): CSV 0.98x, GeoJSON 0.88x, Parquet 1.05x.
  After the rendering change: CSV 1.09, 1.14 -> 1.11x; GeoJSON 0.89, 1.15 -> 1.02x; Parquet
  0.90, 1.08 -> 0.99x (shell 7.6-10.0 s). After both, in a noisier hour (shell 7.8-10.2 s):
  CSV 0.90, 1.01 -> 0.95x; GeoJSON 0.79, 1.43 -> 1.11x; Parquet 1.00, 1.05 -> 1.03x.

Stop 36 (2026-12-07, a new machine, quiet: the shells within 3% between rounds). Columns
of one kind are rendered together (``opendata.exports.Rendered._by_kind``): the kernels'
fixed cost per call was two fifths of a 2,000-row batch's GeoJSON (per batch, in process:
GeoJSON 8.98 -> 7.67 ms, CSV 9.97 -> 8.81 ms). Endpoint / shell per round, median:

- PostgreSQL, before (2 rounds, psql 9.1-9.4 s): CSV 1.02, 0.98 -> 1.00x; GeoJSON 0.95,
  0.96 -> 0.96x (server CPU 9.8-9.9 s). After, 2 rounds (psql 8.9-9.2 s): CSV 1.04, 1.05
  -> 1.04x; GeoJSON 1.06, 1.03 -> 1.05x (server CPU 8.4-8.7 s); Parquet 1.08x. A third
  round with publish: CSV 1.05x, GeoJSON 1.04x, Parquet 1.07x; ``portal publish`` 36.5 s,
  peak 213 MB.
- SQLite, main at 84b05a8 then this tree, one run after the other (2 rounds each, shell
  10.1-10.4 s): CSV 1.09x -> 1.09x, GeoJSON 1.10x -> 1.10x, Parquet 1.05x -> 1.05x. The
  reading thread sets the pace there; the server's CPU fell (GeoJSON 16.9-17.2 -> 16.3-16.6
  s) and so did its peak (test virtualenv: 230-237 -> 206-213 MB, see
  ``download_memory.py``).

Stop 37 (2026-12-08, a new machine; the shells varied by up to 20% between rounds). SQLite's
chunks no longer get a final line break appended (a copy of every block); 47a5302 -> this
tree, one run after the other, 2 rounds each, endpoint / shell: CSV 0.82, 1.20 -> 1.14, 1.22
(server CPU 17.9, 14.5 -> 12.8, 11.1 s); GeoJSON 1.02, 1.21 -> 1.08, 1.08; Parquet 0.89,
0.98 -> 0.92, 0.95. PostgreSQL, this tree, 2 rounds: CSV 1.20, 1.00; GeoJSON 1.22, 0.98;
Parquet 1.03, 1.13; ``portal publish`` 34.1 s, peak 212 MB.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = """
import sys
from werkzeug.serving import make_server
from portal import create_app
# The map's in-process point index is not built: only the download is measured.
app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "bench-secret-key-0123456789",
                  "SERVER_NAME": None, "MAP_INDEX_WARMUP": False})
server = make_server("127.0.0.1", int(sys.argv[2]), app, threaded=False)
print("ready", flush=True)
server.serve_forever()
"""


@dataclass
class Figure:
    label: str
    rows: int
    seconds: float
    cpu: float | None = None
    peak_mb: float | None = None
    size_mb: float | None = None

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class _Discard:
    """A sink that keeps nothing (measures producing bytes, not storing them)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text) -> None:
        self.size += len(text)


def seed(url: str, count: int) -> None:
    from portal import create_app
    from portal.demo.seeding import seed_demo
    from portal.extensions import db
    from portal.services.core import work_calendar
    from portal.services.reference import install_reference_data

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16)})
    with app.app_context():
        db.create_all()
        install_reference_data()
        started = time.perf_counter()
        with db.engine.begin() as conn:
            seed_demo(conn, count, seed=1, today=date.today(), calendar=work_calendar())
        print(f"seeded {count} appeals in {time.perf_counter() - started:.0f} s", flush=True)


def appeals_sql(url: str) -> tuple[str, list[str], object]:
    """The SQL the portal runs for the full appeals download, its columns, its engine."""
    from sqlalchemy import create_engine

    from portal import create_app
    from portal.queries.exports import compiled_sql, dataset_query
    from portal.schemas.filters import AppealFilters

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16)})
    with app.app_context():
        query = dataset_query("appeals", AppealFilters())
    engine = create_engine(url)
    return compiled_sql(query, engine.dialect), [c.name for c in query.selected_columns], engine


def raw_cursor(engine, batch: int = 5000):
    conn = engine.raw_connection()
    if engine.dialect.name == "postgresql":
        cursor = conn.cursor(name="bench_floor")
        cursor.itersize = batch
    else:
        cursor = conn.cursor()
    return conn, cursor


def floor_csv(engine, sql: str, names: list[str]) -> Figure:
    conn, cursor = raw_cursor(engine)
    sink = _Discard()
    writer = csv.writer(sink)
    started, cpu = time.perf_counter(), time.process_time()
    cursor.execute(sql)
    writer.writerow(names)
    rows = 0
    while batch := cursor.fetchmany(5000):
        writer.writerows(batch)
        rows += len(batch)
    figure = Figure("floor: DBAPI cursor + csv.writer", rows, time.perf_counter() - started,
                    time.process_time() - cpu, size_mb=sink.size / 1e6)  # fmt: skip
    conn.close()
    return figure


def floor_geojson(engine, sql: str, names: list[str]) -> Figure:
    conn, cursor = raw_cursor(engine)
    lat, lon = names.index("lat"), names.index("lon")
    keep = [i for i, n in enumerate(names) if n not in ("id", "lat", "lon")]
    props = [names[i] for i in keep]
    size = 0
    started, cpu = time.perf_counter(), time.process_time()
    cursor.execute(sql)
    rows = 0
    dumps = orjson.dumps
    while batch := cursor.fetchmany(5000):
        for r in batch:
            geometry = (
                None if r[lat] is None else {"type": "Point", "coordinates": [r[lon], r[lat]]}
            )
            size += len(dumps({"type": "Feature", "id": r[0], "geometry": geometry,
                               "properties": dict(zip(props, [r[i] for i in keep], strict=True))}))  # fmt: skip
        rows += len(batch)
    figure = Figure("floor: DBAPI cursor + orjson per feature", rows,
                    time.perf_counter() - started, time.process_time() - cpu,
                    size_mb=size / 1e6)  # fmt: skip
    conn.close()
    return figure


def shell_csv(url: str, sql: str, rows: int) -> Figure | None:
    """The database's own command-line shell writing the SELECT as CSV (to /dev/null)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not shutil.which("sqlite3"):
            return None
        command, stdin, label = ["sqlite3", "-csv", "-header", parsed.database], sql, "sqlite3 -csv"
    else:
        if not shutil.which("psql"):
            return None
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        flat = " ".join(sql.split())
        command, stdin = ["psql", "-X", "-q", dsn], f"\\copy ({flat}) to stdout csv header\n"
        label = "psql \\copy … csv"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, input=stdin.encode(), stdout=subprocess.PIPE, check=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # (no peak RSS: RUSAGE_CHILDREN gives the largest of all children so far, servers too)
    return Figure(f"shell: {label} (same SELECT)", rows, seconds, cpu, None, len(done.stdout) / 1e6)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def http_download(url: str, path: str, label: str, rows: int, alongside=None) -> Figure:
    """Download ``path`` from a fresh server process; the server's peak RSS is reported.

    ``alongside`` (a callable) is started once the server is up and runs during the download.
    """
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, url, str(port)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    try:
        assert server.stdout.readline().strip() == "ready"
        idle = peak_rss_mb(server.pid)
        if alongside:
            alongside()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
        started, cpu = time.perf_counter(), cpu_seconds(server.pid)
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200, response.status
        size = 0
        while block := response.read(1 << 20):
            size += len(block)
        seconds = time.perf_counter() - started
        peak = peak_rss_mb(server.pid)
        cpu = cpu_seconds(server.pid) - cpu
        connection.close()
    finally:
        server.terminate()
        server.wait()
    figure = Figure(label, rows, seconds, cpu, peak, size / 1e6)
    figure.label += f" (server idle {idle:.0f} MB)"
    return figure


FLOORS = {"csv": floor_csv, "geojson": floor_geojson, "parquet": floor_csv}


PUBLISH = """
import atexit, sys
from pathlib import Path

target = Path(sys.argv.pop(1))

def report():
    status = Path("/proc/self/status").read_text()
    target.write_text(status.split("VmHWM:")[1].split()[0])

atexit.register(report)
from portal.cli import main
main()
"""


def publish(url: str, rows: int) -> Figure:
    """``portal publish`` in a child process that reports its own peak RSS at exit."""
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as out:
        env = dict(os.environ, PORTAL_DATABASE_URL=url, PORTAL_SECRET_KEY=secrets.token_hex(16))
        hwm = Path(out) / "hwm.txt"
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", PUBLISH, str(hwm), "publish", "--out",
                        str(Path(out) / "snapshots")], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (Path(out) / "snapshots").rglob("*") if p.is_file())
        peak = int(hwm.read_text()) / 1024
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Figure("portal publish (all datasets, all formats; rows = appeals)", rows, seconds,
                  cpu, peak, size / 1e6)  # fmt: skip


def show(figure: Figure, references: dict[str, Figure | None] | None = None) -> None:
    """One line: wall rate, CPU rate (rows per CPU second: robust on a shared machine),
    both as ratios to each reference, peak RSS and output size."""
    cpu_rate = figure.rows / figure.cpu if figure.cpu else 0.0
    ratios = []
    for name, reference in (references or {}).items():
        if reference is None or not reference.rate:
            continue
        text = f"{figure.rate / reference.rate:4.2f}× {name} (wall)"
        if cpu_rate and reference.cpu:
            text += f", {cpu_rate / (reference.rows / reference.cpu):4.2f}× (CPU)"
        ratios.append(text)
    peak = f"  peak RSS {figure.peak_mb:.0f} MB" if figure.peak_mb else ""
    size = f"  {figure.size_mb:.1f} MB out" if figure.size_mb else ""
    print(f"{figure.label}\n    {figure.rows} rows  {figure.seconds:.1f} s wall "
          f"{figure.rate:,.0f} rows/s  |  {figure.cpu or 0:.1f} s CPU {cpu_rate:,.0f} rows/CPU-s"
          f"{peak}{size}" + "".join(f"\n    {r}" for r in ratios), flush=True)  # fmt: skip


def compare(url: str, fmt: str, sql: str, names: list[str], rows: int) -> list[float]:
    """The shell, the floor and the endpoint of one format, one after the other."""
    from sqlalchemy import create_engine

    print(f"-- {fmt}", flush=True)
    shell = shell_csv(url, sql, rows)
    floor = FLOORS[fmt](create_engine(url), sql, names)
    path = f"/datasets/appeals.{fmt}"
    endpoint = http_download(url, path, f"HTTP GET {path}", rows)
    for figure in (shell, floor):
        if figure is not None:
            show(figure)
    show(endpoint, {"shell": shell, "floor": floor})
    return [shell.seconds / endpoint.seconds if shell else 0.0,
            (shell.cpu / endpoint.cpu) if shell and endpoint.cpu else 0.0]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="", help="Existing database (read-only use).")
    parser.add_argument("--appeals", type=int, default=100_000,
                        help="Appeals to seed into a fresh SQLite when no URL is given.")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=1, help="Rounds of the three formats.")
    parser.add_argument("--skip-publish", action="store_true")
    args = parser.parse_args()
    workdir = None
    url = args.database_url
    if not url:
        workdir = tempfile.TemporaryDirectory(prefix="bench-exports-")
        url = f"sqlite:///{workdir.name}/bench.db"
        seed(url, args.appeals)
    sql, names, engine = appeals_sql(url)
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT count(*) FROM ({sql}) AS q").scalar()
    summary: dict[str, list[list[float]]] = {"csv": [], "geojson": [], "parquet": []}
    for round_number in range(1, args.rounds + 1):
        print(f"== round {round_number} of {args.rounds}", flush=True)
        for fmt in summary:
            summary[fmt].append(compare(url, fmt, sql, names, rows))
    for fmt, values in summary.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"{fmt}: endpoint / shell, median over rounds: {wall:.2f}× wall, {cpu:.2f}× CPU "
              "(target ≥ 1.0 for CSV and GeoJSON)")  # fmt: skip
    if not args.skip_publish:
        show(publish(url, rows))
    if workdir:
        workdir.cleanup()


if __name__ == "__main__":
    main()
