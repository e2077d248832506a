"""Dated snapshots of every dataset: written atomically, listed on the datasets page.

``publish_snapshot`` writes all datasets in all formats plus ``datapackage.json`` (with
each file's size and SHA-256); each dataset is read once and written into all its formats
in the same pass. The folder of snapshots looks like this::

    2026-03-01 -> .runs/2026-03-01T023000-k3j9   a day: a symlink to one complete run
    current -> 2026-03-01                        the newest day
    .runs/…                                      complete runs (written once, never changed)
    .tmp-…  .trash-…  .link-…                    an interrupted run's leftovers

A run writes into a fresh ``.tmp-`` folder, renames it into ``.runs/`` when complete, then
points the day at it by renaming a new symlink over the old one — one atomic rename, so a
reader sees the old complete snapshot or the new one, never none and never a partial one.
Runs no day points to any more (replaced, or orphaned by a kill) and every leftover are
swept at the start of the next run: a replaced snapshot stays readable until then for a
reader who had just resolved the old link. One run at a time (a lock file).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from opendata import catalog
from opendata.schema import DATASETS
from portal.datasets import snapshot_workers
from portal.queries.exports import reference_enums

DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILE_NAME = re.compile(r"^[a-z_]+(\.[a-z]+){1,2}$")
RUNS = ".runs"
CURRENT = "current"
#: Prefixes of what an interrupted run leaves behind.
LEFTOVERS = (".tmp-", ".trash-", ".link-", ".old-")


@dataclass(frozen=True)
class SnapshotFile:
    name: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Snapshot:
    """A published snapshot folder."""

    day: date
    created: str
    files: tuple[SnapshotFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(f.bytes for f in self.files)


def publish_snapshot(
    engine: Engine,
    out_dir: Path,
    *,
    day: date,
    created: datetime,
    base_url: str,
    progress: Callable[[int], None] = lambda n: None,
    on_total: Callable[[int], None] = lambda n: None,
    row_sources: Callable[[str], object] | None = None,
    dataset_options: dict[str, dict] | None = None,
    workers: int = 1,
) -> Path:
    """Write the snapshot of ``day`` into ``out_dir/<day>`` atomically; return its path.

    An existing snapshot of the same day is replaced (swapped, then removed).
    ``row_sources(name)`` may supply the batches of a dataset, or a callable returning
    them (the performance dataset needs the application context, so the caller reads it,
    in this process, while ``workers`` processes write the others). ``progress(rows)``
    follows the rows written, ``on_total(rows)`` the rows counted so far.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with _only_run(out_dir):
        sweep(out_dir)
        work = Path(tempfile.mkdtemp(prefix=f".tmp-{day.isoformat()}-", dir=out_dir))
        try:
            report = _Progress(progress, on_total)
            _write_all(engine, work, created, base_url, row_sources, dataset_options, workers,
                       report)  # fmt: skip
            os.chmod(work, 0o755)
            (out_dir / RUNS).mkdir(exist_ok=True)
            run = out_dir / RUNS / f"{day.isoformat()}T{created:%H%M%S}-{work.name[-6:]}"
            os.rename(work, run)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        final = out_dir / day.isoformat()
        _point(final, Path(RUNS) / run.name)
        if _newest_day(out_dir) == day.isoformat():
            _point(out_dir / CURRENT, Path(day.isoformat()))
    return final


def _write_all(engine, work, created, base_url, row_sources, dataset_options, workers,
               report) -> None:  # fmt: skip
    """Every dataset into ``work``: those ``row_sources`` supplies here, the SQL ones in
    ``workers`` processes meanwhile (``portal.datasets.snapshot_workers``)."""
    supplied = {name: row_sources(name) for name in DATASETS} if row_sources else {}
    supplied = {name: source for name, source in supplied.items() if source is not None}

    def write_supplied() -> dict:
        files = {}
        for name, source in supplied.items():
            batches = list(source() if callable(source) else source)
            report(("total", sum(len(batch) for batch in batches)))
            files.update(snapshot_workers.write_files(DATASETS[name], work, batches, report))
        return files

    options = dataset_options or {}
    sql_names = [name for name in DATASETS if name not in supplied]
    if workers > 1 and snapshot_workers.shareable(engine):
        files = snapshot_workers.write_in_workers(
            engine, work, sql_names, options, workers, report, write_supplied
        )
    else:
        files = write_supplied()
        for name in sql_names:
            files.update(snapshot_workers.write_sql_dataset(
                engine, work, name, options.get(name, {}), report))  # fmt: skip
    descriptor = catalog.datapackage(
        base_url=base_url, created=created, enums=reference_enums(engine), files=files
    )
    (work / "datapackage.json").write_bytes(
        json.dumps(descriptor, ensure_ascii=False, indent=2).encode() + b"\n"
    )


