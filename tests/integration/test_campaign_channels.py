"""E-mail and webhook channels against real local servers: an SMTP server on loopback (aiosmtpd)
and an HTTP server in a thread. One message per user with a stable id, signed webhooks, retries with
backoff under the same delivery id, permanent failures without retry, and a failing user never
stopping the batch."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from campaign_delivery_support import make_campaign, seed_segment, statuses
from services.campaign import channels, delivery
from services.common.config import settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _override(monkeypatch, **changes):
    changed = dataclasses.replace(settings(), **changes)
    monkeypatch.setattr(channels, "settings", lambda: changed)
    monkeypatch.setattr(delivery, "settings", lambda: changed)


class Inbox:
    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    _override(monkeypatch, smtp_host="127.0.0.1", smtp_port=port, smtp_from="Engage <no-reply@engage.test>")
    yield inbox
    controller.stop()


def test_email_sends_one_mail_per_opted_in_user_with_a_stable_message_id(sql, smtp, ledger_matches_wallets):
    segment, users = seed_segment(sql, 12)
    for u in users[2:]:
        sql("INSERT INTO campaign.contacts (user_id, email, email_opt_in, updated_at, updated_by) VALUES (%(u)s, %(e)s, true, now(), 't')",
            u=u, e=f"{u}@example.test")
    sql("INSERT INTO campaign.contacts (user_id, email, email_opt_in, updated_at, updated_by) VALUES (%(u)s, %(e)s, false, now(), 't')",
        u=users[1], e=f"{users[1]}@example.test")
    cid = make_campaign(sql, segment, channel="EMAIL", message_title="Hello {user_id}", message_template="{reward} for you")
    delivery.launch(cid)
    delivery.deliver(cid, batch=0)
    delivery.deliver(cid, batch=0)  # a redelivered batch message sends nothing again
    assert delivery.send_due(now=datetime.now(UTC) + timedelta(hours=2)) == {}
    assert statuses(sql, cid) == {"DELIVERED": 10, "FAILED": 2}
    assert sql("SELECT user_id, reason FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND status = 'FAILED' ORDER BY user_id",
               c=cid) == [(users[0], "NO_EMAIL_ADDRESS"), (users[1], "EMAIL_OPTED_OUT")]
    assert sql("SELECT count(*) FROM reward.ledger WHERE user_id = ANY(%(u)s)", u=users[:2]) == [(0,)]
    assert sorted(r[0] for r, _ in smtp.mails) == sorted(f"{u}@example.test" for u in users[2:])
    for rcpt, mail in smtp.mails:
        u = rcpt[0].split("@")[0]
        assert mail["Subject"] == f"Hello {u}"
        assert mail["Message-ID"] == f"<{delivery.delivery_id(cid, u)}@engage>"
        assert mail["From"] == "Engage <no-reply@engage.test>"
        assert mail.get_payload().strip() == "2 DICE_TOKEN for you"
    assert sql("SELECT count(*) FROM campaign.sends WHERE campaign_id = %(c)s", c=cid) == [(0,)]


class Hooks(BaseHTTPRequestHandler):
    received: list = []
    script: dict = {}  # user id -> status codes to answer in turn (then 200)
    probe = None  # called on each POST (from the server's thread)
    gets: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        payload = json.loads(body)
        Hooks.received.append((dict(self.headers), body, payload))
        if Hooks.probe:
            Hooks.probe()
        codes = Hooks.script.get(payload["user_id"], [])
        code = codes.pop(0) if codes else 200
        self.send_response(code)
        if 300 <= code < 400:
            self.send_header("Location", "/moved")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        Hooks.gets.append((self.path, dict(self.headers)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hooks():
    Hooks.received, Hooks.script, Hooks.probe, Hooks.gets = [], {}, None, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _sent_to(user):
    return [(h, b, p) for h, b, p in Hooks.received if p["user_id"] == user]


def test_webhooks_are_signed_retried_under_one_delivery_id_and_refused_once(sql, hooks, ledger_matches_wallets):
    segment, users = seed_segment(sql, 8)
    flaky, bad = users[1], users[2]
    Hooks.script = {flaky: [500, 500], bad: [400]}
    cid = make_campaign(sql, segment, channel="WEBHOOK", webhook_url=hooks, webhook_secret="s3cret",
                        message_template="{reward} from {campaign_name}")
    delivery.launch(cid)
    now = datetime.now(UTC)
    delivery.deliver(cid, batch=0, now=now)
    assert statuses(sql, cid) == {"DELIVERED": 6, "SENDING": 1, "FAILED": 1}
    assert sql("SELECT reason FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND user_id = %(u)s", c=cid, u=bad) == [
        ("WEBHOOK_HTTP_ERROR",)]
    assert sql("SELECT attempts FROM campaign.sends WHERE campaign_id = %(c)s AND user_id = %(u)s", c=cid, u=flaky) == [(1,)]
    assert delivery.send_due(now=now + timedelta(seconds=1)) == {}  # not due before its backoff
    assert delivery.send_due(now=now + timedelta(minutes=1)) == {"RETRY": 1}
    assert delivery.send_due(now=now + timedelta(minutes=5)) == {"DELIVERED": 1}
    assert statuses(sql, cid) == {"DELIVERED": 7, "FAILED": 1}
    assert len(_sent_to(bad)) == 1
    attempts = _sent_to(flaky)
    assert len(attempts) == 3 and len({h["Engage-Delivery-Id"] for h, _, _ in attempts}) == 1
    for u in users:
        for headers, body, payload in _sent_to(u):
            assert headers["Engage-Delivery-Id"] == delivery.delivery_id(cid, u) == payload["delivery_id"]
            t, v1 = (part.split("=", 1)[1] for part in headers["Engage-Signature"].split(","))
            expected = hmac.new(b"s3cret", f"{t}.".encode() + body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(v1, expected)
            assert headers["Content-Type"] == "application/json"
            assert payload["campaign_id"] == str(cid) and payload["body"].startswith("2 DICE_TOKEN from ")
            assert set(payload) == {"delivery_id", "campaign_id", "user_id", "title", "body", "reward", "sent_at"}
    # Rewards were granted to all eight in the batch transaction, whatever the channel did later.
    assert sql("SELECT count(*) FROM reward.ledger WHERE idempotency_key LIKE %(k)s", k=f"campaign:{cid}:%") == [(8,)]


def test_an_unreachable_webhook_fails_after_the_last_attempt_and_keeps_the_reward(sql, monkeypatch, ledger_matches_wallets):
    _override(monkeypatch, campaign_send_max_attempts=2, campaign_webhook_timeout_seconds=1)
    segment, users = seed_segment(sql, 3)
    cid = make_campaign(sql, segment, channel="WEBHOOK", webhook_url=f"http://127.0.0.1:{_free_port()}/nobody", webhook_secret="x")
    delivery.launch(cid)
    now = datetime.now(UTC)
    delivery.deliver(cid, batch=0, now=now)
    assert statuses(sql, cid) == {"SENDING": 3}
    assert delivery.send_due(now=now + timedelta(hours=1)) == {"FAILED": 3}
    rows = sql("SELECT status, reason, meta_json->>'reward_kept', (meta_json->>'attempts')::int FROM campaign.campaign_logs "
               "WHERE campaign_id = %(c)s", c=cid)
    assert rows == [("FAILED", "WEBHOOK_UNREACHABLE", "true", 2)] * 3
    assert _caps(sql, users) == {u: 0 for u in users}  # no message reached them: their cap slots are given back
    assert sql("SELECT count(*) FROM reward.ledger WHERE idempotency_key LIKE %(k)s", k=f"campaign:{cid}:%") == [(3,)]
    assert sql("SELECT count(*) FROM campaign.sends WHERE campaign_id = %(c)s", c=cid) == [(0,)]


def _caps(sql, users):
    return dict(sql("SELECT user_id, sent FROM campaign.daily_sends WHERE user_id = ANY(%(u)s)", u=users))


def test_a_failed_send_gives_its_frequency_cap_slot_back(sql, hooks):
    segment, users = seed_segment(sql, 4)
    Hooks.script = {users[0]: [400]}
    cid = make_campaign(sql, segment, channel="WEBHOOK", webhook_url=hooks, webhook_secret="x")
    delivery.launch(cid)
    now = datetime.now(UTC)
    delivery.deliver(cid, batch=0, now=now, send=False)
    assert sql("SELECT DISTINCT cap_day FROM campaign.sends WHERE campaign_id = %(c)s", c=cid) == [(delivery.cap_day(now),)]
    assert _caps(sql, users) == {u: 1 for u in users}
    assert delivery.send_due(campaign_id=cid, now=now) == {"DELIVERED": 3, "FAILED": 1}
    assert _caps(sql, users) == {users[0]: 0, **{u: 1 for u in users[1:]}}


def test_sends_are_claimed_in_small_chunks_and_a_late_settler_changes_nothing(sql, hooks):
    from services.common import db

    n = 3 * delivery.SEND_CHUNK + 5
    segment, users = seed_segment(sql, n)
    cid = make_campaign(sql, segment, channel="WEBHOOK", webhook_url=hooks, webhook_secret="x")
    delivery.launch(cid)
    now = datetime.now(UTC)
    delivery.deliver(cid, batch=0, now=now, send=False)
    in_flight = []
    # While a webhook is being sent, the claimed but unsettled sends are at most one chunk.
    Hooks.probe = lambda: in_flight.append(
        sql("SELECT count(*) FROM campaign.sends WHERE campaign_id = %(c)s AND attempts > 0", c=cid)[0][0])
    assert delivery.send_due(now=now) == {"DELIVERED": n}
    assert len(in_flight) == n and max(in_flight) <= delivery.SEND_CHUNK
    assert statuses(sql, cid) == {"DELIVERED": n}
    # The lease outlasts a whole chunk of sends each waiting out its timeout.
    assert delivery.send_lease() > timedelta(seconds=delivery.SEND_CHUNK * settings().campaign_webhook_timeout_seconds)

    # A claimer that outlived its lease: its sends were claimed again and delivered, so its late
    # answer ("failed") changes nothing.
    segment, [user] = seed_segment(sql, 1)
    late = make_campaign(sql, segment, channel="WEBHOOK", webhook_url=hooks, webhook_secret="x")
    delivery.launch(late)
    delivery.deliver(late, batch=0, now=now, send=False)
    rows, _ = db.retrying(lambda conn: delivery._claim_sends(conn, now, delivery.SEND_CHUNK, "slow-claim", late, None))
    assert [r.user_id for r in rows] == [user]
    assert delivery.send_due(campaign_id=late, now=now + timedelta(seconds=30)) == {}  # still leased
    assert delivery.send_due(campaign_id=late, now=now + delivery.send_lease() + timedelta(seconds=1)) == {"DELIVERED": 1}
    with db.transaction() as conn:
        delivery.settle_sends(conn, {"FAILED": [(rows[0], channels.Result(False, True, "WEBHOOK_HTTP_ERROR", "late"))]},
                              "slow-claim", now)
    assert sql("SELECT status, reason FROM campaign.campaign_logs WHERE campaign_id = %(c)s", c=late) == [("DELIVERED", None)]
    assert _caps(sql, [user]) == {user: 1}


def _move(cid, action):
    from services.campaign import repository
    from services.common import db

    with db.transaction() as conn:
        repository.move(conn, cid, action, by="ops-1", now=datetime.now(UTC))


def _hook_campaign(sql, hooks, **fields):
    segment, users = seed_segment(sql, 2)
    cid = make_campaign(sql, segment, channel="WEBHOOK", webhook_url=hooks, webhook_secret="x", **fields)
    delivery.launch(cid)
    return cid, users


def test_sends_wait_while_paused_keep_quiet_hours_drop_on_cancel_and_finish_after_the_end(sql, hooks, ledger_matches_wallets):
    from services.campaign import domain

    now = datetime.now(UTC)
    paused, _ = _hook_campaign(sql, hooks)
    delivery.deliver(paused, batch=0, now=now, send=False)
    _move(paused, "pause")
    assert delivery.send_due(campaign_id=paused, now=now) == {}
    assert sql("SELECT max(attempts) FROM campaign.sends WHERE campaign_id = %(c)s", c=paused) == [(0,)]
    _move(paused, "resume")
    assert delivery.send_due(campaign_id=paused, now=now) == {"DELIVERED": 2}

    seoul = domain.zone("Asia/Seoul")
    noon, night, morning = (datetime(2030, 5, d, h, 0, tzinfo=seoul) for d, h in ((1, 12), (1, 23), (2, 8)))
    quiet, _ = _hook_campaign(sql, hooks, quiet_hours_start="22:00", quiet_hours_end="08:00", timezone="Asia/Seoul")
    delivery.deliver(quiet, batch=0, now=noon, send=False)
    assert delivery.send_due(campaign_id=quiet, now=night) == {}
    assert sql("SELECT DISTINCT next_attempt_at, attempts FROM campaign.sends WHERE campaign_id = %(c)s", c=quiet) == [(morning, 0)]
    assert delivery.send_due(campaign_id=quiet, now=morning) == {"DELIVERED": 2}

    canceled, users = _hook_campaign(sql, hooks)
    delivery.deliver(canceled, batch=0, now=now, send=False)
    assert _caps(sql, users) == {u: 1 for u in users}
    _move(canceled, "cancel")
    assert delivery.send_due(campaign_id=canceled, now=now) == {"CANCELED": 2}
    assert sql("SELECT DISTINCT status, reason, meta_json->>'reward_kept' FROM campaign.campaign_logs WHERE campaign_id = %(c)s",
               c=canceled) == [("FAILED", "CAMPAIGN_CANCELED", "true")]
    assert sql("SELECT count(*) FROM campaign.sends WHERE campaign_id = %(c)s", c=canceled) == [(0,)]
    assert _caps(sql, users) == {u: 0 for u in users}
    assert sql("SELECT count(*) FROM reward.ledger WHERE idempotency_key LIKE %(k)s", k=f"campaign:{canceled}:%") == [(2,)]
    assert not [p for _, _, p in Hooks.received if p["campaign_id"] == str(canceled)]

    ended, _ = _hook_campaign(sql, hooks)
    delivery.deliver(ended, batch=0, now=now, send=False)
    _move(ended, "complete")  # the users were handled before the end: their messages still go out
    assert delivery.send_due(campaign_id=ended, now=now) == {"DELIVERED": 2}


def test_webhooks_refuse_redirects_proxies_and_link_local_addresses(sql, hooks, monkeypatch):
    # A proxy from the environment is not used (it would see every signed payload).
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_free_port()}")
    segment, users = seed_segment(sql, 3)
    Hooks.script = {users[1]: [302]}
    cid = make_campaign(sql, segment, channel="WEBHOOK", webhook_url=hooks, webhook_secret="x")
    delivery.launch(cid)
    delivery.deliver(cid, batch=0)
    assert statuses(sql, cid) == {"DELIVERED": 2, "FAILED": 1}
    assert sql("SELECT reason FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND status = 'FAILED'", c=cid) == [
        ("WEBHOOK_REDIRECTED",)]
    assert Hooks.gets == [] and len(_sent_to(users[1])) == 1  # not followed (urllib would GET /moved with the signature)
    assert _caps(sql, [users[1]]) == {users[1]: 0}

    port = hooks.split(":")[2].split("/")[0]
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://224.0.0.1/",
                f"http://0.0.0.0:{port}/hook", f"http://[::]:{port}/hook", "http://[::ffff:169.254.169.254]/"):
        m = channels.Message(1, "u", "WEBHOOK", url, "t", "b", {"delivery_id": "1.x"}, "x")
        res = channels.post_webhook(m, timeout=2)
        assert (res.ok, res.permanent, res.reason) == (False, True, "WEBHOOK_ADDRESS_REFUSED"), url
    # Loopback and private networks are internal receivers, allowed on purpose.
    assert not any(channels.refused_address(a) for a in ("127.0.0.1", "::1", "10.1.2.3", "192.168.0.1", "172.16.0.1"))
    received = len(Hooks.received)
    m = channels.Message(1, "u", "WEBHOOK", hooks, "t", "b", {"delivery_id": "1.x", "user_id": "u"}, "x")
    assert channels.post_webhook(m, timeout=2).ok and len(Hooks.received) == received + 1


def test_a_server_refusing_the_session_is_retried_later_not_a_permanent_failure():
    """A 554 greeting (or a refused login, a broken connection) is the server's or our settings'
    fault, not the messages': every message of the chunk is retried later, none fails for good."""
    import socket
    import threading

    from services.campaign import channels

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def refuse():
        conn, _ = listener.accept()
        conn.sendall(b"554 no SMTP service here\r\n")
        conn.close()

    threading.Thread(target=refuse, daemon=True).start()
    messages = [channels.Message(1, f"u{i}", "EMAIL", f"u{i}@example.com", "t", "b", {"delivery_id": f"1.u{i}"}) for i in range(3)]
    try:
        results = channels.send_emails(messages, host="127.0.0.1", port=port)
    finally:
        listener.close()
    assert [(r.ok, r.permanent, r.reason) for r in results.values()] == [(False, False, "SMTP_ERROR")] * 3
