"""bench/anonymizer.py loaded as a module, so tests score with the benchmark's own rule."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("bench_anonymizer", ROOT / "bench/anonymizer.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while executing
    spec.loader.exec_module(module)
    return module


bench = sys.modules.get("bench_anonymizer") or _load()
