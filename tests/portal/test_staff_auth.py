"""Staff login: hashed passwords, per-client throttling, CSRF, cookies (lockouts and
throttling per e-mail: test_login_throttle.py; sessions: test_staff_sessions.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AppealStatus, StaffUser

PASSWORD = "correct horse battery"


def login(client, email, password=PASSWORD, **extra):
    return client.post("/staff/login?lang=en", data={"email": email, "password": password, **extra})


def test_create_staff_command_stores_a_scrypt_hash(runner):
    result = runner.invoke(
        args=["create-staff", "--email", "Roads@City.kg", "--name", "Айбек Т.",
              "--role", "service", "--service", "bsk-roads", "--password", "0123456789ab"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(StaffUser).where(StaffUser.email == "roads@city.kg")).one()
    assert user.password_hash.startswith("scrypt:")
    assert "0123456789ab" not in user.password_hash
    assert user.service.code == "bsk-roads"


def test_create_staff_command_refuses_service_staff_without_a_service(runner):
    result = runner.invoke(
        args=["create-staff", "--email", "x@city.kg", "--name", "X", "--role", "service",
              "--password", "0123456789ab"]
    )  # fmt: skip
    assert result.exit_code != 0 and "--service" in result.output


@pytest.mark.parametrize(
    ("role", "service", "target"),
    [("service", "bsk-roads", "/staff/inbox"), ("admin", None, "/staff/admin/")],
)
def test_login_leads_each_role_to_its_work(client, make_staff, role, service, target):
    user = make_staff(role=role, service=service)
    response = login(client, user.email.upper())  # e-mail is case-insensitive
    assert response.status_code == 302
    assert response.headers["Location"].endswith(target)
    assert client.get(target).status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    wrong = login(client, user.email, "wrong password!")
    unknown = login(client, "nobody@city.kg")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail or password." in wrong.get_data(as_text=True)
    assert "Wrong e-mail or password." in unknown.get_data(as_text=True)
    assert client.get("/staff/inbox").status_code == 302  # still not logged in


def test_the_login_form_validates_its_fields(client):
    response = client.post("/staff/login?lang=en", data={"email": "", "password": ""})
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)


def test_a_disabled_account_cannot_log_in(client, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    user.active = False
    db.session.commit()
    assert login(client, user.email).status_code == 401


def test_failed_logins_are_throttled_per_client(app, make_app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    limited = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    with limited.app_context():
        for _ in range(3):
            assert login(client, "nobody@city.kg").status_code == 401
        assert login(client, "nobody@city.kg").status_code == 429
        assert login(client, user.email).status_code == 429  # the client is throttled


def test_successful_logins_do_not_count_against_the_client(app, make_app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    limited = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    with limited.app_context():
        for _ in range(4):
            assert login(client, user.email).status_code == 302
            client.post("/staff/logout")


def test_an_outside_next_address_is_ignored(client, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    for target in ("https://evil.example/", "//evil.example/staff", "/staff/../x\\y"):
        response = login(client, user.email, next=target)
        assert response.headers["Location"].endswith("/staff/inbox"), target
        client.post("/staff/logout")
    response = login(client, user.email, next="/staff/inbox?overdue=1")
    assert response.headers["Location"].endswith("/staff/inbox?overdue=1")


def test_logout_is_a_post(client, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    login(client, user.email)
    assert client.get("/staff/logout").status_code == 405
    assert client.post("/staff/logout").status_code == 302
    assert client.get("/staff/inbox").status_code == 302


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_every_staff_form_needs_the_csrf_token(app, make_app, make_staff, make_appeal):
    from portal.models import Appeal

    user = make_staff(role="service", service="bsk-roads")
    appeal = make_appeal()
    guarded = make_app(WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    # Requests outside this test's app context get a fresh ``g`` each, as in production.
    page = client.get("/staff/login").get_data(as_text=True)
    assert login(client, user.email).status_code == 400  # no token
    assert login(client, user.email, csrf_token=_token(page)).status_code == 302
    appeal_page = client.get(f"/staff/appeals/{appeal.public_id}").get_data(as_text=True)
    for suffix, data in [
        ("/acknowledge", {}),
        ("/answer", {"text": "Яма заделана бригадой сегодня."}),
        ("/status", {"status": "solved"}),
        ("/reroute", {"service": "bsk-svet", "reason": "Это освещение"}),
        ("/extend", {"days": "3", "reason": "Нужна экспертиза"}),
    ]:
        response = client.post(f"/staff/appeals/{appeal.public_id}{suffix}", data=data)
        assert response.status_code == 400, suffix
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.PUBLISHED
    response = client.post(
        f"/staff/appeals/{appeal.public_id}/acknowledge",
        data={"csrf_token": _token(appeal_page)},
    )
    assert response.status_code == 302
    assert client.post("/staff/logout").status_code == 400


def test_the_session_cookie_is_secure_httponly_and_samesite(app, make_app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    production = make_app(TESTING=False)
    assert production.config["SESSION_COOKIE_SECURE"] is True
    client = production.test_client()
    with production.app_context():
        response = client.post(
            "/staff/login", data={"email": user.email, "password": PASSWORD},
            base_url="https://portal.test",
        )  # fmt: skip
    assert response.status_code == 302
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
