"""Exact coupon limits under concurrency: real threads against the in-process server and the real
database. Lost races are retried inside the server: no client ever sees ABORTED."""

from __future__ import annotations

import threading
import uuid

import grpc
import pytest
from coupon_support import T, assert_ledger_matches_wallets, make_coupon, used_count

from engage.coupon.v1 import coupon_service_pb2 as pb

THREADS = 32  # the test server admits 64 concurrent calls; more would be refused, not raced


@pytest.fixture
def admin(as_user):
    return as_user("ops-kim", "admin")


def _outcome(call) -> tuple[str, object]:
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    try:
        return "ok", call()
    except grpc.RpcError as e:
        reason = None
        for d in rpc_status.from_call(e).details:
            if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                d.Unpack(info)
                reason = info.reason
        return e.code().name, reason


def race(calls: list) -> list[tuple[str, object]]:
    """Runs the calls from up to THREADS threads released together, each taking the next call when
    done; each result is ("ok", response) or (the status code name, the ErrorInfo reason)."""
    results: list = [None] * len(calls)
    todo = iter(enumerate(calls))
    lock = threading.Lock()
    start = threading.Barrier(min(THREADS, len(calls)))

    def worker() -> None:
        start.wait()
        while True:
            with lock:
                item = next(todo, None)
            if item is None:
                return
            results[item[0]] = _outcome(item[1])

    threads = [threading.Thread(target=worker) for _ in range(start.parties)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_hundred_users_racing_for_fifty_uses_get_exactly_fifty(coupons, admin, as_user, sql):
    c = make_coupon(coupons, admin, usage_limit=50, value=7)
    users = [f"race-{uuid.uuid4().hex[:10]}" for _ in range(200)]
    results = race([
        (lambda u=u: coupons.RedeemCoupon(pb.RedeemCouponRequest(code=c.code, request_id=str(uuid.uuid4())), metadata=as_user(u), timeout=T))
        for u in users
    ])
    outcomes = [r[0] for r in results]
    assert outcomes.count("ok") == 50
    assert {r for r in results if r[0] != "ok"} == {("FAILED_PRECONDITION", "EXHAUSTED")}
    assert used_count(sql, c.coupon_id) == (50, 0)
    assert sql("SELECT count(*), count(DISTINCT user_id) FROM coupon.coupon_redemptions WHERE coupon_id = %(c)s", c=c.coupon_id) == [(50, 50)]
    assert sql("SELECT count(*), sum(delta) FROM reward.ledger WHERE user_id = ANY(%(u)s)", u=users) == [(50, 350)]
    assert_ledger_matches_wallets(sql, users)


def test_one_user_racing_twenty_times_for_a_single_use_gets_it_once(coupons, admin, as_user, sql, monkeypatch):
    from services.coupon import service

    monkeypatch.setattr(service, "failed_attempt_limit", lambda: 1000)  # the refusals are not guesses here
    c = make_coupon(coupons, admin, per_user_limit=1, value=11)
    user = f"race-{uuid.uuid4().hex[:10]}"
    me = as_user(user)
    results = race([
        (lambda: coupons.RedeemCoupon(pb.RedeemCouponRequest(code=c.code, request_id=str(uuid.uuid4())), metadata=me, timeout=T))
        for _ in range(20)
    ])
    assert [r[0] for r in results].count("ok") == 1
    assert {r for r in results if r[0] != "ok"} == {("FAILED_PRECONDITION", "ALREADY_REDEEMED")}
    assert used_count(sql, c.coupon_id) == (1, 0)
    assert sql("SELECT used, reserved FROM coupon.user_usage WHERE coupon_id = %(c)s", c=c.coupon_id) == [(1, 0)]
    assert sql("SELECT sum(delta) FROM reward.ledger WHERE user_id = %(u)s", u=user) == [(11,)]
    assert_ledger_matches_wallets(sql, [user])


def test_concurrent_retries_of_one_request_grant_once(coupons, admin, as_user, sql):
    c = make_coupon(coupons, admin, per_user_limit=5, value=13)
    user = f"race-{uuid.uuid4().hex[:10]}"
    req = pb.RedeemCouponRequest(code=c.code, request_id=str(uuid.uuid4()))
    results = race([(lambda: coupons.RedeemCoupon(req, metadata=as_user(user), timeout=T)) for _ in range(24)])
    assert all(r[0] == "ok" for r in results), {r for r in results if r[0] != "ok"}
    responses = [r[1] for r in results]
    assert sum(not r.replayed for r in responses) == 1
    assert len({r.redemption.SerializeToString() for r in responses}) == 1  # everyone got the first result
    assert used_count(sql, c.coupon_id) == (1, 0)
    assert sql("SELECT count(*), sum(delta) FROM reward.ledger WHERE user_id = %(u)s", u=user) == [(1, 13)]
    assert_ledger_matches_wallets(sql, [user])


def test_reservations_and_redemptions_racing_never_oversell(coupons, admin, as_user, sql):
    c = make_coupon(coupons, admin, usage_limit=20, value=3)
    svc = as_user("checkout", "service")
    users = [f"race-{uuid.uuid4().hex[:10]}" for _ in range(80)]
    calls = []
    for i, u in enumerate(users):
        if i % 2:
            calls.append(lambda u=u: coupons.ReserveCoupon(pb.ReserveCouponRequest(user_id=u, code=c.code, request_id="order-1"), metadata=svc, timeout=T))
        else:
            calls.append(lambda u=u: coupons.RedeemCoupon(pb.RedeemCouponRequest(code=c.code, request_id="r-1"), metadata=as_user(u), timeout=T))
    results = race(calls)
    assert [r[0] for r in results].count("ok") == 20
    assert {r for r in results if r[0] != "ok"} == {("FAILED_PRECONDITION", "EXHAUSTED")}
    used, reserved = used_count(sql, c.coupon_id)
    assert used + reserved == 20
    assert sql("SELECT count(*) FROM coupon.coupon_reservations WHERE coupon_id = %(c)s AND state = 'HELD'", c=c.coupon_id) == [(reserved,)]
    # Converting every reservation and rolling back every redemption concurrently keeps the counts exact.
    held = [u for i, u in enumerate(users) if i % 2 and sql("SELECT 1 FROM coupon.coupon_reservations WHERE user_id = %(u)s", u=u)]
    redeemed = [u for i, u in enumerate(users) if not i % 2 and sql("SELECT 1 FROM coupon.coupon_redemptions WHERE user_id = %(u)s", u=u)]
    results = race(
        [(lambda u=u: coupons.RedeemCoupon(pb.RedeemCouponRequest(user_id=u, code=c.code, request_id="order-1"), metadata=svc, timeout=T)) for u in held]
        + [(lambda u=u: coupons.RollbackCouponRedemption(pb.RollbackCouponRedemptionRequest(user_id=u, request_id="r-1", reason="cancelled"), metadata=svc, timeout=T)) for u in redeemed]
    )
    assert all(r[0] == "ok" for r in results), {r for r in results if r[0] != "ok"}
    assert used_count(sql, c.coupon_id) == (len(held), 0)
    assert sql("SELECT sum(used), sum(reserved) FROM coupon.user_usage WHERE coupon_id = %(c)s", c=c.coupon_id) == [(len(held), 0)]
    assert_ledger_matches_wallets(sql, users)
