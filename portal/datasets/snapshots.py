"""Dated snapshots of every dataset: written atomically, listed on the datasets page.

``publish_snapshot`` writes all datasets in all formats plus ``datapackage.json`` (with
each file's size and SHA-256) into a temporary folder next to the destination and renames
it into place only when everything was written, so readers never see a partial snapshot:
a failure half-way removes the temporary folder and leaves earlier snapshots untouched.
Each dataset is read once and written into all its formats in the same pass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from opendata import catalog
from opendata.exports import MultiWriter
from opendata.schema import DATASETS
from portal.queries.exports import reference_enums, stream_rows
from portal.schemas.filters import AppealFilters

DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILE_NAME = re.compile(r"^[a-z_]+(\.[a-z]+){1,2}$")
WRITE_BUFFER = 1 << 20


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
    row_sources: Callable[[str], object] | None = None,
    dataset_options: dict[str, dict] | None = None,
) -> Path:
    """Write the snapshot of ``day`` into ``out_dir/<day>`` atomically; return its path.

    An existing snapshot of the same day is replaced (swapped, then removed).
    ``row_sources(name)`` may supply the batches of a dataset (the performance dataset
    needs the application context, so the caller reads it).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / day.isoformat()
    work = Path(tempfile.mkdtemp(prefix=f".tmp-{day.isoformat()}-", dir=out_dir))
    try:
        files: dict[str, catalog.FileInfo] = {}
        for dataset in DATASETS.values():
            names = {fmt: catalog.file_name(dataset, fmt) for fmt in dataset.formats}
            with ExitStack() as stack:
                writers = {
                    fmt: catalog.HashingWriter(
                        stack.enter_context(open(work / name, "wb", buffering=WRITE_BUFFER))
                    )
                    for fmt, name in names.items()
                }
                source = row_sources(dataset.name) if row_sources is not None else None
                if source is None:
                    options = (dataset_options or {}).get(dataset.name, {})
                    source = stream_rows(engine, dataset.name, AppealFilters(), **options)
                with MultiWriter(dataset, writers) as writer:
                    for batch in source:
                        writer.write(batch)
                        progress(len(batch))
            for fmt, name in names.items():
                files[name] = writers[fmt].info()
        descriptor = catalog.datapackage(
            base_url=base_url, created=created, enums=reference_enums(engine), files=files
        )
        (work / "datapackage.json").write_bytes(
            json.dumps(descriptor, ensure_ascii=False, indent=2).encode() + b"\n"
        )
        os.chmod(work, 0o755)
        _swap_into_place(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def _swap_into_place(work: Path, final: Path) -> None:
    if not final.exists():
        os.rename(work, final)
        return
    old = Path(tempfile.mkdtemp(prefix=f".old-{final.name}-", dir=final.parent))
    os.rename(final, old / final.name)
    os.rename(work, final)
    shutil.rmtree(old, ignore_errors=True)


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
