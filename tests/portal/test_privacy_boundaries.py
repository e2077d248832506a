"""The static half of the privacy test: public queries cannot even name private data.

Every module of ``portal.queries`` (and every ``portal.<blueprint>.queries``) is public
unless listed in STAFF_ONLY_MODULES. Their source may not mention the private tables or
``private*`` attributes, and every SELECT they build compiles to SQL that never references
``appeal_private``, ``contacts``, ``staff_users``, ``access_tokens``, ``held_texts``,
``login_throttles`` or a ``private_*`` column. (``test_privacy.py`` checks the SQL actually
run by every public request.)
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite

import portal
from portal.queries.record import PublishedTable
from portal.schemas.filters import AppealFilters

#: Query modules that serve the staff area (they read private data on purpose).
STAFF_ONLY_MODULES = {"portal.queries.inbox"}
PRIVATE_NAMES = {
    "AppealPrivate",
    "Contact",
    "StaffUser",
    "AccessToken",
    "HeldText",
    "LoginThrottle",
}
PRIVATE_SQL = re.compile(
    r"\bappeal_private\b|\bcontacts\b|\bprivate_\w+|\bstaff_users\b|\baccess_tokens\b"
    r"|\bheld_texts\b|\blogin_throttles\b",
    re.IGNORECASE,
)


def public_query_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(portal.__path__, "portal."):
        name = info.name
        is_query_module = name.startswith("portal.queries.") or name.endswith(".queries")
        if is_query_module and name not in STAFF_ONLY_MODULES:
            names.append(name)
    return sorted(names)


MODULES = public_query_modules()


def test_the_public_query_modules_are_found():
    assert "portal.queries.appeals" in MODULES
    assert not set(MODULES) & STAFF_ONLY_MODULES


@pytest.mark.parametrize("module_name", MODULES)
def test_public_query_source_never_names_private_data(module_name):
    module = importlib.import_module(module_name)
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    documented = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, documented)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            problems += [
                f"imports {alias.name}" for alias in node.names if alias.name in PRIVATE_NAMES
            ]
        elif isinstance(node, ast.Attribute) and (
            node.attr == "private" or node.attr.startswith("private_")
        ):
            problems.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in PRIVATE_NAMES:
            problems.append(f"line {node.lineno}: {node.id}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and PRIVATE_SQL.search(node.value)
        ):
            problems.append(f"line {node.lineno}: SQL text {node.value[:60]!r}")
    assert not problems, f"{module_name} touches private data: {problems}"


def _sample_argument(parameter: inspect.Parameter):
    annotation = str(parameter.annotation)
    if "AppealFilters" in annotation:
        return AppealFilters()
    if "Select" in annotation:
        from portal.queries.appeals import public_appeals_select

        return public_appeals_select()
    raise LookupError(parameter.name)


def built_selects(module) -> list[tuple[str, Select]]:
    """Every SELECT a module exposes: constants, column allowlists and builder functions."""
    found = []
    for name, value in vars(module).items():
        if getattr(value, "__module__", module.__name__) != module.__name__:
            continue
        if isinstance(value, Select):
            found.append((name, value))
        elif isinstance(value, PublishedTable):
            found.append((name, value.select()))
        elif name.isupper() and isinstance(value, tuple) and value:
            if all(hasattr(item, "expression") or hasattr(item, "table") for item in value):
                found.append((name, select(*value)))
        elif inspect.isfunction(value) and "Select" in str(value.__annotations__.get("return")):
            parameters = [
                p
                for p in inspect.signature(value).parameters.values()
                if p.default is inspect.Parameter.empty
            ]
            try:
                arguments = [_sample_argument(p) for p in parameters]
            except LookupError:
                continue
            built = value(*arguments)
            if isinstance(built, Select):
                found.append((f"{name}()", built))
    return found


@pytest.mark.parametrize("module_name", MODULES)
def test_public_selects_compile_without_private_tables(app, module_name):
    module = importlib.import_module(module_name)
    for name, statement in built_selects(module):
        for dialect in (postgresql.dialect(), sqlite.dialect()):
            sql = str(statement.compile(dialect=dialect))
            match = PRIVATE_SQL.search(sql)
            assert match is None, f"{module_name}.{name} reads {match.group()}:\n{sql}"


def test_some_selects_were_really_compiled(app):
    compiled = [
        name
        for module_name in MODULES
        for name, _ in built_selects(importlib.import_module(module_name))
    ]
    assert "APPEAL" in compiled and "public_appeals_select()" in compiled
    assert len(compiled) >= 3


def test_the_detector_sees_private_sql():
    from portal.models import Appeal, AppealPrivate, Contact

    leaky = select(Appeal.public_id, AppealPrivate.raw_text).join(AppealPrivate)
    assert PRIVATE_SQL.search(str(leaky.compile(dialect=postgresql.dialect())))
    assert PRIVATE_SQL.search(str(select(Contact.email).compile()))
