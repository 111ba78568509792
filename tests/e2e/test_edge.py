"""The REST surface through the real Envoy transcoder: paths, JSON shapes, status codes, CORS, limits."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

pytestmark = pytest.mark.e2e


def test_the_web_app_records_an_event_and_a_replay_is_flagged(edge, token, user_id):
    tok = token(user_id)
    body = {"event_type": "roulette_play", "event_id": str(uuid.uuid4()), "value": 1, "meta_json": {"page": "roulette"}}
    first = edge("POST", "/api/activity/record", body, token=tok)
    assert first.status == 200 and first.headers["content-type"] == "application/json"
    assert first.json()["user_id"] == user_id and first.json()["duplicate"] is False
    again = edge("POST", "/api/activity/record", body, token=tok)
    assert again.status == 200 and again.json()["duplicate"] is True
    assert again.json()["updated_at"] == first.json()["updated_at"]

    me = edge("GET", "/api/activity/me", token=tok).json()["activity"]
    assert me["user_id"] == user_id and me["roulette_plays"] == "1"  # int64 travels as a string
    assert "x-request-id" in first.headers


def test_errors_are_json_status_bodies_with_the_right_http_code(edge, token, user_id):
    tok = token(user_id)
    eid = str(uuid.uuid4())
    assert edge("POST", "/api/activity/record", {"event_type": "VISIT", "event_id": eid}, token=tok).status == 200
    cases = [
        (edge("POST", "/api/activity/record", {"event_type": "VISIT"}), 401, "MISSING_TOKEN"),
        (edge("POST", "/api/activity/record", {"event_type": "VISIT", "event_id": "nope"}, token=tok), 400, "INVALID_FIELDS"),
        (edge("POST", "/api/activity/record", {"event_type": "LOGIN", "event_id": eid}, token=tok), 409, "EVENT_ID_REUSED"),
        (edge("POST", "/api/activity/record", {"event_type": "PURCHASE", "amount": 100, "order_id": "o"}, token=tok), 403, "TRUSTED_CALLER_REQUIRED"),
        (edge("POST", "/api/activity/record", {"event_type": "VISIT", "user_id": "someone-else"}, token=tok), 403, "NOT_YOUR_DATA"),
    ]
    for resp, status, reason in cases:
        assert resp.status == status, resp.body
        assert resp.headers["content-type"] == "application/json"  # never application/grpc with an empty body
        assert resp.reason == reason
    assert cases[1][0].fields == {"event_id"}


def test_admin_paths_need_the_admin_role(edge, token, user_id):
    user, admin = token(user_id), token("ops-lee", "admin")
    entries = {"entries": [{"user_id": user_id, "deposit_amount": 1_500_000}]}
    refused = edge("PUT", "/admin/api/external-ranking", entries, token=user)
    assert (refused.status, refused.reason) == (403, "ADMIN_REQUIRED")
    # Even a user's own data is not theirs to read through the admin API.
    own = edge("GET", f"/admin/api/users/{user_id}/activity", token=user)
    assert (own.status, own.reason) == (403, "ADMIN_REQUIRED")
    service = edge("GET", f"/admin/api/users/{user_id}/activity", token=token("svc", "service"))
    assert service.status == 403
    done = edge("PUT", "/admin/api/external-ranking", entries, token=admin)
    assert done.status == 200 and done.json()["results"][0]["increased"] is True
    read = edge("GET", f"/admin/api/users/{user_id}/activity", token=admin)
    assert read.status == 200 and read.json()["activity"]["deposit_amount"] == "1500000"
    assert "last_charge_at" in read.json()["activity"]


def test_backends_speaking_http_name_the_user_and_send_purchases(edge, token, user_id):
    svc = token("order-service", "service")
    body = {"user_id": user_id, "event_type": "PURCHASE", "amount": "25000", "currency": "KRW", "category": "bags", "order_id": "A-100"}
    r = edge("POST", "/api/activity/record", body, token=svc)
    assert r.status == 200 and r.json()["user_id"] == user_id
    missing = edge("POST", "/api/activity/record", {"event_type": "VISIT"}, token=svc)
    assert missing.status == 400 and missing.fields == {"user_id"}
    me = edge("GET", "/api/activity/me", token=token(user_id)).json()["activity"]
    assert (me["purchase_count"], me["purchase_total"]) == ("1", "25000")


def test_the_edge_rejects_what_it_cannot_map(edge, token, user_id):
    tok = token(user_id)
    assert edge("GET", "/api/activity/me?bogus=1", token=tok).status == 400
    assert edge("GET", "/api/nothing-here", token=tok).status == 404
    assert edge("GET", "/api/activity/record", token=tok).status == 404
    assert edge("POST", "/api/activity/record", {"event_type": "VISIT", "value": "many"}, token=tok).status == 400
    assert edge("POST", "/api/activity/record", raw=b'{"event_type": ', token=tok).status == 400
    assert edge("POST", "/api/activity/record", {"event_type": "NOT_A_TYPE"}, token=tok).status == 400
    big = {"event_type": "VISIT", "meta_json": {"blob": "x" * 1_100_000}}
    assert edge("POST", "/api/activity/record", big, token=tok).status == 413


def test_unknown_body_fields_are_dropped_by_the_transcoder(edge, token, user_id):
    # Pinned: proto3 JSON mapping ignores unknown fields; if Envoy ever starts refusing them, we want to know.
    r = edge("POST", "/api/activity/record", {"event_type": "VISIT", "colour": "blue"}, token=token(user_id))
    assert r.status == 200


def test_cors_preflight_is_answered_for_configured_origins_only(edge, settings):
    allowed = settings.cors_origins[0]
    pre = {"access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type"}
    ok = edge("OPTIONS", "/api/activity/record", headers={"origin": allowed, **pre})
    assert ok.status == 200 and ok.headers["access-control-allow-origin"] == allowed
    assert "authorization" in ok.headers["access-control-allow-headers"]
    other = edge("OPTIONS", "/api/activity/record", headers={"origin": "https://evil.example", **pre})
    assert "access-control-allow-origin" not in other.headers


def test_a_grpc_timeout_header_sets_the_deadline(edge, token, user_id, settings):
    from services.common.config import libpq_url

    tok = token(user_id)
    assert edge("POST", "/api/activity/record", {"event_type": "VISIT"}, token=tok).status == 200
    conn = psycopg.connect(libpq_url(settings.database_url))
    conn.execute("SELECT 1 FROM activity.user_activity WHERE user_id = %s FOR UPDATE", (user_id,))  # hold the row
    release = threading.Timer(3.0, conn.rollback)
    release.start()
    try:
        started = time.monotonic()
        r = edge("POST", "/api/activity/record", {"event_type": "VISIT"}, token=tok, headers={"grpc-timeout": "300m"})
        elapsed = time.monotonic() - started
    finally:
        release.join()
        conn.close()
    assert r.status == 504 and elapsed < 2.0


def test_the_openapi_document_is_served_from_the_protos(edge):
    r = edge("GET", "/openapi.json")
    assert r.status == 200
    doc = r.json()
    assert {"/api/activity/record", "/api/activity/me", "/admin/api/external-ranking", "/admin/api/users/{user_id}/activity"} <= set(doc["paths"])
    record = doc["paths"]["/api/activity/record"]["post"]
    assert record["x-grpc-method"] == "/engage.activity.v1.ActivityService/RecordActivity"
    schema = doc["components"]["schemas"]["engage.activity.v1.RecordActivityRequest"]
    assert "ROULETTE_PLAY" in schema["properties"]["event_type"]["enum"]


def test_events_are_listed_through_the_edge(edge, token, user_id):
    tok = token(user_id)
    for _ in range(3):
        assert edge("POST", "/api/activity/record", {"event_type": "VISIT"}, token=tok).status == 200
    first = edge("GET", "/api/activity/events?page_size=2", token=tok)
    assert first.status == 200 and len(first.json()["events"]) == 2
    rest = edge("GET", f"/api/activity/events?page_size=2&page_token={first.json()['next_page_token']}", token=tok)
    assert len(rest.json()["events"]) == 1 and rest.json()["next_page_token"] == ""
    assert edge("GET", f"/admin/api/users/{user_id}/events", token=tok).status == 403
    admin = edge("GET", f"/admin/api/users/{user_id}/events", token=token("ops", "admin"))
    assert admin.status == 200 and len(admin.json()["events"]) == 3
