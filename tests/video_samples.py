"""Small videos the tests (and bench/videos.py) generate with PyAV: a few frames of
moving colour, optionally with sound and a phone's GPS location in the metadata."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np

#: The GPS location a phone writes (ISO 6709), planted as a sentinel.
GPS_LOCATION = "+42.8746+074.5698/"


def make_video(
    *,
    seconds: float = 1.0,
    fps: int = 10,
    width: int = 64,
    height: int = 48,
    audio: bool = True,
    container: str = "mp4",
    metadata: dict[str, str] | None = None,
    codec: str = "libx264",
    options: dict[str, str] | None = None,
    path: str | None = None,
) -> bytes:
    """An encoded clip of ``seconds`` at ``fps`` (``metadata``: container tags, e.g.
    ``{"location": GPS_LOCATION}`` — MOV writes it as a ©xyz atom, MP4 as loci;
    ``options``: the encoder's, e.g. a fast preset; ``path``: write there, return b"")."""
    buffer = io.BytesIO()
    with av.open(path or buffer, mode="w", format=container) as output:
        output.metadata.update(metadata or {})
        video = output.add_stream(codec, rate=fps, options=options or {})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = output.add_stream("aac", rate=44100) if audio else None
        frames = max(1, round(seconds * fps))
        for index in range(frames):
            pixels = np.zeros((height, width, 3), dtype=np.uint8)
            pixels[:, : max(1, width * (index + 1) // frames)] = (200, 60, 30)
            output.mux(video.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        output.mux(video.encode())
        if sound is not None:
            _add_tone(output, sound, seconds)
    return buffer.getvalue()


def _add_tone(output, sound, seconds: float) -> None:
    samples = 1024
    for index in range(int(seconds * 44100 / samples) + 1):
        t = (np.arange(samples) + index * samples) / 44100
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 44100, index * samples, Fraction(1, 44100)
        output.mux(sound.encode(frame))
    output.mux(sound.encode())
