"""Citizens' photos: judged by content, re-encoded without metadata, served when public.

An upload is accepted only when Pillow recognises it as JPEG, PNG or WebP (the file name
and the declared type are ignored) and it is at most MAX_PHOTO_BYTES long. The stored
photo is a fresh JPEG of the pixels alone, at most PHOTO_MAX_SIDE pixels on its longest
side: no EXIF (and so no GPS), XMP, IPTC, JPEG comment, PNG text chunk or ICC profile
(which can name the device; colours are converted to sRGB first). The original bytes are
never stored.

Memory is bounded before anything is decoded: ``Image.open`` reads only the header, so
the pixels × bytes per pixel of every step (``WORKING_BYTES_PER_PIXEL``) are known and an
image whose working set would exceed ``MAX_WORKING_BYTES`` is refused. JPEGs are decoded
reduced (``draft``: 1/2, 1/4, 1/8 scale) to about the stored size; other formats are
reduced by an integer factor right after decoding, before any other copy is made.
``bench/photos.py`` and a test measure the peak.

Pillow is imported by the functions that process a photo, not with this module: a web
worker that only serves stored photos does not load it.
"""

from __future__ import annotations

import io
import math
import secrets
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from portal.extensions import db
from portal.media import MediaRejected
from portal.models import PUBLIC_STATUSES, Answer, Appeal, Photo

if TYPE_CHECKING:
    from PIL import Image

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
#: Refuse images that would decompress to more pixels than this (decompression bombs).
MAX_PIXELS = 40_000_000
#: Largest working set of one photo's pixels (decoded image and its full-size copies);
#: with the reduced copy and the encoder, one photo stays well under 150 MB.
MAX_WORKING_BYTES = 100 * 1024 * 1024
#: Bytes per pixel of the full-size images one photo needs at the same time, by the mode
#: Pillow decodes into: 1, L and P images take a byte, 16-bit grey two (plus a scaled
#: copy and an 8-bit one), every other mode four (Pillow pads RGB to four).
WORKING_BYTES_PER_PIXEL = {"L": 1, "1": 5, "P": 5, "I;16": 5, "I;16B": 5, "I;16L": 5}
DEFAULT_BYTES_PER_PIXEL = 4
JPEG_QUALITY = 85

MESSAGES = {
    "empty": _l("The file is empty."),
    "too_large": _l("The photo is larger than %(mb)s MB."),
    "not_image": _l("Only JPEG, PNG and WebP photos are accepted."),
    "bomb": _l("The image is too large to process."),
    "too_many_pixels": _l(
        "The image has too many pixels to process (%(mp)s megapixels). "
        "Please send a smaller photo, for example a JPEG from a phone camera."
    ),
    "broken": _l("The photo could not be read; it may be damaged."),
}


class PhotoRejected(MediaRejected):
    """An upload that is not an acceptable photo; ``message`` is translated."""

    MESSAGES = MESSAGES


