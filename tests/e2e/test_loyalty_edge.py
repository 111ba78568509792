"""The Loyalty service's REST paths through the real Envoy edge: a member's points, ledger and tier,
and the admin's grant, spend and tier table."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e


def test_a_member_reads_points_ledger_and_tier_and_the_admin_grants_and_spends(edge, token):
    from tests.integration.loyalty_support import purchase

    admin = token("ops-kim", "admin")
    uid = f"edge-{uuid.uuid4().hex[:8]}"
    me = token(uid)
    purchase(uid, 150_000, "web-1")  # 1,500 points; Silver
    granted = edge("POST", "/admin/api/points/grant", {"user_id": uid, "points": 500, "reason": "apology", "request_id": "g1"}, token=admin)
    assert granted.status == 200, granted.body
    assert granted.json()["entry"]["balance_after"] == "2000"  # int64 travels as a JSON string
    spent = edge("POST", "/admin/api/points/spend", {"user_id": uid, "points": 1600, "request_id": "cart-1", "reason": "order 77"}, token=admin)
    assert spent.status == 200, spent.body
    assert [lot["points"] for lot in spent.json()["entry"]["lots"]] == ["1500", "100"]
    over = edge("POST", "/admin/api/points/spend", {"user_id": uid, "points": 401, "request_id": "cart-2", "reason": "x"}, token=admin)
    assert over.status == 400 and over.reason == "INSUFFICIENT_POINTS"

    balance = edge("GET", "/api/points", token=me).json()
    assert (balance["balance"], balance["pending"]) == ("400", "0")
    ledger = edge("GET", "/api/points/ledger?page_size=2", token=me).json()
    assert [e["reason"] for e in ledger["entries"]] == ["SPEND", "ADMIN_GRANT"] and ledger["next_page_token"]
    tier = edge("GET", "/api/tier", token=me).json()["tier"]
    assert (tier["current"]["code"], tier["current"]["display_name"], tier["next_tier"]["code"]) == ("SILVER", "실버", "GOLD")
    assert (tier["total_amount"], tier["remaining_to_next"], tier["progress_pct"]) == ("150000", "150000", 25.0)
    assert edge("GET", f"/admin/api/users/{uid}/tier", token=admin).json()["tier"] == tier

    assert edge("GET", "/api/points?user_id=someone-else", token=me).status == 403
    assert edge("POST", "/admin/api/points/grant", {"user_id": uid, "points": 1, "reason": "x"}, token=me).status == 403
    assert edge("GET", "/admin/api/tiers", token=me).status == 403


def test_the_admin_edits_the_tier_table(edge, token):
    admin = token("ops-kim", "admin")
    tiers = edge("GET", "/admin/api/tiers", token=admin).json()["tiers"]
    assert [t["code"] for t in tiers][:5] == ["BRONZE", "SILVER", "GOLD", "PLATINUM", "DIAMOND"]
    code = f"E{uuid.uuid4().hex[:6].upper()}"
    body = {"code": code, "display_name": "블랙", "min_spend": 90_000_000 + uuid.uuid4().int % 1000, "benefits": {"point_multiplier": 5, "vip_support": True}}
    created = edge("POST", "/admin/api/tiers", body, token=admin)
    assert created.status == 200, created.body
    assert edge("POST", "/admin/api/tiers", body, token=admin).status == 409
    assert edge("PUT", f"/admin/api/tiers/{code}", {**body, "display_name": "블랙2"}, token=admin).json()["tier"]["display_name"] == "블랙2"
    assert edge("DELETE", f"/admin/api/tiers/{code}", token=admin).status == 200
    assert edge("DELETE", "/admin/api/tiers/BRONZE", token=admin).reason == "BASE_TIER_REQUIRED"
