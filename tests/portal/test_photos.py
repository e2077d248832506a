"""Citizens' photos: judged by content, re-encoded without EXIF/GPS, served only when public."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Appeal, AppealStatus, Photo
from portal.photos import PhotoRejected, process_photo
from portal.services.publication import fixture_writes, store_photo

#: Messages below are the English msgids.
pytestmark = pytest.mark.language("en")

MB = 1024 * 1024
GPS_IFD = 0x8825
BENCH = Path(__file__).resolve().parents[2] / "bench" / "photos.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_photos", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def jpeg_with_gps(size=(800, 600), color=(200, 30, 30), orientation: int | None = None) -> bytes:
    """A JPEG carrying sentinel camera data and a GPS position (42.875 N, 74.603 E)."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "SentinelCam"  # Make
    exif[0x0131] = "SentinelSoftware"  # Software
    exif[GPS_IFD] = {1: "N", 2: (42.0, 52.0, 30.0), 3: "E", 4: (74.0, 36.0, 10.0)}
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def image_bytes(fmt: str, size=(64, 48), mode="RGB", **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 128 if mode in ("L", "1", "P") else (10, 120, 200)).save(
        out, fmt, **options
    )
    return out.getvalue()


def process(raw: bytes, max_bytes: int = 10 * MB, max_side: int = 2048):
    return process_photo(raw, max_bytes=max_bytes, max_side=max_side)


def test_stored_photo_has_no_exif_and_no_gps():
    raw = jpeg_with_gps()
    assert b"SentinelCam" in raw  # the fixture really carries metadata
    photo = process(raw)
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info
    assert b"SentinelCam" not in photo.data and b"SentinelSoftware" not in photo.data
    assert photo.content_type == "image/jpeg"


def test_large_photo_is_scaled_to_the_longest_side():
    photo = process(jpeg_with_gps(size=(4000, 1000)), max_side=2048)
    assert (photo.width, photo.height) == (2048, 512)
    assert Image.open(io.BytesIO(photo.data)).size == (2048, 512)


def test_orientation_is_applied_before_exif_is_dropped():
    photo = process(jpeg_with_gps(size=(400, 200), orientation=6))  # rotated 90°
    assert (photo.width, photo.height) == (200, 400)


@pytest.mark.parametrize(
    "raw",
    [
        image_bytes("PNG", mode="RGBA"),
        image_bytes("PNG", mode="P", transparency=0),
        image_bytes("WEBP"),
        image_bytes("JPEG", mode="L"),
    ],
    ids=["png-rgba", "png-palette", "webp", "jpeg-grey"],
)
def test_png_webp_and_jpeg_are_accepted_and_become_jpeg(raw):
    photo = process(raw)
    assert Image.open(io.BytesIO(photo.data)).format == "JPEG"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "empty"),
        (image_bytes("GIF", mode="P"), "not_image"),
        (image_bytes("BMP"), "not_image"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "not_image"),
        (b"<?php system($_GET['c']); ?>", "not_image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not_image"),
        (jpeg_with_gps()[:400], "broken"),
    ],
    ids=["empty", "gif", "bmp", "pdf", "php", "svg", "truncated-jpeg"],
)
def test_uploads_are_judged_by_content(raw, code):
    with pytest.raises(PhotoRejected) as rejected:
        process(raw)
    assert rejected.value.code == code


def test_too_large_upload_is_refused_before_decoding():
    with pytest.raises(PhotoRejected) as rejected:
        process(jpeg_with_gps(), max_bytes=1000)
    assert rejected.value.code == "too_large"


def test_decompression_bomb_is_refused():
    # 12 000 × 12 000 one-bit pixels: a few kilobytes on disk, 144 megapixels decoded.
    bomb = image_bytes("PNG", size=(12_000, 12_000), mode="1")
    assert len(bomb) < 100_000
    with pytest.raises(PhotoRejected) as rejected:
        process(bomb)
    assert rejected.value.code == "bomb"


def test_moderately_huge_image_is_refused_too():
    bomb = image_bytes("PNG", size=(8_000, 6_000), mode="1")  # 48 MP, below Pillow's warning
    with pytest.raises(PhotoRejected) as rejected:
        process(bomb)
    assert rejected.value.code == "bomb"


# --- Through the form and the photo URL --------------------------------------------------


def appeal_form(**overrides) -> dict:
    data = {
        "city": "bishkek",
        "category": "pothole",
        "description": "Глубокая яма на проезжей части, машины объезжают по встречной полосе.",
        "lat": "42.8746",
        "lon": "74.6122",
        "consent": "true",
    }
    data.update(overrides)
    return data


