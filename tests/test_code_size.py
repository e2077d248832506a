"""Code stays small enough to read: no module of portal/ or opendata/ over ~400 lines and
no function over ~50 lines, unless a one-line reason says why (the house rules).

The reason is a comment ``# size: <why>``: for a module, a line of its own among its first
lines (before the imports); for a function, on its ``def`` line or the line above it (or
above its decorators).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("portal", "opendata")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
REASON = "# size:"
#: How far into a module its reason may stand (after a long docstring).
MODULE_HEAD_LINES = 60


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _has_reason(line: str) -> bool:
    """A ``# size: <why>`` comment with a reason after it."""
    _, found, why = line.partition(REASON)
    return bool(found and why.strip())


def _module_reason(lines: list[str]) -> bool:
    return any(
        line.lstrip().startswith(REASON) and _has_reason(line) for line in lines[:MODULE_HEAD_LINES]
    )


def _function_reason(lines: list[str], node: ast.AST) -> bool:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    candidates = [lines[node.lineno - 1], lines[first - 2] if first >= 2 else ""]
    return any(_has_reason(line) for line in candidates)


def oversized(path: Path, root: Path = ROOT) -> list[str]:
    """What in ``path`` is over the limits without a reason."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    name = path.relative_to(root).as_posix()
    found = []
    if len(lines) > MAX_MODULE_LINES and not _module_reason(lines):
        found.append(f"{name}: {len(lines)} lines")
    for node in ast.walk(ast.parse(source, filename=name)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = node.end_lineno - node.lineno + 1
        if length > MAX_FUNCTION_LINES and not _function_reason(lines, node):
            found.append(f"{name}:{node.lineno} {node.name}(): {length} lines")
    return found


def test_no_module_or_function_is_oversized_without_a_reason():
    found = [problem for path in _modules() for problem in oversized(path)]
    assert not found, "split these, or give a one-line '# size: <why>':\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("", ["m.py:1 long(): 52 lines"]),
        ("# size: a table of cases, one per line\n", []),
        ("# size:\n", ["m.py:2 long(): 52 lines"]),  # a reason must say something
        ("# size: a reason\n\n", ["m.py:3 long(): 52 lines"]),  # not next to the def
    ],
)
def test_a_long_function_needs_a_stated_reason(tmp_path, head, expected):
    body = "".join(f"    x{n} = {n}\n" for n in range(51))
    path = tmp_path / "m.py"
    path.write_text(f"{head}def long():\n{body}", encoding="utf-8")
    assert oversized(path, root=tmp_path) == expected
