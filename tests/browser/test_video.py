"""A citizen attaches a short video on the form (a phone's MOV with its GPS location);
after moderation the public appeal page plays the re-encoded MP4, with its poster."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Appeal, Video, VideoState
from tests.video_samples import GPS_LOCATION, make_video

pytestmark = pytest.mark.browser

PHONE = (390, 844)
TEXT = "Во дворе прорвало трубу, вода течёт по тротуару уже второй день подряд."


def test_a_citizen_attaches_a_video_and_the_public_page_plays_it(
    app, live_server, make_page, make_staff, artifacts, tmp_path
):
    clip = tmp_path / "VID_2041.MOV"
    clip.write_bytes(
        make_video(seconds=1.0, width=320, height=240, container="mov",
                   metadata={"location": GPS_LOCATION})
    )  # fmt: skip
    page = make_page(viewport=PHONE, locale="en-US")
    page.goto(f"{live_server}/appeals/new")
    assert page.get_by_label("Short video (optional)").is_visible()
    page.select_option("#city", "bishkek")
    page.select_option("#category", "pothole")
    page.fill("#description", TEXT)
    page.wait_for_selector("#map.leaflet-container")
    box = page.locator("#map").bounding_box()
    page.locator("#map").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.wait_for_function("() => document.getElementById('lat').value !== ''")
    page.set_input_files("#video", str(clip))
    page.check("#consent")
    page.click("#send")
    page.wait_for_selector("#preview:not([hidden])")
    page.click("#send")
    page.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]{43,}\?receipt=1$"))

    video = db.session.scalars(select(Video)).one()
    assert video.state is VideoState.WAITING  # re-encoded by the job after the commit
    assert GPS_LOCATION.encode() not in video.data
    appeal = db.session.scalars(select(Appeal)).one()

    from portal.services.moderation import publish_appeal
    from portal.services.videos import publish_video

    moderator = make_staff(role="moderator")
    publish_appeal(appeal.id, moderator)
    publish_video(video.id, moderator)

    page.goto(f"{live_server}/appeals/{appeal.public_id}")
    player = page.locator("video")
    assert player.get_attribute("src") == f"/videos/{video.public_id}.mp4"
    assert player.get_attribute("poster") == f"/videos/{video.public_id}.jpg"
    poster = page.evaluate(
        "async url => (await fetch(url)).headers.get('content-type')",
        player.get_attribute("poster"),
    )
    assert poster == "image/jpeg"
    playable = page.evaluate(
        """() => document.querySelector('video').canPlayType('video/mp4; codecs="avc1.4D401E"')"""
    )
    if playable:  # Debian's Chromium plays H.264: the browser reads the file itself
        page.evaluate("() => { const v = document.querySelector('video'); v.load(); }")
        page.wait_for_function(
            "() => document.querySelector('video').readyState >= 1", timeout=10_000
        )
        size = page.evaluate(
            "() => [document.querySelector('video').videoWidth, document.querySelector('video').videoHeight]"
        )
        assert size == [320, 240]
    page.screenshot(path=str(artifacts / "appeal-video.png"), full_page=True)