class _Progress:
    """Turns the writers' reports into the caller's callbacks (rows written, rows counted)."""

    def __init__(self, progress: Callable[[int], None], on_total: Callable[[int], None]):
        self.progress, self.on_total, self.total = progress, on_total, 0

    def __call__(self, report: tuple[str, int]) -> None:
        kind, rows = report
        if kind == "total":
            self.total += rows
            self.on_total(self.total)
        else:
            self.progress(rows)


@contextmanager
def _only_run(out_dir: Path) -> Iterator[None]:
    """Hold the folder's lock: a second publish waits for the first."""
    with open(out_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _point(link: Path, target: Path) -> None:
    """Make ``link`` point at ``target`` (relative) with one atomic rename."""
    staged = link.parent / f".link-{link.name}-{os.getpid()}"
    staged.unlink(missing_ok=True)
    os.symlink(target, staged)
    if link.is_dir() and not link.is_symlink():
        # A snapshot of the layout before pointers: move it among the runs first.
        os.rename(link, link.parent / RUNS / f"{link.name}-legacy-{os.getpid()}")
    os.replace(staged, link)


def _newest_day(out_dir: Path) -> str | None:
    days = [entry.name for entry in out_dir.iterdir() if DATE_DIR.match(entry.name)]
    return max(days, default=None)


def sweep(out_dir: Path) -> list[str]:
    """Remove what interrupted runs left and the runs no day points to; returns their names.

    Call it holding the lock (``publish_snapshot`` does). A run is renamed out of the way
    before it is deleted, so nothing half-deleted ever carries a run's name.
    """
    runs = out_dir / RUNS
    referenced = {
        os.path.basename(os.readlink(entry))
        for entry in out_dir.iterdir()
        if DATE_DIR.match(entry.name) and entry.is_symlink()
    }
    leftovers = [entry for entry in out_dir.iterdir() if entry.name.startswith(LEFTOVERS)]
    _remove(leftovers)
    superseded = []
    if runs.is_dir():
        for run in runs.iterdir():
            if run.name not in referenced:
                trash = out_dir / f".trash-{run.name}"
                os.rename(run, trash)
                superseded.append(trash)
    _remove(superseded)
    return sorted(entry.name for entry in leftovers + superseded)


def _remove(entries: list[Path]) -> None:
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def list_snapshots(out_dir: Path) -> list[Snapshot]:
    """Published snapshots, newest first (folders with a readable datapackage.json)."""
    if not out_dir.is_dir():
        return []
    found = []
    for folder in out_dir.iterdir():
        if not (folder.is_dir() and DATE_DIR.match(folder.name)):
            continue
        try:
            descriptor = json.loads((folder / "datapackage.json").read_text("utf-8"))
            day = date.fromisoformat(folder.name)
        except (OSError, ValueError):
            continue
        files = tuple(
            SnapshotFile(
                r["path"], int(r.get("bytes", 0)), str(r.get("hash", "")).removeprefix("sha256:")
            )  # fmt: skip
            for r in descriptor.get("resources", ())
        )
        found.append(Snapshot(day, descriptor.get("created", ""), files))
    return sorted(found, key=lambda s: s.day, reverse=True)


def snapshot_path(out_dir: Path, day: str, name: str) -> Path | None:
    """The file ``name`` of the snapshot ``day``, or None (names are checked, no traversal)."""
    if not DATE_DIR.match(day) or not (FILE_NAME.match(name) or name == "datapackage.json"):
        return None
    path = out_dir / day / name
    return path if path.is_file() else None