@dataclass(frozen=True)
class ProcessedPhoto:
    """A re-encoded photo ready to store."""

    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def process_photo(raw: bytes, *, max_bytes: int, max_side: int) -> ProcessedPhoto:
    """Check an upload by its content and re-encode it; raises PhotoRejected."""
    if not raw:
        raise PhotoRejected("empty")
    if len(raw) > max_bytes:
        raise PhotoRejected("too_large", mb=max_bytes // (1024 * 1024))
    from PIL import Image

    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that: refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(raw)
        try:
            _check_size(image, max_side)
        except PhotoRejected:
            image.close()
            raise
        try:
            image.load()
            small = _reduced(image, max_side)
            if small is not image:
                image.close()  # free the full-size pixels before more copies are made
            converted = _publishable(small, max_side)
            out = io.BytesIO()
            converted.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected("bomb") from None
        except (OSError, ValueError, SyntaxError, EOFError):
            raise PhotoRejected("broken") from None
        finally:
            image.close()
    return ProcessedPhoto(out.getvalue(), converted.width, converted.height)


def _open(raw: bytes) -> Image.Image:
    """The image with its header read, nothing decoded yet."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(raw), formats=sorted(ACCEPTED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected("bomb") from None
    except UnidentifiedImageError:
        raise PhotoRejected("not_image") from None
    except (OSError, ValueError, SyntaxError):
        raise PhotoRejected("broken") from None
    if image.format not in ACCEPTED_FORMATS:
        image.close()
        raise PhotoRejected("not_image")
    return image


def working_bytes(mode: str, size: tuple[int, int]) -> int:
    """Bytes of full-size pixels processing an image of ``mode`` and ``size`` holds at once."""
    width, height = size
    return width * height * WORKING_BYTES_PER_PIXEL.get(mode, DEFAULT_BYTES_PER_PIXEL)


def _check_size(image: Image.Image, max_side: int) -> None:
    """Refuse what would take too much memory, before decoding (a JPEG is drafted first:
    it will be decoded at 1/2, 1/4 or 1/8 scale, at least the size that will be stored)."""
    width, height = image.size
    frames = getattr(image, "n_frames", 1)
    if width * height * max(frames, 1) > MAX_PIXELS or width * height == 0:
        raise PhotoRejected("bomb")
    if image.format == "JPEG":
        scale = min(1.0, max_side / max(width, height))
        image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
    if working_bytes(image.mode, image.size) > MAX_WORKING_BYTES:
        raise PhotoRejected("too_many_pixels", mp=round(width * height / 1e6, 1))


def _reduced(image: Image.Image, max_side: int) -> Image.Image:
    """The decoded image in a mode Pillow can resize, shrunk by an integer factor to no
    less than ``max_side`` (one cheap box filter; the fine resize comes later)."""
    if image.mode.startswith("I;16"):
        image = image.point(lambda value: value / 256).convert("L")
    elif image.mode in ("1", "P"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    factor = max(image.size) // max_side
    return image.reduce(factor) if factor > 1 else image


def _publishable(image: Image.Image, max_side: int) -> Image.Image:
    """At most ``max_side``, upright, RGB in sRGB, and with no metadata at all."""
    from PIL import Image, ImageOps

    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # square box: turn later
    image = ImageOps.exif_transpose(image)
    icc = image.info.get("icc_profile")
    image = _to_rgb(image)
    if icc:
        image = _to_srgb(image, icc)
    # Pillow's JPEG writer copies a comment (and would copy more) from ``info``: the new
    # file must carry pixels only.
    image.info = {}
    return image


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """Colours converted from the embedded profile to sRGB (kept as they are when the
    profile is unusable); the profile itself, which may name the device, is dropped."""
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"))
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white and drop palettes (JPEG has neither)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def new_photo_id() -> str:
    """A random public id (128 bits) so that photo URLs cannot be enumerated."""
    return secrets.token_hex(16)


def published_photo(public_id: str) -> Photo | None:
    """The stored photo when its appeal is public (and, for a photo attached to an answer,
    when that answer is published) or when it is a news item's (news is public as soon as
    it exists), else None."""
    of_public_appeal = and_(
        Appeal.status.in_(PUBLIC_STATUSES),
        or_(Photo.answer_id.is_(None), Answer.public_text.is_not(None)),
    )
    query = (
        select(Photo)
        .outerjoin(Appeal, Appeal.id == Photo.appeal_id)
        .outerjoin(Answer, Answer.id == Photo.answer_id)
        .where(
            Photo.public_id == public_id,
            or_(Photo.news_item_id.is_not(None), of_public_appeal),
        )
    )
    return db.session.scalars(query).first()


def appeal_photos(appeal_id: int) -> list[Photo]:
    """The citizen's own photos of an appeal (not those of answers), oldest first."""
    query = (
        select(Photo)
        .where(Photo.appeal_id == appeal_id, Photo.answer_id.is_(None))
        .order_by(Photo.id)
    )
    return list(db.session.scalars(query))


def appeal_photo(appeal_id: int, public_id: str) -> Photo | None:
    """One of the citizen's own photos of an appeal, or None."""
    query = select(Photo).where(
        Photo.appeal_id == appeal_id, Photo.answer_id.is_(None), Photo.public_id == public_id
    )
    return db.session.scalars(query).first()
