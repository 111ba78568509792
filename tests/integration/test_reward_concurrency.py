"""Value under concurrency: opens racing for scarce stock, retries racing their original, grants
racing on one wallet. After each, every wallet equals the sum of its ledger."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from engage.reward.v1 import reward_pb2, reward_service_pb2 as pb
from tests.integration.grpc_failure import outcome
from tests.integration.test_reward_pools import make_pool, nothing, tokens

CC = reward_pb2.CC_COIN


pytestmark = pytest.mark.usefixtures("ledger_matches_wallets")


def test_100_concurrent_opens_hand_out_at_most_the_stock_of_the_rare_item(reward, admin, as_user, sql):
    pool = make_pool(reward, admin, [tokens(1000, 50, quantity=3), nothing(50)], cost_token_type=CC, cost_amount=10)
    rare = pool.items[0].item_id
    users = [f"u-{uuid.uuid4().hex[:10]}" for _ in range(100)]
    for u in users:
        reward.GrantTokens(pb.GrantTokensRequest(user_id=u, token_type=CC, amount=10, reason="t"), metadata=admin)

    def open_one(u):
        try:
            return reward.OpenRewardPool(pb.OpenRewardPoolRequest(pool_id=pool.pool_id, request_id="r"), metadata=as_user(u)).draw
        except grpc.RpcError as e:
            return e.code()

    with ThreadPoolExecutor(32) as ex:
        results = list(ex.map(open_one, users))
    assert all(isinstance(r, reward_pb2.RewardDraw) for r in results), {r for r in results if not isinstance(r, reward_pb2.RewardDraw)}
    won = [r for r in results if r.item.item_id == rare]
    assert len(won) <= 3
    (stock,) = sql("SELECT quantity FROM reward.pool_items WHERE id = %(i)s", i=rare)[0]
    assert stock == 3 - len(won) >= 0
    # With 50% weight on the rare item and 100 opens, all three were almost surely taken.
    assert len(won) == 3
    assert sql("SELECT count(*), sum(delta) FROM reward.ledger WHERE reason = 'POOL_OPEN_COST' AND meta->>'pool_id' = %(p)s",
               p=str(pool.pool_id)) == [(100, -1000)]


def test_when_the_stock_runs_out_the_rest_are_refused_before_paying(reward, admin, as_user, sql):
    pool = make_pool(reward, admin, [tokens(5, 1, quantity=10)], cost_token_type=CC, cost_amount=1)
    users = [f"u-{uuid.uuid4().hex[:10]}" for _ in range(40)]
    for u in users:
        reward.GrantTokens(pb.GrantTokensRequest(user_id=u, token_type=CC, amount=1, reason="t"), metadata=admin)

    def open_one(u):
        return outcome(lambda: reward.OpenRewardPool(pb.OpenRewardPoolRequest(pool_id=pool.pool_id, request_id="r"), metadata=as_user(u)))

    with ThreadPoolExecutor(16) as ex:
        outcomes = list(ex.map(open_one, users))
    assert sum(1 for o in outcomes if o[1] == "POOL_EMPTY") == 30
    assert sum(1 for o in outcomes if o[0] is None) == 10  # outcome() answers (None, ...) for a success
    assert sql("SELECT quantity FROM reward.pool_items WHERE pool_id = %(p)s", p=pool.pool_id) == [(0,)]
    assert sql("SELECT count(*) FROM reward.wallets WHERE user_id = ANY(%(u)s) AND balance = 1 AND token_type = 'CC_COIN'", u=users) == [(30,)]


def test_concurrent_retries_of_one_open_draw_and_charge_once(reward, admin, as_user, user_id, sql):
    pool = make_pool(reward, admin, [tokens(7, 1, quantity=100)], cost_token_type=CC, cost_amount=3)
    reward.GrantTokens(pb.GrantTokensRequest(user_id=user_id, token_type=CC, amount=3, reason="t"), metadata=admin)
    me = as_user(user_id)
    with ThreadPoolExecutor(10) as ex:
        draws = list(ex.map(
            lambda _: reward.OpenRewardPool(pb.OpenRewardPoolRequest(pool_id=pool.pool_id, request_id="same"), metadata=me), range(20)
        ))
    assert len({d.draw.draw_id for d in draws}) == 1
    assert sum(1 for d in draws if not d.replayed) == 1
    assert sql("SELECT quantity FROM reward.pool_items WHERE pool_id = %(p)s", p=pool.pool_id) == [(99,)]
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s", u=user_id) == [(7,)]


def test_concurrent_grants_and_revokes_on_one_wallet_never_go_negative(reward, admin, user_id, sql):
    reward.GrantTokens(pb.GrantTokensRequest(user_id=user_id, token_type=CC, amount=50, reason="t"), metadata=admin)

    def change(n):
        if n % 2:
            return outcome(lambda: reward.RevokeTokens(pb.RevokeTokensRequest(user_id=user_id, token_type=CC, amount=7, reason="r"), metadata=admin))
        return outcome(lambda: reward.GrantTokens(
            pb.GrantTokensRequest(user_id=user_id, token_type=CC, amount=1, reason="g", request_id=f"g-{n % 10}"), metadata=admin))

    with ThreadPoolExecutor(16) as ex:
        outcomes = list(ex.map(change, range(60)))
    assert {o[1] for o in outcomes} <= {None, "INSUFFICIENT_BALANCE"}
    revokes = sum(1 for n, o in enumerate(outcomes) if n % 2 and o[0] is None)
    grants = 5  # g-0, g-2, ... g-8: each request id applied once
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s", u=user_id) == [(50 + grants - 7 * revokes,)]


def test_concurrent_opens_cash_each_pity_once(reward, admin, as_user, user_id, sql):
    pool = make_pool(reward, admin, [nothing(999_999), tokens(777, 1)], pity_threshold=2, pity_item_index=1)
    me = as_user(user_id)
    for n in range(2):
        reward.OpenRewardPool(pb.OpenRewardPoolRequest(pool_id=pool.pool_id, request_id=f"miss-{n}"), metadata=me)
    with ThreadPoolExecutor(8) as ex:
        draws = list(ex.map(
            lambda n: reward.OpenRewardPool(pb.OpenRewardPoolRequest(pool_id=pool.pool_id, request_id=f"race-{n}"), metadata=me).draw,
            range(8),
        ))
    # Serialized on the counter, the 8 opens behave as 8 in a row would: the 1st cashes the pity
    # earned by the 2 misses, then every 3rd (2 misses, then the guarantee): 3 in all, not one each.
    assert sum(d.pity for d in draws) == 3
    assert sql("SELECT count(*) FROM reward.ledger WHERE user_id = %(u)s AND delta = 777", u=user_id) == [(3,)]
    assert sql("SELECT misses FROM reward.pity_counters WHERE user_id = %(u)s", u=user_id) == [(1,)]


def test_opens_racing_for_the_last_of_a_budget_stop_exactly_at_it(reward, admin, as_user, sql):
    pool = make_pool(reward, admin, [tokens(10, 1)])
    reward.CreateBudget(
        pb.CreateBudgetRequest(owner_kind=reward_pb2.Budget.POOL, owner_id=str(pool.pool_id), unit=reward_pb2.Budget.TOKENS,
                               token_type=CC, total_limit=55),
        metadata=admin,
    )
    users = [f"u-{uuid.uuid4().hex[:10]}" for _ in range(24)]
    with ThreadPoolExecutor(12) as ex:
        outcomes = list(ex.map(
            lambda u: outcome(lambda: reward.OpenRewardPool(pb.OpenRewardPoolRequest(pool_id=pool.pool_id, request_id="r"), metadata=as_user(u))),
            users,
        ))
    assert outcomes.count((None, None)) == 5  # 5 × 10 fits in 55; a sixth would not
    assert {o for o in outcomes if o != (None, None)} == {(grpc.StatusCode.FAILED_PRECONDITION, "BUDGET_EXHAUSTED")}
    assert sql("SELECT spent_total FROM reward.budgets WHERE owner_kind = 'POOL' AND owner_id = %(p)s", p=str(pool.pool_id)) == [(50,)]
    assert sql("SELECT count(*) FROM reward.draws WHERE pool_id = %(p)s", p=pool.pool_id) == [(5,)]