def submit_with_photos(client, *photos: tuple[bytes, str]):
    data = appeal_form()
    data["photos"] = [(io.BytesIO(raw), name) for raw, name in photos]
    return client.post("/appeals/new", data=data, content_type="multipart/form-data")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_form_upload_stores_a_clean_copy(client):
    response = submit_with_photos(client, (jpeg_with_gps(size=(3000, 2000)), "IMG_0001.JPG"))
    assert response.status_code == 302
    photo = db.session.scalars(select(Photo)).one()
    assert photo.content_type == "image/jpeg" and max(photo.width, photo.height) == 2048
    assert b"SentinelCam" not in photo.data
    assert dict(Image.open(io.BytesIO(photo.data)).getexif()) == {}
    assert len(photo.public_id) == 32  # 128 random bits, not guessable
    assert db.session.scalars(select(Appeal)).one().photo_count == 1


@pytest.mark.parametrize(
    ("raw", "name", "message"),
    [
        (b"GIF89a not really", "holiday.jpg", "Only JPEG, PNG and WebP photos are accepted."),
        (image_bytes("GIF", mode="P"), "cat.gif", "Only JPEG, PNG and WebP photos are accepted."),
        (
            image_bytes("PNG", size=(12_000, 12_000), mode="1"),
            "bomb.png",
            "The image is too large to process.",
        ),
        (jpeg_with_gps()[:300], "cut.jpg", "The photo could not be read"),
    ],
    ids=["text-named-jpg", "gif", "bomb", "truncated"],
)
def test_form_rejects_bad_photos_and_stores_nothing(client, raw, name, message):
    response = submit_with_photos(client, (jpeg_with_gps(), "good.jpg"), (raw, name))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert "Photo 2" in page
    assert "машины объезжают" in page  # what the user typed is kept
    assert count(Appeal) == 0 and count(Photo) == 0


def test_form_rejects_a_photo_over_the_size_limit(app, client):
    app.config.update(MAX_PHOTO_BYTES=1 * MB, MAX_CONTENT_LENGTH=4 * MB)
    out = io.BytesIO()
    Image.effect_noise((1400, 1400), 90).convert("RGB").save(out, "JPEG", quality=100)
    big = out.getvalue()
    assert MB < len(big) < 4 * MB  # over the photo limit, under the request limit
    response = submit_with_photos(client, (big, "big.jpg"))
    assert response.status_code == 400
    assert "The photo is larger than 1 MB." in response.get_data(as_text=True)
    assert count(Appeal) == 0 and count(Photo) == 0


def test_too_many_photos_are_refused(client):
    photos = [(jpeg_with_gps(), f"p{i}.jpg") for i in range(4)]
    response = submit_with_photos(client, *photos)
    assert response.status_code == 400
    assert "Attach at most 3 photos." in response.get_data(as_text=True)
    assert count(Appeal) == 0


def test_photo_is_served_only_after_publication(client, app):
    submit_with_photos(client, (jpeg_with_gps(), "a.jpg"))
    photo = db.session.scalars(select(Photo)).one()
    assert client.get(f"/photos/{photo.public_id}").status_code == 404
    appeal = db.session.scalars(select(Appeal)).one()
    appeal.status = AppealStatus.PUBLISHED
    db.session.commit()
    response = client.get(f"/photos/{photo.public_id}")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert b"SentinelCam" not in response.data
    assert client.get("/photos/0123456789abcdef0123456789abcdef").status_code == 404
    appeal.status = AppealStatus.REJECTED
    db.session.commit()
    assert client.get(f"/photos/{photo.public_id}").status_code == 404


def test_a_photo_of_an_answer_is_served_only_once_the_answer_is_published(
    client, make_appeal, make_answer
):
    appeal = make_appeal(status=AppealStatus.PUBLISHED)
    answer = make_answer(appeal)
    answer.public_text = None  # waiting for a moderator
    stored = store_photo(appeal, process(jpeg_with_gps()), answer=answer)
    db.session.commit()
    assert client.get(f"/photos/{stored.public_id}").status_code == 404
    with fixture_writes():
        answer.public_text = "Работы выполнены."
    db.session.commit()
    assert client.get(f"/photos/{stored.public_id}").status_code == 200


def test_the_citizen_sees_their_own_photos_before_publication(client):
    response = submit_with_photos(client, (jpeg_with_gps(), "a.jpg"))
    token = response.headers["Location"].split("/t/")[1].split("?")[0]
    photo = db.session.scalars(select(Photo)).one()
    page = client.get(f"/t/{token}").get_data(as_text=True)
    assert f"/t/{token}/photos/{photo.public_id}" in page
    own = client.get(f"/t/{token}/photos/{photo.public_id}")
    assert own.status_code == 200 and own.mimetype == "image/jpeg"
    assert own.headers["Cache-Control"] == "private, no-store"
    assert b"SentinelCam" not in own.data
    assert client.get(f"/photos/{photo.public_id}").status_code == 404  # not public yet
    assert client.get(f"/t/wrong-token/photos/{photo.public_id}").status_code == 404
    # Another appeal's link does not open this photo.
    other = submit_with_photos(client)
    other_token = other.headers["Location"].split("/t/")[1].split("?")[0]
    assert client.get(f"/t/{other_token}/photos/{photo.public_id}").status_code == 404


