"""Short videos: probed in the request, re-encoded by the job queue, served when public.

``probe_video`` runs in the request, on the upload's bytes, before anything is stored: it
reads the container's header and demuxes its packets without decoding them (cheap and
bounded by the upload's size), decodes the first frame only, and refuses with a
translated message (``VideoRejected``) what is not a video in an accepted container (the
file name and declared type are ignored), a truncated file (fewer packets than its index
declares, or an undecodable first frame), a video longer than MAX_VIDEO_SECONDS (declared
or measured), an absurd resolution or frame count.

``transcode_video`` runs in a job (``portal.jobs.tasks.encode_video``): H.264/AAC MP4, the
shorter side at most VIDEO_MAX_HEIGHT (720p), moov first, and no metadata at all — the
output gets fresh streams and an empty container dictionary, and is muxed bit-exact (no
encoder tag), so a phone's GPS location (``©xyz``, ``loci``), its make, model and dates
are not copied. The poster is a JPEG of the first frame, pixels only. A phone's portrait
video is stored landscape with a rotation in its display matrix; that matrix goes with
the rest, so the pixels themselves are turned upright (after scaling, on the small
picture). ``bench/videos.py`` measures time and peak memory.

PyAV and Pillow are imported by the functions that use them, not with this module: a web
worker that never sees a video does not load FFmpeg's libraries (tens of MB of RSS).
"""

from __future__ import annotations

import io
import os
import secrets
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
from flask_babel import lazy_gettext as _l

from portal.media import MediaRejected

if TYPE_CHECKING:
    import av

#: Container formats accepted (FFmpeg demuxer names): MP4/MOV/3GP and Matroska/WebM.
ACCEPTED_CONTAINERS = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"})
#: Largest accepted input picture (4096 × 2304 pixels, a little above 4K UHD).
MAX_INPUT_PIXELS = 4096 * 2304
MAX_INPUT_SIDE = 4096
#: Frames per second above which a file is not a phone's video (slow-motion is 240).
MAX_FPS = 240
#: Seconds of tolerance on the duration limit (container rounding).
DURATION_SLACK = 1.0
H264_OPTIONS = {"preset": "veryfast", "crf": "26", "profile": "main"}
AUDIO_RATE = 48000
POSTER_QUALITY = 85

MESSAGES = {
    "empty": _l("The video file is empty."),
    "too_large": _l("The video is larger than %(mb)s MB."),
    "not_video": _l("Only videos (MP4, MOV, 3GP, WebM) are accepted."),
    "broken": _l("The video could not be read; it may be damaged or incomplete."),
    "too_long": _l("The video is longer than %(seconds)s seconds. Please send a shorter clip."),
    "too_big": _l("The video's resolution is too large (%(width)s × %(height)s)."),
}


class VideoRejected(MediaRejected):
    """An upload that is not an acceptable video; ``message`` is translated."""

    MESSAGES = MESSAGES


@dataclass(frozen=True)
class ProbedVideo:
    """What the probe learnt of an acceptable upload."""

    duration_s: float
    width: int
    height: int
    has_audio: bool


@dataclass(frozen=True)
class EncodedVideo:
    """A re-encoded video and its poster, ready for the publication gate."""

    data: bytes
    poster: bytes
    width: int
    height: int
    duration_s: float


def new_video_id() -> str:
    """A random public id (128 bits) so that video URLs cannot be enumerated."""
    return secrets.token_hex(16)


