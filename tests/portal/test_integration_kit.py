"""The integration kit for city apps: per-client API keys (hashed, revocable, last used,
own rate limit, the environment list as a fallback) and signed webhooks delivered from a
durable outbox with retries — received by a real HTTP server on loopback."""

from __future__ import annotations

import http.server
import json
import re
import socket
import ssl
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.integrations import transport, webhooks
from portal.integrations.keys import hash_key
from portal.integrations.models import ApiClient, WebhookDelivery
from portal.models import Appeal, utcnow
from portal.services.moderation import publish_appeal

OPEN311 = {"service_code": "pothole", "lat": "42.8746", "long": "74.6122",
           "description": "Глубокая яма на проезжей части у остановки, объезжают по встречке."}  # fmt: skip
#: Private data planted in the appeal: it must never reach a webhook body.
SENTINEL_EMAIL = "sentinel.webhook@example.kg"
SENTINEL_PHONE = "+996 555 912 834"
SENTINEL_NAME = "Сентинел Вебхуков"


class Receiver:
    """A tiny webhook receiver on 127.0.0.1: records every POST, answers the queued codes."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []
        self.codes: list[int] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                code = outer.codes.pop(0) if outer.codes else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def admin_client(app, client, make_staff, login_as):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    login_as(make_staff(role="admin"))
    return client


def create(admin_client, **form) -> tuple[ApiClient, str, str]:
    """Create a client through the admin page; (client, key, page html)."""
    data = {"name": "My City", "slug": "mycity", "contact": "it@mycity.example", **form}
    response = admin_client.post("/staff/admin/clients/new", data=data)
    assert response.status_code == 201, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    key = re.search(r'data-secret="key">(ak_[^<]+)<', page).group(1)
    client = db.session.scalars(select(ApiClient).where(ApiClient.slug == data["slug"])).one()
    return client, key, page


def secret_in(page: str) -> str:
    return re.search(r'data-secret="webhook">(whsec_[^<]+)<', page).group(1)


def post_appeal(http, key: str | None, **extra):
    headers = {"X-Api-Key": key} if key else {}
    return http.post("/open311/v2/requests.json", data={**OPEN311, **extra}, headers=headers)


def newest_appeal() -> Appeal:
    return db.session.scalars(select(Appeal).order_by(Appeal.id.desc())).first()


# --- Keys -------------------------------------------------------------------------------------


def test_a_key_is_shown_once_stored_hashed_and_records_the_client_channel(admin_client, app):
    client, key, page = create(admin_client)
    assert key.startswith("ak_") and len(key) > 40
    assert client.key_hash == hash_key(key) and key not in client.key_hash
    db_text = " ".join(str(v) for v in db.session.execute(select(ApiClient.__table__)).one())
    assert key not in db_text  # only the hash (and a short prefix) are kept
    assert client.last_used_at is None
    assert (
        "no-store" in admin_client.get(f"/staff/admin/clients/{client.id}").headers["Cache-Control"]
    )
    # The key is not shown again.
    assert key not in admin_client.get(f"/staff/admin/clients/{client.id}").get_data(as_text=True)

    anonymous = app.test_client()
    assert post_appeal(anonymous, key).status_code == 201
    assert newest_appeal().channel == "open311:mycity"
    db.session.refresh(client)
    assert client.last_used_at is not None
    # The key in the form body, as Open311 has it, works too.
    assert (
        anonymous.post("/open311/v2/requests.json", data={**OPEN311, "api_key": key}).status_code
        == 201
    )


def test_wrong_and_revoked_keys_are_refused_clearly(admin_client, app):
    client, key, _ = create(admin_client)
    anonymous = app.test_client()
    wrong = post_appeal(anonymous, "ak_" + "x" * 43)
    assert wrong.status_code == 403 and "api_key" in wrong.get_data(as_text=True)
    assert anonymous.get("/api/v1/client", headers={"X-Api-Key": "nonsense"}).status_code == 401
    assert anonymous.get("/api/v1/client").status_code == 401
    assert anonymous.get("/api/v1/client", headers={"X-Api-Key": key}).status_code == 200

    response = admin_client.post(f"/staff/admin/clients/{client.id}/revoke")
    assert response.status_code == 302
    revoked = anonymous.post(
        "/open311/v2/requests.json?lang=en", data=OPEN311, headers={"X-Api-Key": key}
    )
    assert revoked.status_code == 403
    assert "revoked" in revoked.get_data(as_text=True)
    answer = anonymous.get("/api/v1/client?lang=en", headers={"X-Api-Key": key})
    assert answer.status_code == 403 and "revoked" in answer.json["error"]["message"]
    page = admin_client.get("/staff/admin/clients/?lang=en").get_data(as_text=True)
    assert "revoked" in page


def test_the_environment_keys_still_work_as_a_fallback(app, client):
    app.config["OPEN311_API_KEYS"] = ("oshcity=env-key-0123456789",)
    assert post_appeal(client, "env-key-0123456789").status_code == 201
    assert newest_appeal().channel == "open311:oshcity"
    assert post_appeal(client, "env-key-wrong").status_code == 403
    # No client record behind an environment key: the client API says so.
    answer = client.get("/api/v1/client?lang=en", headers={"X-Api-Key": "env-key-0123456789"})
    assert answer.status_code == 403


def test_each_key_has_its_own_rate_limit(app, make_app, make_staff):
    limited = make_app(RATELIMIT_ENABLED=True, API_KEY_RATE_LIMIT="5 per minute")
    admin = limited.test_client()
    user = make_staff(role="admin")
    with admin.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user.get_id(), True
    _, slow_key, _ = create(admin, slug="slow", rate_limit="2 per minute")
    _, other_key, _ = create(admin, slug="other")
    http = limited.test_client()
    codes = [post_appeal(http, slow_key).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    # Another key is counted on its own (its limit: API_KEY_RATE_LIMIT).
    assert post_appeal(http, other_key).status_code == 201


def test_bad_client_input_is_a_translated_400(admin_client):
    response = admin_client.post(
        "/staff/admin/clients/new?lang=en",
        data={"name": "X", "slug": "Not A Code", "contact": "", "rate_limit": "lots",
              "url": "ftp://example.org/"},
    )  # fmt: skip
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "lowercase letters" in page and "120 per minute" in page and "http://" in page
    ru = admin_client.post("/staff/admin/clients/new?lang=ru", data={"name": "X", "slug": "x",
                           "contact": "it@x.kg", "url": "javascript:alert(1)"})  # fmt: skip
    assert ru.status_code == 400 and "http://" in ru.get_data(as_text=True)
    assert db.session.scalars(select(ApiClient)).first() is None


def test_private_addresses_are_refused_unless_allowed(app):
    for url in ("http://127.0.0.1/x", "http://localhost:8080/", "https://10.1.2.3/h",
                "http://user:pw@example.org/", "http://[::1]/", "https://example.org:99999/"):  # fmt: skip
        assert webhooks.url_problem(url, allow_private=False), url
    assert webhooks.url_problem("https://mycity.example/hooks", allow_private=False) is None
    assert webhooks.url_problem("http://127.0.0.1:8000/x", allow_private=True) is None


def test_non_admin_staff_are_refused(app, client, make_staff, login_as):
    for role in ("moderator", "editor"):
        login_as(make_staff(role=role))
        assert client.get("/staff/admin/clients/").status_code == 403
        assert client.get("/staff/admin/clients/new").status_code == 403
        response = client.post(
            "/staff/admin/clients/new", data={"name": "x", "slug": "x", "contact": "abc"}
        )
        assert response.status_code == 403
    assert db.session.scalars(select(ApiClient)).first() is None
    login_as(make_staff(role="service", service="bsk-roads"))
    assert client.get("/staff/admin/clients/").status_code == 403


# --- Webhooks ---------------------------------------------------------------------------------


def test_a_signed_webhook_reaches_the_receiver_with_public_data_only(
    admin_client, app, receiver, make_staff
):
    api_client, key, page = create(admin_client, url=receiver.url)
    secret = secret_in(page)
    http = app.test_client()
    sentinel = {"email": SENTINEL_EMAIL, "phone": SENTINEL_PHONE, "first_name": "Сентинел",
                "last_name": "Вебхуков",
                "description": f"Яма у дома. Меня зовут {SENTINEL_NAME}, телефон {SENTINEL_PHONE}."}  # fmt: skip
    assert post_appeal(http, key, **sentinel).status_code == 201
    appeal = newest_appeal()
    assert receiver.received == []  # nothing public yet: the appeal waits for moderation
    publish_appeal(appeal.id, make_staff(role="moderator"))

    [(headers, body)] = receiver.received
    assert webhooks.verify(secret, body, headers["X-Portal-Signature"])
    assert not webhooks.verify(secret, body + b" ", headers["X-Portal-Signature"])
    assert not webhooks.verify("whsec_wrong", body, headers["X-Portal-Signature"])
    timestamp = int(headers["X-Portal-Signature"].split(",")[0][2:])
    assert not webhooks.verify(secret, body, headers["X-Portal-Signature"], now=timestamp + 301)
    data = json.loads(body)
    assert headers["X-Portal-Event"] == data["event"]["kind"] == "published"
    assert data["appeal"]["id"] == appeal.public_id
    assert data["appeal"]["channel"] == "open311:mycity"
    text = body.decode()
    for private in (SENTINEL_EMAIL, "Вебхуков", "912 834", "912834", "42.8746,", "74.6122,"):
        assert private not in text, private
    assert str(data["delivery"]) == headers["X-Portal-Delivery"]

    # Admins and the client itself see the delivery.
    admin_page = admin_client.get(f"/staff/admin/clients/{api_client.id}?lang=en")
    assert "delivered" in admin_page.get_data(as_text=True)
    mine = http.get("/api/v1/client", headers={"X-Api-Key": key}).json
    assert mine["webhook_url"] == receiver.url
    assert [d["state"] for d in mine["deliveries"]] == ["delivered"]


def test_a_failed_delivery_is_retried_with_backoff_then_succeeds(
    admin_client, app, receiver, make_staff
):
    api_client, key, page = create(admin_client, url=receiver.url)
    receiver.codes = [500, 503]
    assert post_appeal(app.test_client(), key).status_code == 201
    appeal = newest_appeal()
    before = utcnow()
    publish_appeal(appeal.id, make_staff(role="moderator"))

    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.attempts, delivery.last_status_code, delivery.state) == (1, 500, "pending")
    delay = (delivery.next_attempt_at - before).total_seconds()
    assert 60 <= delay < 70  # the first of WEBHOOK_RETRY_DELAYS
    page = admin_client.get(f"/staff/admin/clients/{api_client.id}?lang=en").get_data(as_text=True)
    assert "HTTP 500" in page and "pending" in page

    # Not due yet: nothing happens.
    assert webhooks.deliver(now=before + timedelta(seconds=30))["retrying"] == 0
    assert len(receiver.received) == 1
    # Due: second attempt fails again (503), next one 300 s later.
    first_retry = delivery.next_attempt_at
    assert webhooks.deliver(now=first_retry + timedelta(seconds=1)) == {
        "delivered": 0,
        "failed": 0,
        "retrying": 1,
    }
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert delivery.attempts == 2 and delivery.last_status_code == 503
    second_delay = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert second_delay == 300
    # Third attempt succeeds.
    result = webhooks.deliver(now=delivery.next_attempt_at + timedelta(seconds=1))
    assert result == {"delivered": 1, "failed": 0, "retrying": 0}
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert (delivery.attempts, delivery.state, delivery.last_status_code) == (3, "delivered", 200)
    bodies = [json.loads(body) for _, body in receiver.received]
    assert len(bodies) == 3 and {b["delivery"] for b in bodies} == {delivery.id}


def test_a_delivery_that_keeps_failing_is_marked_failed_never_lost(admin_client, app, make_staff):
    app.config["WEBHOOK_RETRY_DELAYS"] = ("1", "2")
    api_client, key, _ = create(admin_client, url="http://127.0.0.1:9/closed")  # nothing listens
    assert post_appeal(app.test_client(), key).status_code == 201
    publish_appeal(newest_appeal().id, make_staff(role="moderator"))
    later = utcnow() + timedelta(seconds=10)
    webhooks.deliver(now=later)
    assert webhooks.deliver(now=later + timedelta(seconds=10))["failed"] == 1
    db.session.expire_all()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert delivery.state == "failed" and delivery.attempts == 3 and delivery.last_error
    page = admin_client.get(f"/staff/admin/clients/{api_client.id}?lang=en").get_data(as_text=True)
    assert "failed" in page and "Retry" in page
    # An admin retries it: due again, a fresh round of attempts.
    response = admin_client.post(f"/staff/admin/webhook-deliveries/{delivery.id}/retry")
    assert response.status_code == 302
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert delivery.failed_at is None or delivery.attempts == 1  # retried at once (immediate jobs)


def test_only_the_client_s_own_appeals_and_public_events_are_delivered(
    admin_client, app, receiver, make_staff
):
    create(admin_client, url=receiver.url)
    _, other_key, _ = create(admin_client, slug="other")
    moderator = make_staff(role="moderator")
    assert post_appeal(app.test_client(), other_key).status_code == 201
    publish_appeal(newest_appeal().id, moderator)
    app.test_client().post("/appeals/new", data={"city": "bishkek", "category": "pothole",
        "description": OPEN311["description"], "lat": "42.8746", "lon": "74.6122", "consent": "true"})  # fmt: skip
    publish_appeal(newest_appeal().id, moderator)
    assert receiver.received == []
    assert db.session.scalars(select(WebhookDelivery)).first() is None


def test_the_client_registers_its_own_webhook_through_the_api(
    admin_client, app, receiver, make_staff
):
    _, key, _ = create(admin_client)
    http = app.test_client()
    bad = http.put(
        "/api/v1/client/webhook?lang=en", json={"url": "gopher://x"}, headers={"X-Api-Key": key}
    )
    assert bad.status_code == 400 and "http://" in bad.json["errors"]["url"][0]
    assert (
        http.put("/api/v1/client/webhook", json=[1], headers={"X-Api-Key": key}).status_code == 400
    )
    assert http.put("/api/v1/client/webhook", json={"url": receiver.url}).status_code == 401
    answer = http.put(
        "/api/v1/client/webhook", json={"url": receiver.url}, headers={"X-Api-Key": key}
    )
    assert answer.status_code == 200
    assert answer.json["retry_delays_seconds"] == [60, 300, 1800, 7200, 21600]
    secret = answer.json["secret"]
    assert post_appeal(http, key).status_code == 201
    publish_appeal(newest_appeal().id, make_staff(role="moderator"))
    [(headers, body)] = receiver.received
    assert webhooks.verify(secret, body, headers["X-Portal-Signature"])
    assert http.delete("/api/v1/client/webhook", headers={"X-Api-Key": key}).status_code == 204
    assert http.get("/api/v1/client", headers={"X-Api-Key": key}).json["webhook_url"] is None


def test_the_openapi_document_describes_the_client_api(client):
    document = client.get("/api/openapi.json").json
    assert "/api/v1/client" in document["paths"]
    assert "put" in document["paths"]["/api/v1/client/webhook"]
    assert "client_api_key" in document["components"]["securitySchemes"]


def test_the_cron_command_attempts_due_deliveries(admin_client, app, runner, receiver, make_staff):
    create(admin_client, url=receiver.url)
    receiver.codes = [500]
    _, key, _ = create(admin_client, slug="second")
    db.session.execute(ApiClient.__table__.update().values(webhook_url=receiver.url))
    db.session.commit()
    assert post_appeal(app.test_client(), key).status_code == 201
    publish_appeal(newest_appeal().id, make_staff(role="moderator"))
    db.session.execute(WebhookDelivery.__table__.update().values(next_attempt_at=utcnow()))
    db.session.commit()
    outcome = runner.invoke(args=["send-webhooks"])
    assert outcome.exit_code == 0, outcome.output
    assert "1 delivered, 0 to retry, 0 failed" in outcome.output


# --- Where a delivery may go (SSRF) -----------------------------------------------------------

HOOK_HOST = "hooks.mycity.example"


def fake_dns(monkeypatch, *addresses: str) -> list[str]:
    """Make HOOK_HOST resolve to ``addresses``; the list of names looked up."""
    looked_up: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host != HOOK_HOST:  # the test's own loopback connection
            return real_getaddrinfo(host, port, *args, **kwargs)
        looked_up.append(host)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in addresses]  # fmt: skip

    monkeypatch.setattr(transport.socket, "getaddrinfo", getaddrinfo)
    return looked_up


def publish_for(admin_client, app, make_staff, url: str) -> tuple[ApiClient, WebhookDelivery]:
    """A client whose webhook is ``url`` and one of its appeals published (one attempt made),
    with the loopback allowance of the other tests switched off."""
    api_client, key, _ = create(admin_client, url=url)
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    assert post_appeal(app.test_client(), key).status_code == 201
    publish_appeal(newest_appeal().id, make_staff(role="moderator"))
    db.session.expire_all()
    return api_client, db.session.scalars(select(WebhookDelivery)).one()


@pytest.mark.parametrize(
    "addresses",
    [
        ("127.0.0.1",),
        ("10.0.0.5",),
        ("::1",),
        ("169.254.169.254",),
        ("::ffff:127.0.0.1",),
        ("93.184.216.34", "192.168.1.10"),
    ],  # fmt: skip
)
def test_a_host_resolving_to_a_non_public_address_is_never_contacted(
    admin_client, app, make_staff, monkeypatch, addresses
):
    fake_dns(monkeypatch, *addresses)
    connected = []
    monkeypatch.setattr(transport.socket, "create_connection", lambda *a, **k: connected.append(a))
    api_client, delivery = publish_for(admin_client, app, make_staff, f"https://{HOOK_HOST}/h")
    assert connected == []
    assert delivery.attempts == 1 and delivery.state == "pending"  # retried: DNS may change
    assert delivery.last_status_code is None
    bad = addresses[-1]
    assert "refused" in delivery.last_error and bad in delivery.last_error
    page = admin_client.get(f"/staff/admin/clients/{api_client.id}?lang=en").get_data(as_text=True)
    assert f"resolves to {bad}, which is not a public internet address" in page


def test_a_public_host_is_contacted_at_the_checked_address_with_its_own_name(
    admin_client, app, make_staff, monkeypatch, receiver
):
    looked_up = fake_dns(monkeypatch, "93.184.216.34")
    connected = []
    real_connect = socket.create_connection
    port = receiver.server.server_address[1]

    def create_connection(address, *args, **kwargs):
        connected.append(address)  # then reach the loopback receiver in its stead
        return real_connect(("127.0.0.1", port), *args, **kwargs)

    monkeypatch.setattr(transport.socket, "create_connection", create_connection)
    _, delivery = publish_for(admin_client, app, make_staff, f"http://{HOOK_HOST}:{port}/h")
    assert connected == [("93.184.216.34", port)]
    assert looked_up == [HOOK_HOST]  # one lookup: the address checked is the one used
    assert delivery.state == "delivered"
    [(headers, _)] = receiver.received
    assert headers["Host"] == f"{HOOK_HOST}:{port}"


def test_tls_keeps_the_host_name_for_sni_and_the_certificate(monkeypatch):
    fake_dns(monkeypatch, "93.184.216.34")
    seen = {}
    sock = socket.socket()

    def create_connection(address, *args, **kwargs):
        seen["address"] = address
        return sock

    def wrap_socket(context, raw, server_hostname=None, **kwargs):
        seen["sni"], seen["checks_name"] = server_hostname, context.check_hostname
        raise ssl.SSLError("test: stop before the handshake")

    monkeypatch.setattr(transport.socket, "create_connection", create_connection)
    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", wrap_socket)
    with pytest.raises(ssl.SSLError):
        transport.post(f"https://{HOOK_HOST}/h", b"{}", {}, 1.0, allow_private=False)
    sock.close()
    assert seen == {"address": ("93.184.216.34", 443), "sni": HOOK_HOST, "checks_name": True}
