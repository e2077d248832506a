"""opendata is a Flask-free, SQLAlchemy-free library (it must run in a notebook)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import opendata


def test_importing_every_opendata_module_pulls_in_no_web_or_orm_framework():
    modules = [f"opendata.{m.name}" for m in pkgutil.walk_packages(opendata.__path__)]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'portal', 'flask_sqlalchemy', 'werkzeug'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
    assert "opendata.geomask" in modules and "opendata.records" in modules
