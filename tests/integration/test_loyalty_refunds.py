"""Refunds against points that moved on: spent points owed as a debt and paid first from any later
credit (a reversal, a grant, a release), expired points never taken back from other lots, a
reversal that never restores into a lot a sweep expired, and a sweep that goes on past one broken
member. Sweeps run with shifted clocks are scoped to the test's own members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common import db
from services.loyalty import domain, points, service
from tests.integration.loyalty_support import assert_ledger_consistent, purchase, refund


@pytest.fixture(autouse=True)
def ledger_consistent(sql):
    yield
    assert_ledger_consistent(sql)


def _debt(sql, user_id: str) -> int:
    return sql("SELECT debt FROM loyalty.accounts WHERE user_id = %(u)s", u=user_id)[0][0]


def _ledger(user_id: str, n: int) -> list[tuple[str, int, int]]:
    rows, _ = service.list_entries(user_id, n, "")
    return [(e.reason, e.delta, e.balance_after) for e in rows]


def test_reversing_a_spend_of_refunded_points_pays_the_refund_shortfall_first(user_id, sql):
    purchase(user_id, 100_000, "o-1")  # 1,000 points
    service.spend(user_id, 1000, "cart-1", "order 9", "svc")
    back = refund(user_id, 100_000, "o-1")
    assert (back.taken_back, back.shortfall, back.expired) == (0, 1000, 0)
    assert _debt(sql, user_id) == 1000
    reversal = service.reverse_spend(user_id, "cart-1")
    assert (reversal.restored, reversal.expired) == (1000, 0)
    # The points came back, and went at once to what the refund could not take: nothing is left.
    assert service.balance(user_id).balance == 0 and _debt(sql, user_id) == 0
    assert _ledger(user_id, 2) == [("DEBT_REPAYMENT", -1000, 0), ("SPEND_REVERSAL", 1000, 1000)]


def test_later_grants_pay_the_refund_shortfall_first(user_id, sql):
    purchase(user_id, 50_000, "o-1")  # 500
    service.spend(user_id, 500, "cart-1", "order 9", "svc")
    assert refund(user_id, 50_000, "o-1").shortfall == 500
    service.grant(user_id, 300, "apology", "g-1", "ops", None)
    assert (service.balance(user_id).balance, _debt(sql, user_id)) == (0, 200)
    service.grant(user_id, 1000, "apology", "g-2", "ops", None)
    assert (service.balance(user_id).balance, _debt(sql, user_id)) == (800, 0)
    assert _ledger(user_id, 4) == [
        ("DEBT_REPAYMENT", -200, 800),
        ("ADMIN_GRANT", 1000, 1000),
        ("DEBT_REPAYMENT", -300, 0),
        ("ADMIN_GRANT", 300, 300),
    ]
    debt_moves = sql(
        "SELECT m.points FROM loyalty.lot_moves m JOIN loyalty.lots l ON l.id = m.lot_id "
        "WHERE l.user_id = %(u)s AND m.kind = 'DEBT' ORDER BY m.id",
        u=user_id,
    )
    assert debt_moves == [(300,), (200,)]


def test_the_sweep_releases_held_points_with_their_entry_and_pays_a_debt_from_them(user_id, sql):
    held = domain.Rules(hold_days=7)
    t0 = datetime.now(UTC)
    purchase(user_id, 50_000, "o-spent", at=t0)  # 500, spendable at once
    service.spend(user_id, 500, "cart-1", "x", "svc", now=t0)
    purchase(user_id, 100_000, "o-held", at=t0, rules=held)  # 1,000 held for 7 days
    back = refund(user_id, 50_000, "o-spent", at=t0 + timedelta(hours=1))
    assert (back.taken_back, back.shortfall) == (0, 500)  # held points of another order are not spendable
    assert service.settle_due_points(now=t0 + timedelta(days=6), users=[user_id]) == 0  # not due yet
    assert service.settle_due_points(now=t0 + timedelta(days=8), users=[user_id]) == 1
    rows, _ = service.list_entries(user_id, 2, "")
    release, repaid = rows[1], rows[0]
    assert (release.reason, release.delta, release.balance_after, release.label) == ("PURCHASE", 1000, 1000, "o-held")
    assert release.meta["released_after_hold"] is True and release.idempotency_key.startswith("purchase:")
    assert (repaid.reason, repaid.delta, repaid.balance_after) == ("DEBT_REPAYMENT", -500, 500)
    assert service.balance(user_id, now=t0 + timedelta(days=8)).balance == 500 and _debt(sql, user_id) == 0


def test_a_refund_never_takes_back_points_that_already_expired(user_id, sql):
    rules = domain.Rules(expiry_days=30)
    t0 = datetime.now(UTC) - timedelta(days=40)
    purchase(user_id, 100_000, "o-old", at=t0, rules=rules)  # 1,000 points, expired 10 days ago
    service.grant(user_id, 1000, "unrelated", "g-1", "ops", None)
    back = refund(user_id, 100_000, "o-old", rules=rules)
    assert (back.taken_back, back.shortfall, back.expired) == (0, 0, 1000)
    assert service.balance(user_id).balance == 1000  # the unrelated grant is untouched
    assert sql(
        "SELECT points_settled, points_charged, points_shortfall, points_expired FROM loyalty.orders WHERE user_id = %(u)s",
        u=user_id,
    ) == [(1000, 0, 0, 1000)]


def test_a_refund_takes_from_other_lots_only_what_the_orders_points_lost_to_spends(user_id, sql):
    rules = domain.Rules(expiry_days=30)
    t0 = datetime.now(UTC) - timedelta(days=40)
    purchase(user_id, 100_000, "o-old", at=t0, rules=rules)  # 1,000
    service.spend(user_id, 600, "cart-1", "x", "svc", now=t0 + timedelta(days=1))  # 600 of them spent, 400 expire
    service.grant(user_id, 1000, "unrelated", "g-1", "ops", None)
    first = refund(user_id, 30_000, "o-old", rules=rules)  # 300 due: all of it was spent
    assert (first.taken_back, first.shortfall, first.expired) == (300, 0, 0)
    rest = refund(user_id, 70_000, "o-old", rules=rules)  # 700 due: 300 more spent, 400 expired
    assert (rest.taken_back, rest.shortfall, rest.expired) == (300, 0, 400)
    assert service.balance(user_id).balance == 400
    assert sql(
        "SELECT points_settled, points_charged, points_shortfall, points_expired FROM loyalty.orders WHERE user_id = %(u)s",
        u=user_id,
    ) == [(1000, 600, 0, 400)]


def test_a_reversal_with_a_stale_clock_never_restores_into_a_lot_a_sweep_expired(user_id, sql):
    now = datetime.now(UTC)
    with db.transaction() as conn:
        lot = points.grant_points(conn, user_id=user_id, points=100, reason="T", source="test",
                                  idempotency_key=f"stale:{user_id}", expires_at=now + timedelta(hours=1), now=now).lot
    service.spend(user_id, 60, "cart-1", "x", "svc", now=now)
    assert service.settle_due_points(now=now + timedelta(hours=2), users=[user_id]) == 1  # 40 expire
    # A reversal whose clock was read before the sweep's: by its own clock the lot has not expired.
    r = service.reverse_spend(user_id, "cart-1", now=now + timedelta(minutes=30))
    assert (r.restored, r.expired, r.entry) == (0, 60, None)
    assert sql("SELECT remaining, expired_at IS NOT NULL FROM loyalty.lots WHERE id = %(l)s", l=lot.id) == [(0, True)]
    # The next sweeps, and the member's own spends and refunds, still work.
    assert service.settle_due_points(now=now + timedelta(hours=3), users=[user_id]) == 0
    service.grant(user_id, 50, "later", "g-1", "ops", None)
    assert service.spend(user_id, 10, "cart-2", "x", "svc").entry.balance_after == 40
    assert sql("SELECT count(*) FROM loyalty.ledger WHERE user_id = %(u)s AND reason = 'EXPIRE'", u=user_id) == [(1,)]


def test_one_member_whose_settle_fails_does_not_stop_the_sweep(sql):
    now = datetime.now(UTC)
    users = [f"sweep-{i}-{now.timestamp()}" for i in range(3)]
    for u in users:
        with db.transaction() as conn:
            points.grant_points(conn, user_id=u, points=100, reason="T", source="test", idempotency_key=f"sweep:{u}",
                                expires_at=now + timedelta(hours=1), now=now)
    broken = users[1]
    sql("UPDATE loyalty.accounts SET balance = 0 WHERE user_id = %(u)s", u=broken)  # expiring 100 would go below 0
    assert service.settle_due_points(now=now + timedelta(hours=2), users=users, batch=10) == 2
    left = dict(sql("SELECT user_id, remaining FROM loyalty.lots WHERE user_id = ANY(%(u)s)", u=users))
    assert left == {users[0]: 0, broken: 100, users[2]: 0}
    sql("UPDATE loyalty.accounts SET balance = 100 WHERE user_id = %(u)s", u=broken)  # an operator repairs it
    assert service.settle_due_points(now=now + timedelta(hours=2), users=users) == 1
    assert sql("SELECT balance FROM loyalty.accounts WHERE user_id = ANY(%(u)s)", u=users) == [(0,)] * 3