def probe_video(raw: bytes, *, max_bytes: int, max_seconds: int) -> ProbedVideo:
    """Check an upload by its content (see the module); raises VideoRejected."""
    if not raw:
        raise VideoRejected("empty")
    if len(raw) > max_bytes:
        raise VideoRejected("too_large", mb=max_bytes // (1024 * 1024))
    import av

    try:
        container = av.open(io.BytesIO(raw), mode="r")
    except av.FFmpegError:
        # A file that starts like MP4/MOV or Matroska but cannot be opened is damaged
        # (a MOV cut before its index); anything else is not a video.
        raise VideoRejected("broken" if _looks_like_video(raw) else "not_video") from None
    try:
        return _probe(container, max_seconds, len(raw))
    except av.FFmpegError:
        raise VideoRejected("broken") from None
    finally:
        container.close()


def _looks_like_video(raw: bytes) -> bool:
    return raw[4:8] == b"ftyp" or raw[:4] == b"\x1a\x45\xdf\xa3"


def _probe(container, max_seconds: int, size: int) -> ProbedVideo:
    import av

    if container.format.name not in ACCEPTED_CONTAINERS or not container.streams.video:
        raise VideoRejected("not_video")
    stream = container.streams.video[0]
    width, height = stream.codec_context.width, stream.codec_context.height
    if not width or not height:
        raise VideoRejected("broken")
    if width * height > MAX_INPUT_PIXELS or max(width, height) > MAX_INPUT_SIDE:
        raise VideoRejected("too_big", width=width, height=height)
    declared = container.duration / av.time_base if container.duration else 0.0
    if declared > max_seconds + DURATION_SLACK:
        raise VideoRejected("too_long", seconds=max_seconds)
    measured = _demux_all(container, stream, max_seconds, size)
    _first_frame(container)
    return ProbedVideo(
        duration_s=round(max(declared, measured), 3),
        width=width,
        height=height,
        has_audio=bool(container.streams.audio),
    )


def _demux_all(container, stream, max_seconds: int, size: int) -> float:
    """Read every packet's header (no decoding): the measured duration of the video
    stream; refuses a stream that runs past the limit, and a file that stops before the
    end its index declares (a truncated upload)."""
    limit = max_seconds + DURATION_SLACK
    counts: dict[int, int] = {}
    last = 0.0
    for packet in container.demux():
        if packet.size == 0:
            continue
        if packet.is_corrupt or (packet.pos is not None and packet.pos + packet.size > size):
            raise VideoRejected("broken")  # the packet runs past the end of the file
        counts[packet.stream.index] = counts.get(packet.stream.index, 0) + 1
        if packet.pts is not None and packet.time_base is not None:
            last = max(last, float(packet.pts * packet.time_base))
        if last > limit or counts[packet.stream.index] > limit * MAX_FPS:
            raise VideoRejected("too_long", seconds=max_seconds)
    if not counts.get(stream.index):
        raise VideoRejected("broken")
    for each in container.streams:
        if each.frames and counts.get(each.index, 0) < each.frames:
            raise VideoRejected("broken")  # the index promises more than the file has
    return last


def _first_frame(container) -> None:
    """Decode until the first picture: a video whose first frame cannot be decoded is
    damaged (or is not what its header claims)."""
    container.seek(0)
    for _frame in container.decode(video=0):
        return
    raise VideoRejected("broken")


def output_size(width: int, height: int, max_height: int) -> tuple[int, int]:
    """Width and height (even numbers) with the shorter side at most ``max_height``."""
    scale = min(1.0, max_height / min(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def transcode_video(raw: bytes, *, max_seconds: int, max_height: int) -> EncodedVideo:
    """Re-encode an upload that passed ``probe_video`` (see the module); raises
    VideoRejected when it turns out damaged or longer than declared."""
    import av

    with tempfile.TemporaryDirectory(prefix="portal-video-") as folder:
        path = os.path.join(folder, "video.mp4")
        try:
            turns = _quarter_turns(raw)
            with av.open(io.BytesIO(raw), mode="r") as source:
                result = _encode(source, path, max_seconds, max_height, turns)
        except av.FFmpegError:
            raise VideoRejected("broken") from None
        with open(path, "rb") as encoded:
            data = encoded.read()
    return EncodedVideo(data=data, **result)


def _quarter_turns(raw: bytes) -> int:
    """Counter-clockwise quarter turns that make the video upright (its display matrix,
    as the decoder reports it on the first frame)."""
    import av

    with av.open(io.BytesIO(raw), mode="r") as source:
        for frame in source.decode(video=0):
            return round((frame.rotation or 0) / 90) % 4
    raise VideoRejected("broken")


def _upright(frame: av.VideoFrame, size: tuple[int, int], turns: int) -> av.VideoFrame:
    """The frame scaled to ``size`` (upright width, height) as yuv420p, turned upright."""
    import av

    width, height = size
    if not turns:
        return frame.reformat(width=width, height=height, format="yuv420p")
    coded = (height, width) if turns % 2 else (width, height)
    pixels = frame.reformat(width=coded[0], height=coded[1], format="rgb24").to_ndarray()
    turned = np.ascontiguousarray(np.rot90(pixels, turns))
    return av.VideoFrame.from_ndarray(turned, format="rgb24").reformat(format="yuv420p")


# size: one decode loop feeds both encoders and the poster
def _encode(source, path: str, max_seconds: int, max_height: int, turns: int) -> dict:
    """Decode ``source`` and write ``path``; returns the EncodedVideo fields but data."""
    import av

    in_video = source.streams.video[0]
    in_video.thread_type = "AUTO"
    in_audio = source.streams.audio[0] if source.streams.audio else None
    coded_width, coded_height = in_video.codec_context.width, in_video.codec_context.height
    if turns % 2:
        coded_width, coded_height = coded_height, coded_width
    width, height = output_size(coded_width, coded_height, max_height)
    rate = in_video.average_rate or Fraction(30)
    options = {"movflags": "+faststart", "fflags": "+bitexact"}
    poster: bytes | None = None
    last_pts = -1
    limit = max_seconds + DURATION_SLACK
    with av.open(path, mode="w", format="mp4", options=options) as output:
        video = output.add_stream("libx264", rate=rate, options=H264_OPTIONS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.time_base = Fraction(1, 1000)
        audio = resampler = None
        if in_audio is not None:
            audio = output.add_stream("aac", rate=AUDIO_RATE)
            audio.layout = "stereo"
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        streams = [in_video] + ([in_audio] if in_audio is not None else [])
        for packet in source.demux(*streams):
            for frame in packet.decode():
                if frame.time is not None and frame.time > limit:
                    raise VideoRejected("too_long", seconds=max_seconds)
                if packet.stream is in_video:
                    picture = _upright(frame, (width, height), turns)
                    pts = round((frame.time or 0.0) * 1000)
                    if pts <= last_pts:
                        pts = last_pts + 1  # keep timestamps strictly increasing
                    last_pts = pts
                    picture.pts, picture.time_base = pts, Fraction(1, 1000)
                    if poster is None:
                        poster = _poster(picture)
                    output.mux(video.encode(picture))
                else:
                    for chunk in resampler.resample(frame):
                        chunk.pts = None
                        output.mux(audio.encode(chunk))
        output.mux(video.encode())
        if audio is not None:
            output.mux(audio.encode())
    if poster is None:
        raise VideoRejected("broken")
    return {
        "poster": poster,
        "width": width,
        "height": height,
        "duration_s": round(max(last_pts, 0) / 1000, 3),
    }


def _poster(picture) -> bytes:
    """The first frame as a JPEG: pixels only (a fresh Pillow image carries no info)."""
    from PIL import Image

    image = picture.to_image()
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=POSTER_QUALITY)
    return out.getvalue()
