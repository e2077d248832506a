"""Time and peak memory of one 60-second 1080p upload (prints figures).

    python bench/videos.py            # probe, re-encode, and the decode-only reference
    python bench/videos.py --json     # one JSON object per step

The clip (60 s, 1920×1080, 30 fps, AAC sound) is generated with PyAV first. Each step
then runs in a fresh process: the file is read, the kernel's peak-RSS counter is reset
(``/proc/self/clear_refs``), the step runs, and the peak minus the resident size before
it is the step's memory cost (``resource.getrusage`` gives the process's total peak, also
printed). Steps:

- probe: ``portal.videos.probe_video``, what the request does before storing the upload;
- re-encode: ``portal.videos.transcode_video``, the job (H.264/AAC MP4 at 720p, poster);
- decode only (reference): decoding every frame and sample, no scaling, no encoding —
  the least any re-encoding must do.

Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS, FPS, WIDTH, HEIGHT = 60, 30, 1920, 1080
MAX_BYTES = 50 * 1024 * 1024
STEPS = ("probe", "re-encode", "decode only (reference)")


def make_clip(path: str) -> None:
    """The 60 s 1080p clip (a fast preset: generating it is not what is measured)."""
    from tests.video_samples import make_video

    make_video(
        seconds=SECONDS, fps=FPS, width=WIDTH, height=HEIGHT, path=path,
        options={"preset": "ultrafast", "crf": "23"},
    )  # fmt: skip


def _kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _decode_only(raw: bytes) -> str:
    import io

    import av

    frames = 0
    with av.open(io.BytesIO(raw)) as source:
        source.streams.video[0].thread_type = "AUTO"
        for frame in source.decode(*source.streams):
            frames += isinstance(frame, av.VideoFrame)
    return f"{frames} frames decoded"


def measure(step: str, path: str) -> dict:
    """Run one step in this process and report its time and peak memory."""
    from portal.videos import probe_video, transcode_video

    raw = Path(path).read_bytes()
    before = _kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
    started = time.perf_counter()
    if step == "probe":
        probed = probe_video(raw, max_bytes=MAX_BYTES, max_seconds=60)
        outcome = f"accepted: {probed.width}×{probed.height}, {probed.duration_s:.1f} s"
    elif step == "re-encode":
        encoded = transcode_video(raw, max_seconds=60, max_height=720)
        outcome = f"{encoded.width}×{encoded.height}, {len(encoded.data) / 2**20:.1f} MB MP4"
    else:
        outcome = _decode_only(raw)
    seconds = time.perf_counter() - started
    return {
        "step": step,
        "file_mb": round(len(raw) / 2**20, 1),
        "outcome": outcome,
        "wall_s": round(seconds, 2),
        "cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 2),
        "peak_mb": round((_kb("VmHWM") - before) / 1024, 1),
        "process_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_child(step: str, path: str) -> dict:
    command = [sys.executable, __file__, "--child", step, path]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per step")
    parser.add_argument("--child", nargs=2, metavar=("STEP", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-videos-") as folder:
        path = str(Path(folder) / "clip.mp4")
        started = time.perf_counter()
        make_clip(path)
        made = time.perf_counter() - started
        results = [run_child(step, path) for step in STEPS]
    if args.json:
        for result in results:
            print(json.dumps(result))
        return
    print(f"clip: {SECONDS} s, {WIDTH}×{HEIGHT}, {FPS} fps, AAC; generated in {made:.1f} s")
    print(f"{'step':<26}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}{'proc MB':>9}  outcome")
    for r in results:
        print(
            f"{r['step']:<26}{r['wall_s']:>8}{r['cpu_s']:>8}{r['peak_mb']:>9}"
            f"{r['process_peak_mb']:>9}  {r['outcome']}"
        )


if __name__ == "__main__":
    main()
