"""Reward pools through the public API: CRUD, published odds, opening (cost, stock, grant, draw
record), pity, segments, budgets, and a statistical check that draws follow the weights."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import struct_pb2

from engage.reward.v1 import reward_pb2, reward_service_pb2 as pb
from tests.integration.grpc_failure import failure

pytestmark = pytest.mark.usefixtures("ledger_matches_wallets")

CC = reward_pb2.CC_COIN
RT = reward_pb2.RewardItem.RewardType


def _struct(d: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(d)
    return s


def tokens(amount: int, weight: int, quantity: int | None = None, token_type: str = "CC_COIN") -> pb.NewRewardItem:
    item = pb.NewRewardItem(reward_type=RT.TOKEN, reward_value=_struct({"token_type": token_type, "amount": amount}), weight=weight)
    if quantity is not None:
        item.quantity = quantity
    return item


def nothing(weight: int) -> pb.NewRewardItem:
    return pb.NewRewardItem(reward_type=RT.NOTHING, weight=weight)


def make_pool(reward, admin, items, **fields) -> reward_pb2.RewardPool:
    fields.setdefault("name", f"pool-{uuid.uuid4().hex[:8]}")
    return reward.CreateRewardPool(pb.CreateRewardPoolRequest(items=items, **fields), metadata=admin).pool


def grant(reward, admin, user, amount):
    reward.GrantTokens(pb.GrantTokensRequest(user_id=user, token_type=CC, amount=amount, reason="t"), metadata=admin)


def open_(reward, pool_id, metadata, request_id=None):
    return reward.OpenRewardPool(
        pb.OpenRewardPoolRequest(pool_id=pool_id, request_id=request_id or uuid.uuid4().hex), metadata=metadata
    )


def test_create_publishes_odds_over_items_in_stock(reward, admin, as_user, user_id):
    pool = make_pool(reward, admin, [tokens(10, 6), tokens(100, 3, quantity=0), nothing(2)])
    assert [round(i.probability, 4) for i in pool.items] == [0.75, 0.0, 0.25]
    seen = reward.GetRewardPool(pb.GetRewardPoolRequest(pool_id=pool.pool_id), metadata=as_user(user_id)).pool
    assert sum(i.probability for i in seen.items) == pytest.approx(1.0)
    assert seen.items[1].quantity == 0 and not seen.items[0].HasField("quantity")  # unlimited has no quantity


def test_bad_items_are_refused_with_their_paths(reward, admin):
    bad = pb.NewRewardItem(reward_type=RT.TOKEN, reward_value=_struct({"token_type": "GOLD", "amount": 0, "x": 1}), weight=1)
    code, reason, fields = failure(lambda: make_pool(reward, admin, [tokens(1, 1), bad]))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REWARD")
    assert set(fields) == {"items[1].reward_value.token_type", "items[1].reward_value.amount", "items[1].reward_value.x"}
    code, _, fields = failure(lambda: make_pool(reward, admin, [tokens(1, 0)]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "items[0].weight" in fields
    name = f"dup-{uuid.uuid4().hex[:6]}"
    make_pool(reward, admin, [nothing(1)], name=name)
    code, reason, _ = failure(lambda: make_pool(reward, admin, [nothing(1)], name=name))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "POOL_NAME_TAKEN")


def test_open_charges_draws_takes_stock_grants_and_records(reward, admin, as_user, user_id, sql):
    pool = make_pool(reward, admin, [tokens(500, 1, quantity=2)], cost_token_type=CC, cost_amount=30)
    grant(reward, admin, user_id, 100)
    me = as_user(user_id)
    opened = open_(reward, pool.pool_id, me, "r-1")
    d = opened.draw
    assert not opened.replayed and d.item.reward_value["amount"] == 500
    assert d.cost_entry_id and d.reward_entry_id
    assert d.odds["items"][0]["quantity"] == 2  # what it was drawn from
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s", u=user_id) == [(100 - 30 + 500,)]
    assert sql("SELECT quantity FROM reward.pool_items WHERE pool_id = %(p)s", p=pool.pool_id) == [(1,)]
    # A retry answers the first draw and changes nothing.
    again = open_(reward, pool.pool_id, me, "r-1")
    assert again.replayed and again.draw.draw_id == d.draw_id
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s", u=user_id) == [(570,)]
    # The same request id for another pool is refused.
    other = make_pool(reward, admin, [nothing(1)])
    code, reason, _ = failure(lambda: open_(reward, other.pool_id, me, "r-1"))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_REUSED")
    draws = reward.ListRewardDraws(pb.ListRewardDrawsRequest(), metadata=me).draws
    assert [x.draw_id for x in draws] == [d.draw_id]


def test_refusals_change_nothing(reward, admin, as_user, user_id, sql):
    me = as_user(user_id)
    empty = make_pool(reward, admin, [tokens(1, 1, quantity=0)], cost_token_type=CC, cost_amount=5)
    grant(reward, admin, user_id, 10)
    code, reason, _ = failure(lambda: open_(reward, empty.pool_id, me))
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "POOL_EMPTY")
    pricey = make_pool(reward, admin, [tokens(1, 1, quantity=5)], cost_token_type=CC, cost_amount=11)
    code, reason, _ = failure(lambda: open_(reward, pricey.pool_id, me))
    assert reason == "INSUFFICIENT_BALANCE"
    assert sql("SELECT quantity FROM reward.pool_items WHERE pool_id = %(p)s", p=pricey.pool_id) == [(5,)]
    inactive = make_pool(reward, admin, [nothing(1)], active=False)
    assert failure(lambda: open_(reward, inactive.pool_id, me))[1] == "POOL_INACTIVE"
    vip = make_pool(reward, admin, [nothing(1)], segment="VIP")
    assert failure(lambda: open_(reward, vip.pool_id, me))[1] == "NOT_ELIGIBLE"
    assert failure(lambda: open_(reward, 987654321, me))[1] == "POOL_NOT_FOUND"
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s", u=user_id) == [(10,)]
    assert sql("SELECT count(*) FROM reward.draws WHERE user_id = %(u)s", u=user_id) == [(0,)]


def test_segment_members_may_open_a_segment_pool(reward, admin, as_user, user_id, sql):
    sql("INSERT INTO segmentation.user_segments (user_id, segment, updated_at) VALUES (%(u)s, 'VIP', now())", u=user_id)
    vip = make_pool(reward, admin, [nothing(1)], segment="VIP")
    assert open_(reward, vip.pool_id, as_user(user_id)).draw.item.reward_type == RT.NOTHING


def test_pity_guarantees_the_item_after_n_misses(reward, admin, as_user, user_id):
    # The rare item weighs 1 in 1,000,000: without pity it would practically never come.
    pool = make_pool(reward, admin, [nothing(999_999), tokens(777, 1)], pity_threshold=3, pity_item_index=1)
    me = as_user(user_id)
    results = [open_(reward, pool.pool_id, me).draw for _ in range(4)]
    assert [d.pity for d in results] == [False, False, False, True]
    assert results[3].item.reward_value["amount"] == 777
    assert reward.GetRewardPool(pb.GetRewardPoolRequest(pool_id=pool.pool_id), metadata=me).draws_since_pity_item == 0


def test_points_and_nothing_items_are_recorded_and_points_published(reward, admin, as_user, user_id, sql):
    item = pb.NewRewardItem(reward_type=RT.POINTS, reward_value=_struct({"points": 250}), weight=1)
    pool = make_pool(reward, admin, [item])
    d = open_(reward, pool.pool_id, as_user(user_id)).draw
    assert d.item.reward_value["points"] == 250 and d.reward_entry_id == 0
    assert sql("SELECT count(*) FROM reward.outbox WHERE draw_id = %(d)s", d=d.draw_id) == [(1,)]


def test_item_updates_restock_and_change_the_odds(reward, admin):
    pool = make_pool(reward, admin, [tokens(1, 1, quantity=0), nothing(1)])
    item = pool.items[0]
    updated = reward.UpdateRewardItem(
        pb.UpdateRewardItemRequest(pool_id=pool.pool_id, item_id=item.item_id, weight=3, quantity=10), metadata=admin
    ).item
    assert (updated.quantity, updated.initial_quantity, updated.probability) == (10, 10, 0.75)
    added = reward.AddRewardItem(
        pb.AddRewardItemRequest(pool_id=pool.pool_id, reward_type=RT.NOTHING, weight=4), metadata=admin
    ).item
    assert added.probability == 0.5
    code, reason, _ = failure(
        lambda: reward.UpdateRewardItem(pb.UpdateRewardItemRequest(pool_id=pool.pool_id, item_id=999999999, weight=1), metadata=admin)
    )
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "ITEM_NOT_FOUND")


def test_delete_hides_the_pool_and_keeps_its_draws(reward, admin, as_user, user_id):
    pool = make_pool(reward, admin, [nothing(1)])
    d = open_(reward, pool.pool_id, as_user(user_id)).draw
    reward.DeleteRewardPool(pb.DeleteRewardPoolRequest(pool_id=pool.pool_id), metadata=admin)
    assert failure(lambda: open_(reward, pool.pool_id, as_user(user_id)))[1] == "POOL_NOT_FOUND"
    draws = reward.ListPoolDraws(pb.ListPoolDrawsRequest(pool_id=pool.pool_id), metadata=admin).draws
    assert [x.draw_id for x in draws] == [d.draw_id]


def test_a_pool_budget_refuses_the_grant_that_would_exceed_it(reward, admin, as_user, user_id, sql):
    pool = make_pool(reward, admin, [tokens(40, 1)])
    reward.CreateBudget(
        pb.CreateBudgetRequest(
            owner_kind=reward_pb2.Budget.POOL, owner_id=str(pool.pool_id), unit=reward_pb2.Budget.TOKENS, token_type=CC, total_limit=100
        ),
        metadata=admin,
    )
    me = as_user(user_id)
    open_(reward, pool.pool_id, me)
    open_(reward, pool.pool_id, me)
    code, reason, _ = failure(lambda: open_(reward, pool.pool_id, me))
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "BUDGET_EXHAUSTED")
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s", u=user_id) == [(80,)]
    budget = reward.ListBudgets(
        pb.ListBudgetsRequest(owner_kind=reward_pb2.Budget.POOL, owner_id=str(pool.pool_id)), metadata=admin
    ).budgets[0]
    assert (budget.spent_total, budget.spent_today) == (80, 80)


def test_daily_budget_and_count_budget(reward, admin, as_user, user_id):
    """A COUNT budget counts prizes given; a losing draw gives nothing and counts nothing."""
    pool = make_pool(reward, admin, [tokens(1, 1)])
    created = reward.CreateBudget(
        pb.CreateBudgetRequest(owner_kind=reward_pb2.Budget.POOL, owner_id=str(pool.pool_id), unit=reward_pb2.Budget.COUNT, daily_limit=2),
        metadata=admin,
    ).budget
    me = as_user(user_id)
    open_(reward, pool.pool_id, me)
    open_(reward, pool.pool_id, me)
    assert failure(lambda: open_(reward, pool.pool_id, me))[1] == "BUDGET_EXHAUSTED"
    reward.UpdateBudget(pb.UpdateBudgetRequest(budget_id=created.budget_id, daily_limit=3), metadata=admin)
    open_(reward, pool.pool_id, me)
    code, reason, _ = failure(
        lambda: reward.CreateBudget(
            pb.CreateBudgetRequest(owner_kind=reward_pb2.Budget.POOL, owner_id=str(pool.pool_id), unit=reward_pb2.Budget.COUNT, total_limit=1),
            metadata=admin,
        )
    )
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "BUDGET_EXISTS")
    code, _, fields = failure(
        lambda: reward.CreateBudget(
            pb.CreateBudgetRequest(owner_kind=reward_pb2.Budget.POOL, owner_id="x", unit=reward_pb2.Budget.TOKENS), metadata=admin
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and {"total_limit", "token_type"} <= set(fields)


def test_draws_follow_the_weights(reward, admin, as_user, user_id, sql):
    """Chi-square goodness of fit over 500 opens through the service (3 degrees of freedom; the
    critical value 16.27 is exceeded by chance once in a thousand runs)."""
    weights = [50, 30, 15, 5]
    pool = make_pool(reward, admin, [tokens(i + 1, w) for i, w in enumerate(weights)])
    me = as_user(user_id)
    n = 500
    for _ in range(n):
        open_(reward, pool.pool_id, me)
    counts = dict(sql("SELECT item_id, count(*) FROM reward.draws WHERE pool_id = %(p)s GROUP BY item_id", p=pool.pool_id))
    observed = [counts.get(i.item_id, 0) for i in pool.items]
    expected = [n * w / sum(weights) for w in weights]
    chi2 = sum((o - e) ** 2 / e for o, e in zip(observed, expected))
    assert chi2 < 16.27, (observed, expected, chi2)


def test_a_coupon_item_gives_a_personal_code_only_its_winner_can_redeem(reward, admin, as_user, user_id, channel, sql):
    from engage.coupon.v1 import coupon_service_pb2_grpc
    from tests.integration.coupon_support import make_coupon, redeem

    coupons = coupon_service_pb2_grpc.CouponServiceStub(channel)
    template = make_coupon(coupons, admin, value=300)
    item = pb.NewRewardItem(reward_type=RT.COUPON, reward_value=_struct({"coupon_id": template.coupon_id}), weight=1)
    pool = make_pool(reward, admin, [item])
    me = as_user(user_id)
    draw = open_(reward, pool.pool_id, me, "win").draw
    assert draw.coupon_code
    assert open_(reward, pool.pool_id, me, "win").draw.coupon_code == draw.coupon_code  # a retry issues no second code
    code, reason, _ = failure(lambda: redeem(coupons, as_user("someone-else"), draw.coupon_code))
    assert reason == "NOT_ELIGIBLE"
    redeem(coupons, me, draw.coupon_code)
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s AND token_type = 'CC_COIN'", u=user_id) == [(300,)]


def test_items_the_budget_cannot_pay_are_published_and_drawn_as_out_of_stock(reward, admin, as_user, user_id):
    pool = make_pool(reward, admin, [tokens(100, 1), tokens(5, 1), nothing(2)])
    reward.CreateBudget(
        pb.CreateBudgetRequest(owner_kind=reward_pb2.Budget.POOL, owner_id=str(pool.pool_id), unit=reward_pb2.Budget.TOKENS,
                               token_type=CC, total_limit=50),
        metadata=admin,
    )
    me = as_user(user_id)
    odds = reward.GetRewardPool(pb.GetRewardPoolRequest(pool_id=pool.pool_id), metadata=me).pool.items
    assert [round(i.probability, 4) for i in odds] == [0.0, 0.3333, 0.6667]
    draws = [open_(reward, pool.pool_id, me).draw for _ in range(30)]
    assert all(d.item.item_id != pool.items[0].item_id for d in draws)  # never drawn, never refused after the draw


def test_a_prize_coupon_must_exist_and_an_expired_one_stops_being_drawn(reward, admin, as_user, user_id, channel, sql):
    from engage.coupon.v1 import coupon_service_pb2_grpc
    from tests.integration.coupon_support import make_coupon

    coupons = coupon_service_pb2_grpc.CouponServiceStub(channel)
    template = make_coupon(coupons, admin)
    unknown = pb.NewRewardItem(reward_type=RT.COUPON, reward_value=_struct({"coupon_id": 10**12}), weight=1)
    code, reason, fields = failure(lambda: make_pool(reward, admin, [nothing(1), unknown]))
    assert reason == "INVALID_REWARD" and set(fields) == {"items[1].reward_value.coupon_id"}
    prize = pb.NewRewardItem(reward_type=RT.COUPON, reward_value=_struct({"coupon_id": template.coupon_id}), weight=1)
    pool = make_pool(reward, admin, [nothing(1), prize])
    assert [i.probability for i in pool.items] == [0.5, 0.5]
    sql("UPDATE coupon.coupons SET expires_at = now() - interval '1 second' WHERE id = %(c)s", c=template.coupon_id)
    me = as_user(user_id)
    seen = reward.GetRewardPool(pb.GetRewardPoolRequest(pool_id=pool.pool_id), metadata=me).pool
    assert [i.probability for i in seen.items] == [1.0, 0.0]
    assert all(open_(reward, pool.pool_id, me).draw.item.reward_type == RT.NOTHING for _ in range(10))
