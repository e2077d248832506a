"""The map index on disk, shared by every worker of a host.

A worker that builds or refreshes the index writes its arrays as ``.npy`` files into a new
folder and points ``current`` at it (one atomic rename); every worker maps the files
read-only (``numpy.load(mmap_mode="r")``). So a new worker answers its first map request
from the files in milliseconds instead of reading a million rows, and the workers share one
copy in the page cache instead of holding one each. One builder at a time (``flock``):
the others wait for it and map its result.

Folders no longer ``current`` are deleted; a worker still mapping one keeps its pages (a
mapped file outlives its name on POSIX).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np

from portal.queries.map_index import PointIndex

#: PointIndex fields that are not arrays, kept in meta.json.
_META = ("version", "built_at", "names", "fk_codes")
_ARRAYS = tuple(
    f.name for f in dataclasses.fields(PointIndex) if f.name not in _META and f.init and
    not f.name.startswith("_")
)  # fmt: skip


class IndexStore:
    """The shared folder of one database's map index (``source`` names the database: an
    index of another one in the folder is never mapped)."""

    def __init__(self, folder: Path, source: str) -> None:
        self.folder = folder
        self.source = source
        self.current = folder / "current"

    def load(self) -> PointIndex | None:
        """The current index, mapped read-only; None when there is none (or it is unreadable)."""
        try:
            target = self.current.resolve(strict=True)
            meta = json.loads((target / "meta.json").read_text())
            if meta["source"] != self.source:
                return None
            arrays = {name: np.load(target / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
        except (OSError, ValueError, KeyError):
            return None
        return PointIndex(
            version=tuple(meta["version"]),
            built_at=datetime.fromisoformat(meta["built_at"]),
            names=meta["names"],
            fk_codes={
                kind: {int(key): code for key, code in codes.items()}
                for kind, codes in meta["fk_codes"].items()
            },
            **arrays,
        )

    def save(self, index: PointIndex) -> PointIndex:
        """Write ``index`` as the current one and return it mapped from the files."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"v-{uuid.uuid4().hex}"
        work = self.folder / f".tmp-{target.name}"
        work.mkdir()
        for name in _ARRAYS:
            np.save(work / f"{name}.npy", np.ascontiguousarray(getattr(index, name)))
        meta = {
            "source": self.source,
            "version": list(index.version),
            "built_at": index.built_at.isoformat(),
            "names": index.names,
            "fk_codes": index.fk_codes,
        }
        (work / "meta.json").write_text(json.dumps(meta))
        os.rename(work, target)
        link = self.folder / f".link-{target.name}"
        os.symlink(target.name, link)
        os.replace(link, self.current)  # readers see the old index or the new, never none
        self._sweep(keep=target.name)
        return self.load() or index

    @contextlib.contextmanager
    def building(self) -> Iterator[None]:
        """Hold the builder's lock (other processes wait here)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _sweep(self, keep: str) -> None:
        for entry in self.folder.iterdir():
            stale = entry.name.startswith(("v-", ".tmp-")) and entry.name != keep
            if stale and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