# --- Metadata and memory ---------------------------------------------------------------------

SENTINEL = b"ZARYLBEK-SENTINEL"
#: JPEG markers a re-encoded photo may contain: image data only (APP0 is JFIF's header).
PIXEL_MARKERS = {0xD8, 0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD, 0xDA}


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's segments up to the image data (SOS)."""
    assert data[:2] == b"\xff\xd8"
    markers, position = [0xD8], 2
    while position < len(data):
        assert data[position] == 0xFF, "not at a marker"
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        position += 2 + length
    raise AssertionError("no image data")


def srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_with_every_segment() -> bytes:
    """EXIF, XMP, ICC, a comment (COM) and an IPTC block (APP13), each with a sentinel."""
    exif = Image.Exif()
    exif[0x013B] = SENTINEL.decode()  # Artist
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (40, 90, 160)).save(
        out, "JPEG", exif=exif, comment=SENTINEL + b" comment", icc_profile=srgb_profile(),
        xmp=b"<x:xmpmeta><dc:creator>" + SENTINEL + b"</dc:creator></x:xmpmeta>",
    )  # fmt: skip
    data = out.getvalue()
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + SENTINEL
    app13 = b"\xff\xed" + (len(iptc) + 2).to_bytes(2, "big") + iptc
    return data[:2] + app13 + data[2:]


def png_with_text_chunks() -> bytes:
    """tEXt, zTXt and iTXt chunks, an eXIf chunk and an ICC profile (iCCP)."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", SENTINEL.decode())  # tEXt
    info.add_text("Comment", SENTINEL.decode() + " compressed", zip=True)  # zTXt
    info.add_itxt("Description", SENTINEL.decode() + " international", lang="ru")  # iTXt
    exif = Image.Exif()
    exif[0x010E] = SENTINEL.decode()
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (40, 90, 160)).save(
        out, "PNG", pnginfo=info, exif=exif, icc_profile=srgb_profile()
    )
    return out.getvalue()


@pytest.mark.parametrize(
    ("raw", "chunks"),
    [
        (jpeg_with_every_segment(), {0xE1, 0xE2, 0xED, 0xFE}),  # APP1 APP2 APP13 COM
        (png_with_text_chunks(), {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"}),
    ],
    ids=["jpeg-exif-xmp-icc-iptc-comment", "png-text-chunks-exif-icc"],
)
def test_every_metadata_segment_is_gone(raw, chunks):
    if raw[:2] == b"\xff\xd8":
        assert chunks <= set(jpeg_markers(raw))  # the input really has them
    else:
        assert all(tag in raw for tag in chunks)
    assert raw.count(SENTINEL) >= 3
    photo = process(raw)
    assert SENTINEL not in photo.data
    assert set(jpeg_markers(photo.data)) <= PIXEL_MARKERS  # pixels only: no APPn but JFIF
    assert Image.open(io.BytesIO(photo.data)).info.keys() <= {
        "jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi",
    }  # fmt: skip


def test_a_huge_16_bit_png_is_refused_before_decoding_with_a_clear_error(app):
    raw = _bench_module().make("40 MP 16-bit RGB PNG (the issue's)")
    with pytest.raises(PhotoRejected) as rejected:
        process(raw)
    assert rejected.value.code == "too_many_pixels"
    with app.test_request_context("/?lang=en"):
        assert "too many pixels to process (39.7 megapixels)" in rejected.value.message


def test_one_photo_stays_within_the_memory_bound():
    """Peak RSS of processing, each in a fresh process (bench/photos.py measures it)."""
    cases = [
        "40 MP 16-bit RGB PNG (the issue's)",
        "40 MP 16-bit grey PNG",
        "21 MP 16-bit grey PNG (largest accepted)",
    ]
    command = [sys.executable, str(BENCH), "--json", *[f"--case={case}" for case in cases]]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    figures = {row["case"]: row for row in map(json.loads, done.stdout.splitlines())}
    assert (
        figures[cases[0]]["outcome"] == figures[cases[1]]["outcome"] == "refused (too_many_pixels)"
    )
    assert figures[cases[2]]["outcome"] == "stored 2048×2048"
    for row in figures.values():
        assert row["peak_mb"] < 150, row
    assert figures[cases[2]]["peak_mb"] > 50  # the measurement does see the decoding
