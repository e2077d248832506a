"""Citizens' photos: judged by content, re-encoded without metadata, served when public.

An upload is accepted only when Pillow recognises it as JPEG, PNG or WebP (the file name
and the declared type are ignored), it is at most MAX_PHOTO_BYTES long and it does not
decompress to an absurd number of pixels. The stored photo is a fresh JPEG at most
PHOTO_MAX_SIDE pixels on its longest side, with no EXIF (and so no GPS) at all: the
original bytes are never stored.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import or_, select

from portal.extensions import db
from portal.models import PUBLIC_STATUSES, Answer, Appeal, Photo

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
#: Refuse images that would decompress to more pixels than this (decompression bombs).
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85

MESSAGES = {
    "empty": _l("The file is empty."),
    "too_large": _l("The photo is larger than %(mb)s MB."),
    "not_image": _l("Only JPEG, PNG and WebP photos are accepted."),
    "bomb": _l("The image is too large to process."),
    "broken": _l("The photo could not be read; it may be damaged."),
}


class PhotoRejected(ValueError):
    """An upload that is not an acceptable photo; ``message`` is translated."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])


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
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that: refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw), formats=sorted(ACCEPTED_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected("bomb") from None
        except UnidentifiedImageError:
            raise PhotoRejected("not_image") from None
        except (OSError, ValueError, SyntaxError):
            raise PhotoRejected("broken") from None
        with image:
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoRejected("not_image")
            width, height = image.size
            frames = getattr(image, "n_frames", 1)
            if width * height * max(frames, 1) > MAX_PIXELS or width * height == 0:
                raise PhotoRejected("bomb")
            try:
                image.seek(0)
                if image.format == "JPEG":
                    image.draft("RGB", (max_side, max_side))  # decode at reduced size
                image.load()
                upright = ImageOps.exif_transpose(image)
                converted = _to_rgb(upright)
                converted.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                # No exif=, no icc_profile=, no comment: the new file carries pixels only.
                converted.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise PhotoRejected("bomb") from None
            except (OSError, ValueError, SyntaxError, EOFError):
                raise PhotoRejected("broken") from None
    return ProcessedPhoto(out.getvalue(), converted.width, converted.height)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white and drop palettes (JPEG has neither)."""
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
    when that answer is published), else None."""
    query = (
        select(Photo)
        .join(Appeal, Appeal.id == Photo.appeal_id)
        .outerjoin(Answer, Answer.id == Photo.answer_id)
        .where(
            Photo.public_id == public_id,
            Appeal.status.in_(PUBLIC_STATUSES),
            or_(Photo.answer_id.is_(None), Answer.public_text.is_not(None)),
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
