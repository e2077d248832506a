"""Peak memory of processing one uploaded photo (prints figures; target ≤ ~150 MB each).

    python bench/photos.py            # the portal side by side with the reference
    python bench/photos.py --json     # the portal only, one JSON object per case
    python bench/photos.py --json --case "40 MP JPEG"   # chosen cases only

Each case runs in a fresh process: the image is generated there, the kernel's peak-RSS
counter is reset (``/proc/self/clear_refs``), ``portal.photos.process_photo`` runs, and
the peak minus the resident size before it is the photo's cost. The reference is the
straightforward Pillow pipeline the portal used before (open, draft a JPEG, decode,
transpose, convert, thumbnail, save), i.e. what a photo would cost without the bound.
Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 2048
#: name -> (format, width, height, mode); 16-bit RGB PNGs are written by hand (Pillow
#: writes 16 bits only for grey), every image is flat so that the file stays small.
CASES = {
    "40 MP 16-bit grey PNG": ("png16", 6320, 6320, "L"),
    "40 MP 16-bit RGB PNG (the issue's)": ("png16", 6300, 6300, "RGB"),
    "40 MP JPEG": ("jpeg", 7296, 5472, "RGB"),
    "26 MP RGB PNG (largest accepted)": ("png", 5120, 5120, "RGB"),
    "21 MP 16-bit grey PNG (largest accepted)": ("png16", 4576, 4576, "L"),
}


def png16(width: int, height: int, mode: str) -> bytes:
    """A flat 16-bit PNG (grey or RGB), compressed row by row."""
    channels = 3 if mode == "RGB" else 1
    kind = 2 if mode == "RGB" else 0

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x80\x00" * channels * width  # filter byte + mid-grey samples
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 16, kind, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def make(case: str) -> bytes:
    from PIL import Image

    fmt, width, height, mode = CASES[case]
    if fmt == "png16":
        return png16(width, height, mode)
    out = io.BytesIO()
    image = Image.new(mode, (width, height), (90, 120, 200))
    image.save(out, "JPEG" if fmt == "jpeg" else "PNG", quality=60, compress_level=1)
    return out.getvalue()


def reference(raw: bytes) -> tuple[int, int]:
    """The pipeline without a memory bound (the portal's before this change)."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(raw)) as image:
        if image.format == "JPEG":
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
        image.load()
        converted = ImageOps.exif_transpose(image).convert("RGB")
        converted.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        converted.save(io.BytesIO(), "JPEG", quality=85, optimize=True)
    return converted.size


def _kb(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1))


def measure(case: str, implementation: str) -> dict:
    """Run one case in this process and report its peak memory (call in a fresh one)."""
    from portal.photos import PhotoRejected, process_photo

    raw = make(case)
    before = _kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
    started = time.perf_counter()
    try:
        if implementation == "portal":
            size = process_photo(raw, max_bytes=MAX_BYTES, max_side=MAX_SIDE)
            outcome = f"stored {size.width}×{size.height}"
        else:
            outcome = "stored {}×{}".format(*reference(raw))
    except PhotoRejected as rejected:
        outcome = f"refused ({rejected.code})"
    seconds = time.perf_counter() - started
    peak_mb = (_kb("VmHWM") - before) / 1024
    return {
        "case": case,
        "implementation": implementation,
        "file_kb": round(len(raw) / 1024),
        "outcome": outcome,
        "peak_mb": round(peak_mb, 1),
        "seconds": round(seconds, 2),
    }


def run_child(case: str, implementation: str) -> dict:
    command = [sys.executable, __file__, "--measure", case, "--implementation", implementation]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="the portal only, as JSON lines")
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="only these")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--implementation", default="portal", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.implementation)))
        return 0
    cases = args.case or list(CASES)
    if args.json:
        for case in cases:
            print(json.dumps(run_child(case, "portal")), flush=True)
        return 0
    print(f"{'case':42} {'file':>8}  {'portal':>30}  {'reference':>30}")
    for case in cases:
        portal, ref = run_child(case, "portal"), run_child(case, "reference")
        print(
            f"{case:42} {portal['file_kb']:>6}KB  "
            f"{portal['peak_mb']:>7.1f} MB {portal['outcome']:>20}  "
            f"{ref['peak_mb']:>7.1f} MB {ref['outcome']:>20}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
