"""Arrow's memory pool for the whole process: jemalloc (issue 20, peak RSS).

pyarrow's wheels allocate with mimalloc by default, which keeps more of what a streamed
download has freed: a worker's peak while sending 1M appeals as CSV, GeoJSON or Parquet
was 30–50 MB higher than with jemalloc, which hands freed pages back to the system
(``bench/download_memory.py``). Not the system allocator: glibc's malloc made the
PostgreSQL Parquet peak 440 → 678 MB. An operator's ``ARROW_DEFAULT_MEMORY_POOL`` wins, and
a pyarrow built without jemalloc keeps its default.
"""

from __future__ import annotations

import contextlib
import os

import pyarrow as pa
from flask import Flask


def init_app(app: Flask) -> None:
    """Make jemalloc the pool of every pyarrow call that names none; the pool in use is
    ``app.extensions["portal.arrow_memory_pool"]``."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        with contextlib.suppress(NotImplementedError):  # a pyarrow without jemalloc
            pa.set_memory_pool(pa.jemalloc_memory_pool())
    app.extensions["portal.arrow_memory_pool"] = pa.default_memory_pool().backend_name
