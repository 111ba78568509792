"""The Reward service's REST paths through the real Envoy edge, with the JSON shapes the web app
and the admin console use."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e


def test_admin_grants_and_revokes_and_the_user_reads_their_wallet(edge, token):
    admin = token("ops-kim", "admin")
    uid = f"edge-{uuid.uuid4().hex[:8]}"
    me = token(uid)
    granted = edge("POST", "/admin/api/game-tokens/grant", {"user_id": uid, "token_type": "DICE_TOKEN", "amount": 5, "reason": "event"}, token=admin)
    assert granted.status == 200, granted.body
    assert granted.json()["entry"]["balance_after"] == "5"  # int64 travels as a JSON string
    over = edge("POST", "/admin/api/game-tokens/revoke", {"user_id": uid, "token_type": "DICE_TOKEN", "amount": 6, "reason": "x"}, token=admin)
    assert over.status == 400 and over.reason == "INSUFFICIENT_BALANCE"
    assert edge("POST", "/admin/api/game-tokens/revoke", {"user_id": uid, "token_type": "DICE_TOKEN", "amount": 2, "reason": "x"}, token=admin).status == 200

    # The admin console's body has no request_id: an Idempotency-Key header makes a double click count once.
    body = {"user_id": uid, "token_type": "CC_COIN", "amount": 1, "reason": "double click"}
    clicks = [edge("POST", "/admin/api/game-tokens/grant", body, token=admin, headers={"Idempotency-Key": "k-1"}) for _ in range(2)]
    assert clicks[0].json()["entry"]["entry_id"] == clicks[1].json()["entry"]["entry_id"]

    wallet = edge("GET", "/api/wallet", token=me).json()["wallets"]
    assert {w["token_type"]: w["balance"] for w in wallet}["DICE_TOKEN"] == "3"
    assert {w["token_type"]: w["balance"] for w in wallet}["CC_COIN"] == "1"
    ledger = edge("GET", "/api/wallet/ledger?page_size=1&token_type=DICE_TOKEN", token=me).json()
    assert [e["delta"] for e in ledger["entries"]] == ["-2"] and ledger["next_page_token"]
    rest = edge("GET", f"/api/wallet/ledger?page_size=1&token_type=DICE_TOKEN&page_token={ledger['next_page_token']}", token=me).json()
    assert [e["delta"] for e in rest["entries"]] == ["5"]
    assert len(edge("GET", "/api/wallet/ledger", token=me).json()["entries"]) == 3

    listed = edge("GET", f"/admin/api/game-tokens/wallets?user_id={uid}", token=admin).json()["wallets"]
    assert [(w["token_type"], w["balance"]) for w in listed] == [("CC_COIN", "1"), ("DICE_TOKEN", "3")]
    assert len(edge("GET", f"/admin/api/game-tokens/ledger?user_id={uid}&token_type=DICE_TOKEN", token=admin).json()["entries"]) == 2
    assert edge("GET", "/admin/api/game-tokens/wallets", token=me).status == 403
    assert edge("GET", "/api/wallet?user_id=someone-else", token=me).status == 403
    bad = edge("POST", "/admin/api/game-tokens/grant", {"user_id": uid, "token_type": "GOLD", "amount": 1, "reason": "x"}, token=admin)
    assert bad.status == 400


def test_the_admin_builds_a_pool_and_a_user_sees_its_odds_and_opens_it(edge, token):
    admin = token("ops-kim", "admin")
    body = {
        "name": f"edge-pool-{uuid.uuid4().hex[:6]}",
        "description": "weekly box",
        "cost_token_type": "CC_COIN",
        "cost_amount": 10,
        "items": [
            {"reward_type": "TOKEN", "reward_value": {"token_type": "CC_COIN", "amount": 100}, "weight": 1, "quantity": 1},
            {"reward_type": "NOTHING", "weight": 3},
        ],
    }
    created = edge("POST", "/admin/api/reward-pools", body, token=admin)
    assert created.status == 200, created.body
    pool_id = created.json()["pool"]["pool_id"]
    added = edge("POST", f"/admin/api/reward-pools/{pool_id}/items", {"reward_type": "POINTS", "reward_value": {"points": 50}, "weight": 4}, token=admin)
    assert added.status == 200 and added.json()["item"]["probability"] == 0.5

    uid = f"edge-{uuid.uuid4().hex[:8]}"
    me = token(uid)
    odds = edge("GET", f"/api/reward-pools/{pool_id}", token=me).json()["pool"]["items"]
    assert [i["probability"] for i in odds] == [0.125, 0.375, 0.5]

    poor = edge("POST", f"/api/rewards/open/{pool_id}", {"request_id": "first"}, token=me)
    assert poor.status == 400 and poor.reason == "INSUFFICIENT_BALANCE"
    edge("POST", "/admin/api/game-tokens/grant", {"user_id": uid, "token_type": "CC_COIN", "amount": 10, "reason": "t"}, token=admin)
    opened = edge("POST", f"/api/rewards/open/{pool_id}", {"request_id": "first"}, token=me)
    assert opened.status == 200, opened.body
    draw = opened.json()["draw"]
    assert draw["item"]["reward_type"] in {"TOKEN", "NOTHING", "POINTS"} and draw["odds"]["items"]
    again = edge("POST", f"/api/rewards/open/{pool_id}", {"request_id": "first"}, token=me).json()
    assert again["replayed"] is True and again["draw"]["draw_id"] == draw["draw_id"]
    assert edge("GET", "/api/rewards/draws", token=me).json()["draws"][0]["draw_id"] == draw["draw_id"]
    assert edge("POST", "/api/rewards/open/99999999", {"request_id": "x"}, token=me).status == 404
    assert edge("POST", f"/api/rewards/open/{pool_id}", {}, token=me).status == 400  # request_id is required
    assert edge("POST", "/admin/api/reward-pools", body, token=admin).status == 409
    assert edge("GET", "/admin/api/reward-pools", token=me).status == 403
