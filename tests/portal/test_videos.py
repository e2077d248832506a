"""Short videos: probed in the request, re-encoded by the job queue without metadata (a
phone's GPS location must not survive), shown only after a moderator published them."""

from __future__ import annotations

import io
import time
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Appeal, AppealStatus, Video, VideoState
from portal.services import videos as video_service
from portal.videos import VideoRejected, probe_video, transcode_video
from tests.portal.test_photos import appeal_form
from tests.video_samples import GPS_LOCATION, make_video

#: Messages below are the English msgids.
pytestmark = pytest.mark.language("en")

MB = 1024 * 1024
LIMITS = {"max_bytes": 50 * MB, "max_seconds": 60}
#: Atoms a phone's MOV/MP4 carries its location in: QuickTime ©xyz, 3GPP loci.
LOCATION_ATOMS = (b"\xa9xyz", b"loci")


def gps_mov() -> bytes:
    """A MOV the way phones write it: a ©xyz location atom and the device's make."""
    return make_video(container="mov", metadata={"location": GPS_LOCATION, "make": "SentinelPhone"})


def ten_hour_video() -> bytes:
    """Two frames ten hours apart: a small file that declares (and is) a 10-hour video."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as output:
        stream = output.add_stream("libx264", rate=1)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for pts in (0, 36_000):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1)
            output.mux(stream.encode(frame))
        output.mux(stream.encode())
    return buffer.getvalue()


# --- The re-encoding ------------------------------------------------------------------------


def test_gps_location_does_not_survive_re_encoding():
    raw = gps_mov()
    assert b"\xa9xyz" in raw and GPS_LOCATION.encode() in raw  # the sentinel is planted
    assert av.open(io.BytesIO(raw)).metadata["location"] == GPS_LOCATION
    encoded = transcode_video(raw, max_seconds=60, max_height=720)
    for atom in (*LOCATION_ATOMS, GPS_LOCATION.encode(), b"+42.87", b"SentinelPhone", b"Lavf"):
        assert atom not in encoded.data
    with av.open(io.BytesIO(encoded.data)) as output:
        tags = dict(output.metadata)
        assert not {"location", "location-eng", "make", "encoder", "creation_time"} & set(tags)
        assert [s.codec_context.name for s in output.streams] == ["h264", "aac"]
        for stream in output.streams:
            assert set(stream.metadata) <= {"language", "handler_name"}
    assert encoded.data[4:8] == b"ftyp" and encoded.data.find(b"moov") < encoded.data.find(b"mdat")
    poster = Image.open(io.BytesIO(encoded.poster))
    assert poster.format == "JPEG" and poster.size == (64, 48)
    assert dict(poster.getexif()) == {} and GPS_LOCATION.encode() not in encoded.poster


def test_mp4_location_box_is_dropped_too():
    raw = make_video(metadata={"location": GPS_LOCATION})
    with av.open(io.BytesIO(raw)) as source:
        assert source.metadata["location"] == GPS_LOCATION
    encoded = transcode_video(raw, max_seconds=60, max_height=720)
    with av.open(io.BytesIO(encoded.data)) as output:
        assert "location" not in output.metadata
    assert not any(atom in encoded.data for atom in LOCATION_ATOMS)


def test_full_hd_becomes_720p_and_keeps_its_length():
    raw = make_video(width=1920, height=1080, seconds=1.0, fps=10)
    encoded = transcode_video(raw, max_seconds=60, max_height=720)
    assert (encoded.width, encoded.height) == (1280, 720)
    with av.open(io.BytesIO(encoded.data)) as output:
        assert output.streams.video[0].codec_context.height == 720
        assert 0.8 <= output.duration / av.time_base <= 1.2


# --- Bad inputs: refused in the request, with a clear message ------------------------------


BAD = {
    "fake-type": (b"\xff\xd8\xff\xe0" + b"\0" * 2000, "not_video"),
    "text": (b"this is not a video, just text " * 50, "not_video"),
    "truncated-mov": (gps_mov()[:-4000], "broken"),
    "absurd-resolution": (make_video(width=4200, height=64, seconds=0.2, audio=False), "too_big"),
    "ten-hours": (ten_hour_video(), "too_long"),
    "empty": (b"", "empty"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_uploads_are_refused_by_the_probe(name):
    raw, code = BAD[name]
    started = time.perf_counter()
    with pytest.raises(VideoRejected) as refused:
        probe_video(raw, **LIMITS)
    assert refused.value.code == code
    assert time.perf_counter() - started < 5  # bounded: the probe decodes one frame


def test_a_file_cut_anywhere_after_its_index_is_refused():
    whole = transcode_video(make_video(seconds=2), max_seconds=60, max_height=720).data
    assert probe_video(whole, **LIMITS).has_audio
    for cut in (len(whole) * 2 // 3, len(whole) - 100):
        with pytest.raises(VideoRejected) as refused:
            probe_video(whole[:cut], **LIMITS)
        assert refused.value.code == "broken"


def test_longer_than_the_limit_and_larger_than_the_limit():
    with pytest.raises(VideoRejected) as refused:
        probe_video(make_video(seconds=3, fps=5, audio=False), max_bytes=50 * MB, max_seconds=1)
    assert refused.value.code == "too_long"
    assert "longer than 1 seconds" in refused.value.message
    with pytest.raises(VideoRejected) as refused:
        probe_video(make_video(), max_bytes=1000, max_seconds=60)
    assert refused.value.code == "too_large"


# --- Through the form, the job and moderation -----------------------------------------------


def submit_with_video(client, raw: bytes, name: str = "VID_0001.MOV"):
    data = appeal_form(video=(io.BytesIO(raw), name))
    return client.post("/appeals/new", data=data, content_type="multipart/form-data")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("fake-type", "Only videos (MP4, MOV, 3GP, WebM) are accepted."),
        ("truncated-mov", "may be damaged or incomplete"),
        ("ten-hours", "The video is longer than 60 seconds."),
        ("absurd-resolution", "resolution is too large (4200 × 64)"),
    ],
)
def test_the_form_refuses_a_bad_video_and_stores_nothing(client, name, message):
    response = submit_with_video(client, BAD[name][0])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert "машины объезжают" in page  # what the citizen typed is kept
    assert count(Appeal) == 0 and count(Video) == 0


def test_the_form_refuses_a_video_over_the_size_limit(app, client):
    app.config.update(MAX_VIDEO_BYTES=MB // 2)
    response = submit_with_video(client, b"\0" * MB)
    assert response.status_code == 400
    assert "The video is larger than 0 MB." in response.get_data(as_text=True)
    assert count(Appeal) == 0 and count(Video) == 0


def test_the_api_refuses_a_fake_video_under_its_part_and_stores_nothing(client):
    """What the OpenAPI document promises a city app: a 400 naming ``video``."""
    data = appeal_form(video=(io.BytesIO(BAD["fake-type"][0]), "clip.mp4"))
    response = client.post("/api/v1/appeals", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.json["errors"]["video"] == ["Only videos (MP4, MOV, 3GP, WebM) are accepted."]
    assert count(Appeal) == 0 and count(Video) == 0


def _moderate_appeal(client, appeal: Appeal) -> None:
    assert (
        client.post(f"/staff/moderation/{appeal.id}", data={"action": "publish"}).status_code == 302
    )


def test_a_video_is_re_encoded_and_shown_only_after_a_moderator_published_it(
    client, login_as, make_staff
):
    assert submit_with_video(client, gps_mov()).status_code == 302
    video = db.session.scalars(select(Video)).one()
    # JOBS_IMMEDIATE: the job ran after the submission committed
    assert video.state is VideoState.WAITING and video.answer_id is None
    assert video.private_raw == b""  # the upload (GPS atom and all) is gone once re-encoded
    assert b"\xa9xyz" not in video.data and GPS_LOCATION.encode() not in video.data
    appeal = db.session.scalars(select(Appeal)).one()
    login_as(make_staff(role="moderator"))
    _moderate_appeal(client, appeal)
    page = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert "<video" not in page  # the appeal is public, its video not yet
    assert client.get(f"/videos/{video.public_id}.mp4").status_code == 404
    assert client.get(f"/api/v1/appeals/{appeal.public_id}").json["video_url"] is None

    queue = client.get("/staff/moderation/videos").get_data(as_text=True)
    assert appeal.public_id in queue
    watch = client.get(f"/staff/moderation/videos/{video.id}/video.mp4")
    assert watch.status_code == 200 and watch.headers["Cache-Control"] == "private, no-store"
    decided = client.post(f"/staff/moderation/videos/{video.id}", data={"action": "publish"})
    assert decided.status_code == 302

    url = f"/videos/{video.public_id}.mp4"
    assert client.get(f"/api/v1/appeals/{appeal.public_id}").json["video_url"] == url
    page = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert f'src="{url}"' in page and f'poster="/videos/{video.public_id}.jpg"' in page
    served = client.get(url)
    assert served.status_code == 200 and served.mimetype == "video/mp4"
    assert served.data == video.data and b"\xa9xyz" not in served.data
    part = client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100  # players can seek
    poster = client.get(f"/videos/{video.public_id}.jpg")
    assert poster.status_code == 200 and poster.mimetype == "image/jpeg"
    again = client.post(f"/staff/moderation/videos/{video.id}", data={"action": "withhold"})
    assert again.status_code == 409  # decided once


def test_a_withheld_video_is_never_shown(client, login_as, make_staff):
    submit_with_video(client, make_video())
    video = db.session.scalars(select(Video)).one()
    appeal = db.session.scalars(select(Appeal)).one()
    login_as(make_staff(role="moderator"))
    _moderate_appeal(client, appeal)
    response = client.post(f"/staff/api/v1/moderation/videos/{video.id}/withhold", json={})
    assert response.status_code == 200
    assert response.json["video"] == {"id": video.id, "state": "withheld"}
    assert client.get(f"/videos/{video.public_id}.mp4").status_code == 404
    assert client.get(f"/videos/{video.public_id}.jpg").status_code == 404
    assert client.get(f"/api/v1/appeals/{appeal.public_id}").json["video_url"] is None


def test_a_published_video_of_an_unpublished_appeal_stays_hidden(client, login_as, make_staff):
    submit_with_video(client, make_video())
    video = db.session.scalars(select(Video)).one()
    login_as(make_staff(role="moderator"))
    client.post(f"/staff/moderation/videos/{video.id}", data={"action": "publish"})
    db.session.expire_all()
    assert db.session.get(Video, video.id).state is VideoState.PUBLISHED
    assert db.session.get(Appeal, video.appeal_id).status is AppealStatus.SUBMITTED
    assert client.get(f"/videos/{video.public_id}.mp4").status_code == 404


def test_only_moderators_decide_on_videos(client, login_as, make_staff):
    submit_with_video(client, make_video())
    video = db.session.scalars(select(Video)).one()
    login_as(make_staff(role="service", service="bsk-roads"))
    response = client.post(f"/staff/api/v1/moderation/videos/{video.id}/publish", json={})
    assert response.status_code == 403
    assert client.get(f"/staff/moderation/videos/{video.id}/video.mp4").status_code == 403
    db.session.expire_all()
    assert db.session.get(Video, video.id).state is VideoState.WAITING


def test_a_video_longer_than_its_header_said_fails_in_the_job(app, client):
    upload = make_video(seconds=3, fps=5)
    submit_with_video(client, upload)
    video = db.session.scalars(select(Video)).one()
    with db.session.begin_nested():  # as if the job had not run yet
        video.state, video.private_raw = VideoState.PROCESSING, upload
    db.session.commit()
    app.config["MAX_VIDEO_SECONDS"] = 1
    assert video_service.encode(video.id) is VideoState.FAILED
    db.session.expire_all()
    failed = db.session.get(Video, video.id)
    assert failed.private_failure == "too_long" and failed.private_raw == b""


def test_an_answer_carries_its_own_video(client, login_as, make_staff, make_appeal):
    appeal = make_appeal(status="published")
    login_as(make_staff(role="service", service="bsk-roads"))
    data = {
        "text": "Яма заделана бригадой сегодня.",
        "video": (io.BytesIO(make_video()), "result.mp4"),
    }
    response = client.post(
        f"/staff/appeals/{appeal.public_id}/answer", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    video = db.session.scalars(select(Video)).one()
    assert video.answer_id is not None and video.state is VideoState.WAITING
    login_as(make_staff(role="moderator"))
    client.post(f"/staff/moderation/videos/{video.id}", data={"action": "publish"})
    page = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert f'src="/videos/{video.public_id}.mp4"' in page
    assert client.get(f"/api/v1/appeals/{appeal.public_id}").json["video_url"] is None


def test_a_bad_answer_video_stores_no_answer(client, login_as, make_staff, make_appeal):
    appeal = make_appeal(status="published")
    login_as(make_staff(role="service", service="bsk-roads"))
    data = {"text": "Яма заделана бригадой сегодня.", "video": (io.BytesIO(b"nope" * 99), "a.mp4")}
    response = client.post(
        f"/staff/appeals/{appeal.public_id}/answer", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "Only videos (MP4, MOV, 3GP, WebM) are accepted." in response.get_data(as_text=True)
    assert count(Video) == 0
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.PUBLISHED


def test_a_portrait_phone_video_is_turned_upright():
    """Phones store portrait video landscape with a rotation in the display matrix; the
    matrix is dropped with the metadata, so the pixels are turned instead."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as output:
        stream = output.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.set_display_rotation(90)  # shown turned 90° counter-clockwise
        pixels = np.zeros((48, 64, 3), np.uint8)
        pixels[:, :16] = 255  # a white band on the coded picture's left edge
        for _ in range(3):
            output.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        output.mux(stream.encode())
    encoded = transcode_video(buffer.getvalue(), max_seconds=60, max_height=720)
    assert (encoded.width, encoded.height) == (48, 64)  # portrait
    with av.open(io.BytesIO(encoded.data)) as output:
        frame = next(output.decode(video=0))
        assert frame.rotation == 0 and (frame.width, frame.height) == (48, 64)
    poster = np.asarray(Image.open(io.BytesIO(encoded.poster)).convert("L"), dtype=float)
    # turned counter-clockwise, the left edge is now at the bottom
    assert poster[-12:].mean() > 200 and poster[:40].mean() < 50


def test_the_request_limit_admits_a_video_but_json_keeps_the_photos_share(app, client):
    config = app.config
    assert config["MAX_CONTENT_LENGTH"] >= config["MAX_JSON_BYTES"] + config["MAX_VIDEO_BYTES"]
    config.update(MAX_JSON_BYTES=20_000)
    big_json = {**appeal_form(), "description": "Яма на дороге. " * 2_000}
    response = client.post("/api/v1/appeals", json=big_json)
    assert response.status_code == 400
    assert "The JSON body is too large." in str(response.json["errors"])
    clip = make_video(seconds=2)  # larger than the JSON limit, a multipart upload
    assert len(clip) > 20_000
    data = appeal_form(video=(io.BytesIO(clip), "clip.mp4"))
    response = client.post("/api/v1/appeals", data=data, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    assert db.session.scalars(select(Video)).one().state is VideoState.WAITING
