"""gunicorn hooks of ``portal serve --workers N``: the master starts ``portal worker``.

A separate process, not a thread of the master: gunicorn forks its workers from the
master, and a fork must not copy a consumer's locks. ``--no-jobs`` (PORTAL_SERVE_JOBS=0)
leaves the queue to a ``portal worker`` started elsewhere (see docs/deploy.md).
"""

from __future__ import annotations

import os
import subprocess
import sys

_children: list[subprocess.Popen] = []


def when_ready(server) -> None:
    if os.environ.get("PORTAL_SERVE_JOBS") == "1":
        command = [sys.executable, "-c", "from portal.cli import main; main()", "worker"]
        _children.append(subprocess.Popen(command))
        server.log.info("started the job worker (pid %s)", _children[-1].pid)


def on_exit(server) -> None:
    for child in _children:
        child.terminate()
        child.wait(timeout=30)
