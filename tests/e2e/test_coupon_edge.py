"""Coupon's REST paths through the real Envoy edge: the admin console creates a coupon, a user
redeems it, and every refusal arrives with its HTTP status and reason."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e


def test_an_admin_creates_a_coupon_and_a_user_redeems_it(edge, token, sql):
    admin = token("ops-choi", "admin")
    code = f"Edge-{uuid.uuid4().hex[:8]}"
    body = {"code": code, "type": "BONUS_TOKEN", "value": 300, "token_type": "CC_COIN", "usage_limit": 1, "per_user_limit": 1}
    created = edge("POST", "/admin/api/coupons", body, token=admin)
    assert created.status == 200, created.body
    coupon = created.json()["coupon"]
    assert (coupon["code"], coupon["type"], coupon["value"], coupon["usage_limit"], coupon["status"]) == (code, "BONUS_TOKEN", "300", "1", "ACTIVE")
    assert edge("POST", "/admin/api/coupons", {**body, "code": code.lower()}, token=admin).reason == "CODE_TAKEN"
    listed = edge("GET", f"/admin/api/coupons?code_prefix={code}", token=admin).json()["coupons"]
    assert [c["coupon_id"] for c in listed] == [coupon["coupon_id"]]

    user = f"edge-{uuid.uuid4().hex[:8]}"
    me = token(user)
    request_id = str(uuid.uuid4())
    valid = edge("POST", "/api/coupons/validate", {"code": code.lower()}, token=me)
    assert valid.status == 200 and valid.json()["amount"] == "300"
    redeemed = edge("POST", "/api/coupons/redeem", {"code": code, "request_id": request_id}, token=me)
    assert redeemed.status == 200, redeemed.body
    r = redeemed.json()
    assert (r["redemption"]["amount"], r["redemption"]["token_type"], r["redemption"]["user_id"], r.get("replayed", False)) == ("300", "CC_COIN", user, False)
    replay = edge("POST", "/api/coupons/redeem", {"code": code, "request_id": request_id}, token=me).json()
    assert replay["replayed"] and replay["redemption"] == r["redemption"]
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s AND token_type = 'CC_COIN'", u=user) == [(300,)]
    mine = edge("GET", "/api/coupons/redemptions", token=me).json()["redemptions"]
    assert [m["redemption_id"] for m in mine] == [r["redemption"]["redemption_id"]]
    history = edge("GET", f"/admin/api/coupons/{coupon['coupon_id']}/redemptions", token=admin).json()["redemptions"]
    assert [h["user_id"] for h in history] == [user]

    other = token(f"edge-{uuid.uuid4().hex[:8]}")
    cases = [
        (edge("POST", "/api/coupons/redeem", {"code": "NO-SUCH-CODE-1", "request_id": "r1"}, token=other), 404, "NOT_FOUND"),
        (edge("POST", "/api/coupons/redeem", {"code": code, "request_id": "r2"}, token=other), 400, "EXHAUSTED"),
        (edge("POST", "/api/coupons/redeem", {"code": "OTHER-CODE", "request_id": request_id}, token=me), 409, "REQUEST_ID_REUSED"),
        (edge("POST", "/api/coupons/redeem", {"code": code}, token=other), 400, "INVALID_FIELDS"),
        (edge("GET", "/admin/api/coupons", token=me), 403, "ADMIN_REQUIRED"),
        (edge("POST", "/api/coupons/reserve", {"user_id": user, "code": code, "request_id": "o1"}, token=me), 403, "ROLE_NOT_ALLOWED"),
    ]
    for response, status, reason in cases:
        assert (response.status, response.reason) == (status, reason), response.body
    assert edge("DELETE", f"/admin/api/coupons/{coupon['coupon_id']}", token=admin).reason == "COUPON_IN_USE"


def test_guessing_codes_is_answered_429(edge, token):
    guesser = token(f"edge-{uuid.uuid4().hex[:8]}")
    statuses = [
        edge("POST", "/api/coupons/redeem", {"code": f"GUESS-{i:04d}", "request_id": f"g{i}"}, token=guesser).status
        for i in range(12)
    ]
    assert statuses[:10] == [404] * 10  # COUPON_FAILED_REDEEM_LIMIT defaults to 10 a minute
    late = edge("POST", "/api/coupons/validate", {"code": "GUESS-9999"}, token=guesser)
    assert statuses[10:] == [429, 429] and (late.status, late.reason) == (429, "TOO_MANY_ATTEMPTS")
