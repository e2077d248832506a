"""``portal publish`` killed with SIGKILL at any moment, and replaced while read: a reader
polling the snapshot never finds the day missing or a file half-written or half-deleted,
and the next run sweeps every leftover."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from portal.datasets.snapshots import RUNS, sweep
from tests.portal.test_publish import local_today, publish, seeded  # noqa: F401 (fixture)


def read_whole_snapshot(folder: Path) -> None:
    """What a downloader does: the data package, then every file it lists, checked."""
    descriptor = json.loads((folder / "datapackage.json").read_text("utf-8"))
    for resource in descriptor["resources"]:
        assert (folder / resource["path"]).stat().st_size == resource["bytes"], resource["path"]


class PollingReader(threading.Thread):
    def __init__(self, folder: Path) -> None:
        super().__init__(daemon=True)
        self.folder, self.reads, self.failures = folder, 0, []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                read_whole_snapshot(self.folder)
                self.reads += 1
            except (OSError, ValueError, AssertionError) as problem:
                self.failures.append(repr(problem))


def start_publish(out: Path, database_url: str) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environment["PORTAL_DATABASE_URL"] = database_url
    return subprocess.Popen(
        [sys.executable, "-c", "from portal.cli import main; main()", "publish", "--out", str(out)],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def kill_while_writing(process: subprocess.Popen, out: Path) -> None:
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".tmp-") for p in out.iterdir()):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_killed_and_replaced_snapshots_never_vanish(seeded, runner, tmp_path, database_url):  # noqa: F811
    out = tmp_path / "out"
    publish(runner, out)
    reader = PollingReader(out / local_today())
    reader.start()
    try:
        for _ in range(3):
            kill_while_writing(start_publish(out, database_url), out)
        assert any(p.name.startswith(".tmp-") for p in out.iterdir())  # the kills left debris
        for _ in range(2):  # complete replacements while the reader reads
            finished = start_publish(out, database_url)
            assert finished.wait(timeout=120) == 0, finished.stderr.read().decode()
    finally:
        reader.stop.set()
        reader.join()
    assert reader.failures == [] and reader.reads > 0
    # The last run swept the debris; what is left is one run per day plus the one it
    # replaced (kept for readers until the next run).
    assert not [p.name for p in out.iterdir() if p.name.startswith((".tmp-", ".trash-", ".link-"))]
    assert len(list((out / RUNS).iterdir())) == 2
    assert os.readlink(out / "current") == local_today()
    read_whole_snapshot(out / "current")


def test_orphans_of_a_kill_after_writing_are_swept(seeded, runner, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    publish(runner, out)
    (out / RUNS / "2020-01-01T000000-orphan").mkdir()  # renamed in, never pointed at
    os.symlink("nowhere", out / ".link-2020-01-01-123")  # killed before the switch
    (out / ".trash-2019-12-31T000000-x").mkdir()  # killed while deleting
    swept = sweep(out)
    assert swept == [
        ".link-2020-01-01-123",
        ".trash-2019-12-31T000000-x",
        ".trash-2020-01-01T000000-orphan",
    ]
    read_whole_snapshot(out / local_today())
