"""Streaks, badges and challenges through the real Envoy edge: the visit answers with its streak,
a member lists, joins and claims challenges and reads their badges; admin paths refuse users."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.e2e


def test_a_member_visits_joins_completes_claims_and_reads_badges(edge, token, sql):
    from services.loyalty import streaks

    admin = token("ops-kim", "admin")
    uid = f"edge-{uuid.uuid4().hex[:8]}"
    me = token(uid)
    code = f"EDGE_{uuid.uuid4().hex[:6].upper()}"
    badge = {"code": code, "name": "첫 구매", "condition_type": "category", "condition_value": {"category": code.lower()}, "is_hidden": True}
    try:
        assert edge("POST", "/admin/api/badges", badge, token=admin).status == 200
        assert edge("POST", "/admin/api/badges", badge, token=me).status == 403
        today = streaks.rules().day(datetime.now(UTC))
        body = {"title": "한 번 구매", "challenge_type": "purchase_count", "target_value": {"count": 1},
                "reward": {"points": 700, "badge_code": code}, "start_date": today.isoformat(),
                "end_date": (today + timedelta(days=2)).isoformat(), "is_active": True}
        created = edge("POST", "/admin/api/challenges", body, token=admin)
        assert created.status == 200, created.body
        cid = created.json()["challenge"]["challenge_id"]

        visit = edge("POST", "/api/activity/record", {"event_type": "VISIT"}, token=me).json()
        assert visit["streak"]["streak"] == 1 and visit["streak"]["streak_type"] == "daily_visit"

        active = {c["challenge_id"]: c for c in edge("GET", "/api/challenges/active", token=me).json()["challenges"]}
        assert active[cid]["joined"] is False and active[cid]["target_count"] == "1" and active[cid]["days_left"] == 3
        assert edge("POST", f"/api/challenges/{cid}/join", {}, token=me).status == 200
        again = edge("POST", f"/api/challenges/{cid}/join", {}, token=me)
        assert (again.status, again.reason) == (409, "ALREADY_JOINED")
        early = edge("POST", f"/api/challenges/{cid}/claim", {}, token=me)
        assert (early.status, early.reason) == (400, "CHALLENGE_NOT_COMPLETED")

        bought = edge("POST", "/api/activity/record", {"user_id": uid, "event_type": "PURCHASE", "amount": "5000", "order_id": "e-1"},
                      token=token("shop", "service")).json()
        assert bought["streak"]["streak_type"] == "purchase"
        listed = edge("GET", "/api/challenges/active", token=me).json()["challenges"]
        assert next(c for c in listed if c["challenge_id"] == cid)["completed"] is True
        claimed = edge("POST", f"/api/challenges/{cid}/claim", {}, token=me)
        assert claimed.status == 200 and claimed.json()["reward"]["points"] == "700" and claimed.json()["badges_awarded"] == [code]
        again = edge("POST", f"/api/challenges/{cid}/claim", {}, token=me)  # a retry answers the first claim
        assert again.status == 200 and again.json()["replayed"] is True and again.json()["reward"] == claimed.json()["reward"]

        badges = {b["badge"]["code"]: b for b in edge("GET", "/api/badges", token=me).json()["badges"]}
        assert badges[code]["earned"] is True
        assert code not in {b["badge"]["code"] for b in edge("GET", "/api/badges", token=token(f"{uid}-2")).json().get("badges", [])}
        assert edge("GET", "/api/badges?user_id=someone-else", token=me).status == 403
        assert edge("GET", "/api/streaks", token=me).json()["streaks"][0]["current"] == 1
    finally:
        sql("DELETE FROM loyalty.user_badges WHERE badge_id IN (SELECT id FROM loyalty.badges WHERE code = %(c)s)", c=code)
        sql("DELETE FROM loyalty.badges WHERE code = %(c)s", c=code)
