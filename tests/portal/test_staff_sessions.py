"""Staff sessions end for real: a cookie copied before logout, a password reset or a
deactivation opens nothing afterwards, on any device."""

from __future__ import annotations

from portal.extensions import db
from portal.models import StaffUser

PASSWORD = "correct horse battery"
INBOX = "/staff/inbox"


def signed_in(app, user, password=PASSWORD):
    """A fresh browser (test client) signed in through the login form."""
    client = app.test_client()
    response = client.post("/staff/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    cookie = client.get_cookie("session", domain="portal.test")
    thief.set_cookie("session", cookie.value, domain="portal.test")
    return thief


def opens_inbox(client) -> bool:
    response = client.get(INBOX)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    return False


def test_a_cookie_copied_before_logout_no_longer_opens_the_inbox(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    client = signed_in(app, user)
    thief = copy_of(app, client)
    assert opens_inbox(thief)  # the copy works while the session lives
    assert client.post("/staff/logout").status_code == 302
    assert not opens_inbox(thief)
    assert not opens_inbox(client)
    assert thief.get("/staff/api/v1/inbox").status_code == 401


def test_logout_ends_the_sessions_of_the_account_on_other_devices(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    colleague = make_staff(role="service", service="bsk-roads")
    office, phone, other = signed_in(app, user), signed_in(app, user), signed_in(app, colleague)
    phone.post("/staff/logout")
    assert not opens_inbox(office)
    assert opens_inbox(other)  # another account is not affected
    assert opens_inbox(signed_in(app, user))  # signing in again works


def test_an_administrator_resetting_the_password_ends_every_session(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    admin = signed_in(app, make_staff(role="admin"))
    victim = signed_in(app, user)
    thief = copy_of(app, victim)
    response = admin.post(
        f"/staff/admin/staff/{user.id}",
        data={"email": user.email, "name": "Renamed", "role": "service",
              "service": "bsk-roads", "password": "a brand new password", "active": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    assert not opens_inbox(thief)
    assert not opens_inbox(victim)
    assert opens_inbox(signed_in(app, user, "a brand new password"))


def test_saving_an_account_without_a_new_password_keeps_its_sessions(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    admin = signed_in(app, make_staff(role="admin"))
    client = signed_in(app, user)
    response = admin.post(
        f"/staff/admin/staff/{user.id}",
        data={"email": user.email, "name": "Renamed", "role": "service",
              "service": "bsk-roads", "active": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    assert opens_inbox(client)


def test_deactivation_ends_every_session_and_reactivation_does_not_revive_them(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    admin = signed_in(app, make_staff(role="admin"))
    client = signed_in(app, user)
    form = {"email": user.email, "name": "N", "role": "service", "service": "bsk-roads"}
    assert admin.post(f"/staff/admin/staff/{user.id}", data=form).status_code == 302
    assert not opens_inbox(client)
    reactivate = {**form, "active": "1"}
    assert admin.post(f"/staff/admin/staff/{user.id}", data=reactivate).status_code == 302
    assert not opens_inbox(client)  # the old cookie stays dead
    assert opens_inbox(signed_in(app, user))


def test_a_session_is_checked_against_the_database_on_every_request(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    client = signed_in(app, user)
    assert opens_inbox(client)
    # Another worker process (or a command) ends the sessions: the next request sees it.
    db.session.get(StaffUser, user.id).session_version += 1
    db.session.commit()
    assert not opens_inbox(client)


def test_a_session_without_a_session_version_is_refused(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)  # the form before session versions
    assert not opens_inbox(client)
