"""Login throttling: per e-mail and source, blind to whether the account exists, and no
stranger can lock an office or a colleague out."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import LoginThrottle, utcnow
from portal.services import auth
from portal.services.auth import LoginFailed, LoginSource, LoginThrottled, authenticate

PASSWORD = "correct horse battery"
WRONG = "wrong password!"
OFFICE = "10.0.0.1"  # one NAT address for a whole office


def browser(app, address: str = OFFICE):
    """A fresh browser at ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client, email: str, password: str = PASSWORD):
    return client.post("/staff/login?lang=en", data={"email": email, "password": password})


def fail(client, email: str, times: int) -> None:
    for _ in range(times):
        assert attempt(client, email, WRONG).status_code == 401


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """Every password hash checked (the expensive step whose presence tells timing)."""
    checked = []
    original = auth.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return original(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    return checked


def test_unknown_and_known_e_mails_get_the_same_answers_after_the_same_attempts(
    app, make_staff, hash_checks
):
    limit = app.config["LOGIN_MAX_FAILURES"]
    known = make_staff(role="service", service="bsk-roads").email
    unknown = "nobody@city.test"
    seen = {}
    for email in (known, unknown):
        client = browser(app)
        hash_checks.clear()
        answers = [attempt(client, email, WRONG) for _ in range(limit)]
        answers.append(attempt(client, email))  # the right password of the known account
        assert len(hash_checks) == limit  # one hash per attempt, none once held back
        seen[email] = [
            (r.status_code, r.get_data(as_text=True).replace(email, "E")) for r in answers
        ]
        assert int(answers[-1].headers["Retry-After"]) > 14 * 60
    assert [code for code, _ in seen[known]] == [401] * limit + [429]
    assert seen[known] == seen[unknown]  # the very same pages, word for word
    assert "Too many failed attempts" in seen[known][-1][1]


def test_a_stranger_cannot_lock_out_a_browser_that_signed_in_before(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    office = browser(app)
    assert attempt(office, user.email).status_code == 302
    office.post("/staff/logout")
    stranger = browser(app)  # behind the same NAT address, or anywhere else
    fail(stranger, user.email, app.config["LOGIN_MAX_FAILURES"])
    assert attempt(stranger, user.email).status_code == 429  # even with the password
    assert attempt(office, user.email).status_code == 302


def test_a_forged_or_foreign_browser_cookie_is_not_recognised(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    colleague = make_staff(role="service", service="bsk-roads")
    colleagues_browser = browser(app)
    assert attempt(colleagues_browser, colleague.email).status_code == 302
    colleagues_browser.post("/staff/logout")
    fail(colleagues_browser, user.email, app.config["LOGIN_MAX_FAILURES"])
    assert attempt(colleagues_browser, user.email).status_code == 429  # recognised for another
    forged = browser(app)
    cookie = colleagues_browser.get_cookie("staff_browser", domain="portal.test", path="/staff/")
    forged.set_cookie(
        "staff_browser", cookie.value[:-2] + "xx", domain="portal.test", path="/staff/"
    )
    assert attempt(forged, user.email).status_code == 429


def test_one_address_does_not_lock_other_accounts_behind_it(app, make_staff):
    target = make_staff(role="service", service="bsk-roads")
    colleague = make_staff(role="service", service="bsk-roads")
    attacker = browser(app)
    fail(attacker, target.email, app.config["LOGIN_MAX_FAILURES"])
    assert attempt(attacker, target.email).status_code == 429
    assert attempt(browser(app), colleague.email).status_code == 302  # same office address
    assert attempt(browser(app, "10.0.0.2"), target.email).status_code == 302  # from home


def test_guesses_spread_over_many_addresses_hold_back_only_unrecognised_browsers(
    make_app, make_staff
):
    user = make_staff(role="service", service="bsk-roads")
    app = make_app(LOGIN_ACCOUNT_MAX_FAILURES=6)
    with app.app_context():
        usual = browser(app)
        assert attempt(usual, user.email).status_code == 302
        usual.post("/staff/logout")
        for n in range(6):  # a botnet: one guess per address
            assert attempt(browser(app, f"10.8.0.{n}"), user.email, WRONG).status_code == 401
        assert attempt(browser(app, "10.9.0.1"), user.email).status_code == 429
        assert attempt(usual, user.email).status_code == 302


def test_a_source_that_keeps_failing_waits_twice_as_long_each_time(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    source, limit = LoginSource("10.0.0.7"), app.config["LOGIN_MAX_FAILURES"]
    minutes = app.config["LOGIN_LOCKOUT_MINUTES"]
    now = utcnow()
    for expected in (minutes, 2 * minutes, 4 * minutes):
        for _ in range(limit):
            with pytest.raises(LoginFailed):
                authenticate(user.email, WRONG, source, now=now)
        with pytest.raises(LoginThrottled) as held:
            authenticate(user.email, PASSWORD, source, now=now)
        assert expected * 60 <= held.value.retry_after <= expected * 60 + 1
        now += timedelta(minutes=expected, seconds=1)
    assert authenticate(user.email, PASSWORD, source, now=now).id == user.id  # lock expired
    # A day without failures: the next lockout is short again.
    now += timedelta(days=1, seconds=1)
    for _ in range(limit):
        with pytest.raises(LoginFailed):
            authenticate(user.email, WRONG, source, now=now)
    with pytest.raises(LoginThrottled) as held:
        authenticate(user.email, PASSWORD, source, now=now)
    assert held.value.retry_after <= minutes * 60 + 1


def test_a_successful_sign_in_forgives_its_own_address(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    client = browser(app)
    fail(client, user.email, app.config["LOGIN_MAX_FAILURES"] - 1)
    assert attempt(client, user.email).status_code == 302
    client.post("/staff/logout")
    stranger = browser(app)  # no recognised-browser cookie: counted by address again
    fail(stranger, user.email, app.config["LOGIN_MAX_FAILURES"] - 1)  # would lock unforgiven
    assert attempt(stranger, user.email).status_code == 302


def test_a_disabled_account_fails_like_a_wrong_password(app, make_staff, hash_checks):
    user = make_staff(role="service", service="bsk-roads")
    user.active = False
    db.session.commit()
    response = attempt(browser(app), user.email)
    assert response.status_code == 401 and "Wrong e-mail or password." in response.get_data(
        as_text=True
    )
    assert len(hash_checks) == 1


def test_the_per_address_limit_spares_browsers_that_signed_in_before(make_app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        usual = browser(app)
        assert attempt(usual, user.email).status_code == 302
        usual.post("/staff/logout")
        sprayer = browser(app)  # tries many e-mails from the office's address
        for n in range(3):
            assert attempt(sprayer, f"guess{n}@city.test", WRONG).status_code == 401
        assert attempt(sprayer, "guess9@city.test", WRONG).status_code == 429
        assert attempt(browser(app), user.email).status_code == 429  # unrecognised: held back
        assert attempt(usual, user.email).status_code == 302


def test_concurrent_failures_all_count(app, make_staff):
    email = make_staff(role="service", service="bsk-roads").email  # read once, not per thread
    errors = []

    def guess(n: int) -> None:
        with app.app_context():
            try:
                authenticate(email, WRONG, LoginSource(f"10.7.0.{n}"))
            except LoginFailed:
                pass
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    account = db.session.scalars(select(LoginThrottle).where(LoginThrottle.scope == "account"))
    assert [row.failures for row in account] == [8]


def test_the_throttle_table_holds_neither_e_mails_nor_addresses(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    fail(browser(app), user.email, 2)
    fail(browser(app), "nobody@city.test", 2)
    rows = db.session.scalars(select(LoginThrottle)).all()
    assert len(rows) == 4
    stored = " ".join(f"{row.scope} {row.subject} {row.source}" for row in rows).lower()
    for secret in (user.email, "nobody", "city.test", OFFICE, "10.0.0"):
        assert secret not in stored


def test_an_administrator_resetting_the_password_lifts_the_throttle(app, make_staff):
    user = make_staff(role="service", service="bsk-roads")
    admin = browser(app, "10.5.5.5")
    assert attempt(admin, make_staff(role="admin").email).status_code == 302
    client = browser(app)
    fail(client, user.email, app.config["LOGIN_MAX_FAILURES"])
    assert attempt(client, user.email).status_code == 429
    response = admin.post(
        f"/staff/admin/staff/{user.id}",
        data={"email": user.email, "name": "N", "role": "service", "service": "bsk-roads",
              "password": "a brand new password", "active": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    assert attempt(client, user.email, "a brand new password").status_code == 302


def test_the_hash_checked_for_an_unknown_e_mail_costs_what_a_real_one_does():
    """The precomputed stand-in has the method and parameters of a new hash (so checking
    it takes as long), and no password matches it."""
    parameters = auth._DUMMY_HASH.split("$", 1)[0]
    assert parameters == auth.hash_password("anything").split("$", 1)[0]
    assert not auth.check_password_hash(auth._DUMMY_HASH, "not-a-real-password")
