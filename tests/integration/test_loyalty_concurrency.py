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
from tests.integration.loyalty_support import assert_ledger_consistent, purchase


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
            return service.settle_due_points(now=sweep_at, batch=7)
        return service.spend(users[i % len(users)], 50, f"race-{i}", "x", "svc", now=now)

    with ThreadPoolExecutor(12) as ex:
        list(ex.map(work, range(len(users) * 11 // 10 + 3)))
    service.settle_due_points(now=sweep_at)
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
