"""Leaderboards, referrals and the dashboard through the real Envoy edge: the member's paths with
their JSON shapes and error statuses, and the admin-only snapshot path."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e


def test_a_member_refers_a_friend_ranks_and_reads_the_dashboard(edge, token):
    from tests.integration.loyalty_support import purchase

    run = uuid.uuid4().hex[:8]
    alice, bob, carol = f"edge-a-{run}", f"edge-b-{run}", f"edge-c-{run}"
    mine = edge("GET", "/api/referrals/me", token=token(alice))
    assert mine.status == 200, mine.body
    code = mine.json()["code"]
    assert (len(code), mine.json()["referrals"], mine.json()["monthly_cap"]) == (10, [], 10)

    attached = edge("POST", "/api/referrals/attach", {"code": code}, token=token(bob))
    assert attached.status == 200, attached.body
    assert attached.json()["referral"]["status"] == "ATTACHED"
    carol_code = edge("GET", "/api/referrals/me", token=token(carol)).json()["code"]
    assert (r := edge("POST", "/api/referrals/attach", {"code": carol_code}, token=token(bob))).status == 409 and r.reason == "REFERRAL_ALREADY_ATTACHED"
    assert (r := edge("POST", "/api/referrals/attach", {"code": code}, token=token(alice))).status == 400 and r.reason == "SELF_REFERRAL"
    assert (r := edge("POST", "/api/referrals/attach", {"code": "ZZZZZZZZZZ"}, token=token(carol))).status == 404
    assert r.reason == "REFERRAL_CODE_NOT_FOUND"
    assert edge("POST", "/api/referrals/attach", {"code": "bad!"}, token=token(carol)).status == 400

    purchase(bob, 50_000, f"edge-order-{run}")
    purchase(alice, 20_000)
    listed = edge("GET", "/api/referrals/me", token=token(alice)).json()["referrals"]
    assert [(r["status"], r["points"]) for r in listed] == [("PENDING", "3000")]

    board = edge("GET", "/api/leaderboards/monthly", token=token(bob))
    assert board.status == 200, board.body
    lb = board.json()["leaderboard"]
    assert (lb["me"]["user_id"], lb["me"]["value"], lb["me"]["is_me"], lb["scope"]) == (bob, "50000", True, "global")
    friends = edge("GET", "/api/leaderboards/weekly?scope=friends", token=token(alice)).json()["leaderboard"]
    assert [(e["rank"], e["value"], e["is_me"]) for e in friends["entries"]] == [("1", "50000", False), ("2", "20000", True)]
    assert friends["entries"][0]["user_id"].endswith("***")
    assert edge("GET", "/api/leaderboards/daily", token=token(alice)).status == 400
    assert edge("GET", "/api/leaderboards/monthly?scope=city", token=token(alice)).status == 400

    dash = edge("GET", "/api/me/dashboard", token=token(bob))
    assert dash.status == 200, dash.body
    d = dash.json()["dashboard"]
    assert (d["tier"]["current"]["code"], d["tier"]["total_amount"], d["tier"]["remaining_to_next"]) == ("BRONZE", "50000", "50000")
    assert (d["points"]["balance"], d["points"]["pending"]) == ("500", "2000")
    assert {"streak", "purchase_streak", "challenges", "badges"} <= set(d)
    assert edge("GET", f"/api/me/dashboard?user_id={alice}", token=token(bob)).status == 403

    snap = "/admin/api/leaderboards/monthly/snapshots/2000-01-01"
    assert edge("GET", snap, token=token(alice)).status == 403
    missing = edge("GET", snap, token=token("ops-kim", "admin"))
    assert (missing.status, missing.reason) == (404, "SNAPSHOT_NOT_FOUND")
