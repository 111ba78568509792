"""Points under concurrency, with real threads on the real database: duplicate deliveries of one
purchase, spends racing for one balance, and spends racing the expiry sweep."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from engage.loyalty.v1 import loyalty_service_pb2 as pb
from engage.loyalty.v1 import loyalty_service_pb2_grpc

from services.common import db
from services.loyalty import points, service
from tests.integration.grpc_failure import outcome
from tests.integration.loyalty_support import assert_ledger_consistent, purchase, refund


@pytest.fixture(scope="module")
def loyalty(channel):
    return loyalty_service_pb2_grpc.LoyaltyServiceStub(channel)


@pytest.fixture(autouse=True)
def ledger_consistent(sql):
    yield
    assert_ledger_consistent(sql)


def test_concurrent_deliveries_of_one_purchase_grant_once(user_id, sql):
    event_id = str(uuid.uuid4())
    with ThreadPoolExecutor(16) as ex:
        results = list(ex.map(lambda _: purchase(user_id, 100_000, "o-dup", event_id=event_id), range(16)))
    assert sorted(r.duplicate for r in results) == [False] + [True] * 15
    assert service.balance(user_id).balance == 1000
    assert sql("SELECT lifetime_spend FROM loyalty.members WHERE user_id = %(u)s", u=user_id) == [(100_000,)]
    assert sql("SELECT count(*) FROM loyalty.lots WHERE user_id = %(u)s", u=user_id) == [(1,)]


def test_concurrent_spends_never_take_more_than_the_balance(loyalty, as_user, user_id):
    admin = as_user("ops", "admin")
    for _ in range(4):
        loyalty.GrantPoints(pb.GrantPointsRequest(user_id=user_id, points=250, reason="t"), metadata=admin)

    def spend(i):
        return outcome(
            lambda: loyalty.SpendPoints(pb.SpendPointsRequest(user_id=user_id, points=100, request_id=f"r-{i}", reason="x"), metadata=admin)
        )

    with ThreadPoolExecutor(16) as ex:
        results = list(ex.map(spend, range(40)))
    assert results.count((None, None)) == 10
    assert results.count((grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_POINTS")) == 30
    assert service.balance(user_id).balance == 0


def test_a_spend_racing_the_expiry_sweep_never_takes_the_same_points_twice(sql):
    now = datetime.now(UTC)
    users = [f"race-{uuid.uuid4().hex[:10]}" for _ in range(30)]
    soon, later = {}, {}
    for u in users:
        with db.transaction() as conn:
            soon[u] = points.grant_points(conn, user_id=u, points=100, reason="T", source="test", idempotency_key=f"soon:{u}",
                                          expires_at=now + timedelta(hours=1), now=now).lot.id
            later[u] = points.grant_points(conn, user_id=u, points=100, reason="T", source="test", idempotency_key=f"later:{u}",
                                           expires_at=now + timedelta(days=30), now=now).lot.id
    sweep_at = now + timedelta(hours=2)  # the sweep's clock is past the first lot's expiry; the spends' is not

    def work(i):
        if i % 11 == 0:
            return service.settle_due_points(now=sweep_at, batch=7, users=users)
        return service.spend(users[i % len(users)], 50, f"race-{i}", "x", "svc", now=now)

    with ThreadPoolExecutor(12) as ex:
        list(ex.map(work, range(len(users) * 11 // 10 + 3)))
    service.settle_due_points(now=sweep_at, users=users)
    for u in users:
        moved = dict(sql(
            "SELECT m.kind, sum(m.points) FROM loyalty.lot_moves m WHERE m.lot_id = %(l)s GROUP BY m.kind", l=soon[u]
        ))
        remaining = dict(sql("SELECT id, remaining FROM loyalty.lots WHERE user_id = %(u)s", u=u))
        # The soon lot is wholly spent-or-expired, never more than its 100 points.
        assert moved.get("SPEND", 0) + moved.get("EXPIRE", 0) == 100 and remaining[soon[u]] == 0
        spent = sql("SELECT coalesce(-sum(delta), 0) FROM loyalty.ledger WHERE user_id = %(u)s AND reason = 'SPEND'", u=u)[0][0]
        expired = sql("SELECT coalesce(-sum(delta), 0) FROM loyalty.ledger WHERE user_id = %(u)s AND reason = 'EXPIRE'", u=u)[0][0]
        assert spent + expired + remaining[later[u]] == 200


def test_concurrent_partial_refunds_and_redeliveries_take_back_exactly_what_was_earned(user_id, sql):
    purchase(user_id, 100_000, "o-1")  # 1,000 points
    events = [str(uuid.uuid4()) for _ in range(4)]  # four refunds of 25,000, each delivered three times

    def deliver(i):
        return refund(user_id, 25_000, "o-1", event_id=events[i % 4])

    with ThreadPoolExecutor(12) as ex:
        results = list(ex.map(deliver, range(12)))
    assert sorted(r.duplicate for r in results) == [False] * 4 + [True] * 8
    assert sum(r.taken_back for r in results) == 1000
    assert service.balance(user_id).balance == 0
    assert sql("SELECT refunded, points_settled, points_shortfall FROM loyalty.orders WHERE user_id = %(u)s", u=user_id) == [
        (100_000, 1000, 0)
    ]


def test_concurrent_reversals_of_one_spend_restore_it_once(user_id):
    with db.transaction() as conn:
        points.grant_points(conn, user_id=user_id, points=500, reason="T", source="test", idempotency_key=f"rev:{user_id}")
    service.spend(user_id, 400, "cart-1", "x", "svc")
    with ThreadPoolExecutor(8) as ex:
        results = list(ex.map(lambda _: service.reverse_spend(user_id, "cart-1"), range(8)))
    assert {r.entry.id for r in results} == {results[0].entry.id} and {r.restored for r in results} == {400}
    assert service.balance(user_id).balance == 500


def test_a_refund_racing_the_reversal_of_the_spend_of_its_points_leaves_nothing(user_id, sql):
    """Whichever runs first, the member ends with no points and no debt: a refund first records the
    spent points as debt, which the reversal then pays; a reversal first gives the points back to the
    order's lot, where the refund finds them."""
    purchase(user_id, 100_000, "o-1")
    service.spend(user_id, 1000, "cart-1", "x", "svc")
    with ThreadPoolExecutor(2) as ex:
        a = ex.submit(refund, user_id, 100_000, "o-1")
        b = ex.submit(service.reverse_spend, user_id, "cart-1")
        a.result(), b.result()
    assert service.balance(user_id).balance == 0
    assert sql("SELECT debt FROM loyalty.accounts WHERE user_id = %(u)s", u=user_id) == [(0,)]
