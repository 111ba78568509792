"""Points through the public API: grants, spends from the oldest-expiring lots with the lots they
took, refusals that change nothing, expiry of remainders only, held purchase points, reversed spends,
Reward pool points, and who may see what. Each test ends with the ledger invariants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from engage.loyalty.v1 import loyalty_service_pb2 as pb
from engage.loyalty.v1 import loyalty_service_pb2_grpc
from google.protobuf import timestamp_pb2

from services.common import db
from services.loyalty import domain, points, service
from tests.integration.grpc_failure import failure
from tests.integration.loyalty_support import assert_ledger_consistent, purchase, refund


@pytest.fixture(scope="module")
def loyalty(channel):
    return loyalty_service_pb2_grpc.LoyaltyServiceStub(channel)


@pytest.fixture
def admin(as_user):
    return as_user("ops-1", "admin")


@pytest.fixture(autouse=True)
def ledger_consistent(sql):
    yield
    assert_ledger_consistent(sql)


def _ts(dt: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(dt)
    return ts


def _grant(loyalty, admin, user, n, *, expires_in: timedelta | None = None, request_id=""):
    req = pb.GrantPointsRequest(user_id=user, points=n, reason="welcome", request_id=request_id)
    if expires_in is not None:
        req.expires_at.CopyFrom(_ts(datetime.now(UTC) + expires_in))
    return loyalty.GrantPoints(req, metadata=admin)


def _spend(loyalty, metadata, user, n, request_id=None):
    return loyalty.SpendPoints(
        pb.SpendPointsRequest(user_id=user, points=n, request_id=request_id or uuid.uuid4().hex, reason="order-1"), metadata=metadata
    )


def test_a_spend_takes_the_lots_that_expire_first_and_records_them(loyalty, admin, as_user, user_id):
    late = _grant(loyalty, admin, user_id, 100, expires_in=timedelta(days=300)).lot
    soon = _grant(loyalty, admin, user_id, 50, expires_in=timedelta(days=10)).lot
    mid = _grant(loyalty, admin, user_id, 70, expires_in=timedelta(days=100)).lot
    spent = _spend(loyalty, admin, user_id, 100).entry
    assert (spent.delta, spent.balance_after, spent.reason, spent.label) == (-100, 120, "SPEND", "order-1")
    assert [(t.lot_id, t.points) for t in spent.lots] == [(soon.lot_id, 50), (mid.lot_id, 50)]
    lots = loyalty.ListPointsLots(pb.ListPointsLotsRequest(user_id=user_id, open_only=True), metadata=admin).lots
    assert {(lot.lot_id, lot.remaining) for lot in lots} == {(mid.lot_id, 20), (late.lot_id, 100)}
    balance = loyalty.GetPointsBalance(pb.GetPointsBalanceRequest(), metadata=as_user(user_id))
    assert (balance.balance, balance.pending, balance.expiring_soon) == (120, 0, 0)
    ledger = loyalty.ListPointsEntries(pb.ListPointsEntriesRequest(page_size=2), metadata=as_user(user_id))
    assert [e.delta for e in ledger.entries] == [-100, 70] and ledger.entries[0].lots[0].lot_id == soon.lot_id
    rest = loyalty.ListPointsEntries(pb.ListPointsEntriesRequest(page_token=ledger.next_page_token), metadata=as_user(user_id))
    assert [e.delta for e in rest.entries] == [50, 100] and not rest.next_page_token


def test_a_spend_beyond_the_balance_is_refused_and_changes_nothing(loyalty, admin, user_id, sql):
    _grant(loyalty, admin, user_id, 30)
    code, reason, _ = failure(lambda: _spend(loyalty, admin, user_id, 31))
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_POINTS")
    assert sql("SELECT balance FROM loyalty.accounts WHERE user_id = %(u)s", u=user_id) == [(30,)]
    assert sql("SELECT count(*) FROM loyalty.lot_moves m JOIN loyalty.lots l ON l.id = m.lot_id WHERE l.user_id = %(u)s", u=user_id) == [(0,)]
    # A member never credited cannot spend either.
    assert failure(lambda: _spend(loyalty, admin, f"{user_id}-new", 1))[1] == "INSUFFICIENT_POINTS"


def test_a_retried_spend_applies_once_and_a_reused_request_id_is_refused(loyalty, admin, user_id):
    _grant(loyalty, admin, user_id, 100)
    first = _spend(loyalty, admin, user_id, 40, "pay-1")
    again = _spend(loyalty, admin, user_id, 40, "pay-1")
    assert not first.replayed and again.replayed and again.entry.entry_id == first.entry.entry_id
    assert [(t.lot_id, t.points) for t in again.entry.lots] == [(t.lot_id, t.points) for t in first.entry.lots]
    code, reason, _ = failure(lambda: _spend(loyalty, admin, user_id, 41, "pay-1"))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED")
    assert service.balance(user_id).balance == 60


def test_a_retried_grant_is_applied_once(loyalty, admin, user_id):
    a = _grant(loyalty, admin, user_id, 25, request_id="g-1")
    b = _grant(loyalty, admin, user_id, 25, request_id="g-1")
    assert a.lot.lot_id == b.lot.lot_id and a.entry.entry_id == b.entry.entry_id
    assert failure(lambda: _grant(loyalty, admin, user_id, 26, request_id="g-1"))[1] == "IDEMPOTENCY_KEY_REUSED"
    assert service.balance(user_id).balance == 25
    code, _, fields = failure(lambda: _grant(loyalty, admin, user_id, 5, expires_in=timedelta(days=-1)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "expires_at" in fields


def test_expiry_takes_only_what_is_left_of_a_lot(loyalty, admin, as_user, user_id, sql):
    now = datetime.now(UTC)
    lot = _grant(loyalty, admin, user_id, 100, expires_in=timedelta(hours=1)).lot
    other = _grant(loyalty, admin, user_id, 40, expires_in=timedelta(days=30)).lot
    _spend(loyalty, admin, user_id, 70)  # 70 from the lot expiring first
    assert service.balance(user_id, now=now + timedelta(hours=2)).balance == 40  # reads see expiry before the sweep
    assert service.settle_due_points(now=now + timedelta(hours=2), users=[user_id]) == 1
    assert service.settle_due_points(now=now + timedelta(hours=3), users=[user_id]) == 0  # nothing left to sweep
    moves = sql("SELECT lot_id, kind, points FROM loyalty.lot_moves WHERE lot_id = ANY(%(l)s) ORDER BY id", l=[lot.lot_id, other.lot_id])
    assert moves == [(lot.lot_id, "SPEND", 70), (lot.lot_id, "EXPIRE", 30)]
    entries = loyalty.ListPointsEntries(pb.ListPointsEntriesRequest(), metadata=as_user(user_id)).entries
    assert (entries[0].reason, entries[0].delta, entries[0].balance_after, entries[0].lot_id) == ("EXPIRE", -30, 40, lot.lot_id)
    assert loyalty.GetPointsBalance(pb.GetPointsBalanceRequest(), metadata=as_user(user_id)).balance == 40


def test_points_expiring_soon_are_shown_apart(loyalty, admin, as_user, user_id):
    _grant(loyalty, admin, user_id, 10, expires_in=timedelta(days=5))
    _grant(loyalty, admin, user_id, 20, expires_in=timedelta(days=200))
    b = loyalty.GetPointsBalance(pb.GetPointsBalanceRequest(), metadata=as_user(user_id))
    assert (b.balance, b.expiring_soon) == (30, 10)
    assert b.expiring_before.ToDatetime(tzinfo=UTC) > datetime.now(UTC) + timedelta(days=29)


def test_held_purchase_points_are_pending_until_released_and_then_spendable(user_id):
    held = domain.Rules(hold_days=7)
    t0 = datetime.now(UTC)
    applied = purchase(user_id, 100_000, "o-hold", at=t0, rules=held)
    assert applied.earned == 1000
    b = service.balance(user_id, now=t0)
    assert (b.balance, b.pending) == (0, 1000) and b.next_release_at is not None
    with pytest.raises(Exception) as refused:
        service.spend(user_id, 1, "too-early", "x", "svc", now=t0 + timedelta(days=1))
    assert getattr(refused.value, "reason", None) == "INSUFFICIENT_POINTS"
    later = t0 + timedelta(days=7, minutes=1)
    assert service.balance(user_id, now=later).balance == 1000  # due lots count at once for reads
    spent = service.spend(user_id, 300, "after-hold", "x", "svc", now=later)  # the spend releases them itself
    assert spent.entry.balance_after == 700
    rows, _ = service.list_entries(user_id, 10, "")
    assert [(e.reason, e.delta, e.meta.get("released_after_hold")) for e in rows] == [("SPEND", -300, None), ("PURCHASE", 1000, True)]


def test_a_refund_inside_the_hold_cancels_the_held_points(user_id, sql):
    held = domain.Rules(hold_days=7)
    t0 = datetime.now(UTC)
    purchase(user_id, 100_000, "o-1", at=t0, rules=held)
    back = refund(user_id, 100_000, "o-1", at=t0 + timedelta(days=2), rules=held)
    assert (back.taken_back, back.shortfall) == (1000, 0)
    assert service.settle_due_points(now=t0 + timedelta(days=8), users=[user_id]) == 0  # nothing left to release
    assert service.balance(user_id, now=t0 + timedelta(days=8)).balance == 0
    assert sql("SELECT count(*) FROM loyalty.ledger WHERE user_id = %(u)s", u=user_id) == [(0,)]  # never spendable
    assert sql("SELECT m.kind, m.points FROM loyalty.lot_moves m JOIN loyalty.lots l ON l.id = m.lot_id WHERE l.user_id = %(u)s", u=user_id) == [
        ("CANCEL", 1000)
    ]


def test_a_reversed_spend_returns_points_to_their_lots_once(loyalty, admin, user_id):
    a = _grant(loyalty, admin, user_id, 50, expires_in=timedelta(days=10)).lot
    b = _grant(loyalty, admin, user_id, 50, expires_in=timedelta(days=20)).lot
    _spend(loyalty, admin, user_id, 80, "cart-9")
    back = loyalty.ReversePointsSpend(pb.ReversePointsSpendRequest(user_id=user_id, request_id="cart-9"), metadata=admin)
    assert (back.restored, back.expired, back.entry.delta, back.entry.balance_after) == (80, 0, 80, 100)
    assert sorted((t.lot_id, t.points) for t in back.entry.lots) == [(a.lot_id, 50), (b.lot_id, 30)]
    again = loyalty.ReversePointsSpend(pb.ReversePointsSpendRequest(user_id=user_id, request_id="cart-9"), metadata=admin)
    assert again.entry.entry_id == back.entry.entry_id
    assert service.balance(user_id).balance == 100
    code, reason, _ = failure(
        lambda: loyalty.ReversePointsSpend(pb.ReversePointsSpendRequest(user_id=user_id, request_id="nope"), metadata=admin)
    )
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "SPEND_NOT_FOUND")


def test_points_won_from_a_reward_pool_are_posted_once_per_draw(user_id):
    payload = {"draw_id": 987654321 + hash(user_id) % 1000, "user_id": user_id, "pool_id": 3, "points": 500, "source": "reward_pool"}
    first = service.record_pool_points(payload)
    second = service.record_pool_points(payload)
    assert first.lot.id == second.lot.id and second.replayed
    assert (first.entry.reason, first.entry.source, first.entry.idempotency_key) == ("REWARD_POOL", "reward_pool", f"draw:{payload['draw_id']}")
    assert service.balance(user_id).balance == 500


def test_grant_points_joins_the_callers_transaction(user_id, sql):
    """Other services call points.grant_points inside their own transaction: a rollback leaves nothing."""
    with pytest.raises(RuntimeError), db.transaction() as conn:
        points.grant_points(conn, user_id=user_id, points=7, reason="STREAK", source="streak", idempotency_key=f"streak:{user_id}:7")
        raise RuntimeError("the caller failed")
    assert sql("SELECT count(*) FROM loyalty.lots WHERE user_id = %(u)s", u=user_id) == [(0,)]
    with db.transaction() as conn:
        g = points.grant_points(conn, user_id=user_id, points=7, reason="STREAK", source="streak", idempotency_key=f"streak:{user_id}:7")
    assert g.entry.balance_after == 7 and not g.replayed


def test_users_see_only_their_own_points_and_admin_paths_refuse_them(loyalty, as_user, user_id):
    me = as_user(user_id)
    code, reason, _ = failure(lambda: loyalty.GetPointsBalance(pb.GetPointsBalanceRequest(user_id="someone-else"), metadata=me))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")
    assert failure(lambda: loyalty.ListPointsEntries(pb.ListPointsEntriesRequest(user_id="someone-else"), metadata=me))[1] == "NOT_YOUR_DATA"
    for call in (
        lambda: _spend(loyalty, me, user_id, 1),
        lambda: _grant(loyalty, me, user_id, 1),
        lambda: loyalty.ListPointsLots(pb.ListPointsLotsRequest(user_id=user_id), metadata=me),
        lambda: loyalty.ReversePointsSpend(pb.ReversePointsSpendRequest(user_id=user_id, request_id="x"), metadata=me),
    ):
        assert failure(call)[0] == grpc.StatusCode.PERMISSION_DENIED
    # A backend must name the member.
    code, _, fields = failure(lambda: loyalty.GetPointsBalance(pb.GetPointsBalanceRequest(), metadata=as_user("svc", "service")))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "user_id" in fields


def test_a_request_id_reused_for_another_reason_or_expiry_is_refused(loyalty, admin, user_id):
    _grant(loyalty, admin, user_id, 100, request_id="g-1")
    other_reason = pb.GrantPointsRequest(user_id=user_id, points=100, reason="another", request_id="g-1")
    assert failure(lambda: loyalty.GrantPoints(other_reason, metadata=admin))[1] == "IDEMPOTENCY_KEY_REUSED"
    dated = pb.GrantPointsRequest(user_id=user_id, points=100, reason="welcome", request_id="g-1")
    dated.expires_at.CopyFrom(_ts(datetime.now(UTC) + timedelta(days=3)))
    assert failure(lambda: loyalty.GrantPoints(dated, metadata=admin))[1] == "IDEMPOTENCY_KEY_REUSED"
    _spend(loyalty, admin, user_id, 10, "pay-1")
    other = pb.SpendPointsRequest(user_id=user_id, points=10, request_id="pay-1", reason="another order")
    code, reason, _ = failure(lambda: loyalty.SpendPoints(other, metadata=admin))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED")
    assert service.balance(user_id).balance == 90


def test_grant_points_is_exactly_once_by_its_idempotency_key_header(loyalty, admin, user_id):
    keyed = (*admin, ("idempotency-key", f"console-{user_id}"))
    req = pb.GrantPointsRequest(user_id=user_id, points=40, reason="welcome")
    a = loyalty.GrantPoints(req, metadata=keyed)
    b = loyalty.GrantPoints(req, metadata=keyed)
    assert a.lot.lot_id == b.lot.lot_id and a.entry.entry_id == b.entry.entry_id
    assert service.balance(user_id).balance == 40
    loyalty.GrantPoints(req, metadata=admin)  # neither a request id nor the header: a new grant
    assert service.balance(user_id).balance == 80


def test_replaying_a_reversed_spend_answers_that_it_was_reversed(loyalty, admin, user_id):
    _grant(loyalty, admin, user_id, 100)
    first = _spend(loyalty, admin, user_id, 30, "cart-1")
    assert not (first.replayed or first.reversed)
    back = loyalty.ReversePointsSpend(pb.ReversePointsSpendRequest(user_id=user_id, request_id="cart-1"), metadata=admin)
    again = _spend(loyalty, admin, user_id, 30, "cart-1")
    assert again.replayed and again.reversed and again.entry.entry_id == first.entry.entry_id
    assert (again.reversal.entry_id, again.reversal.delta) == (back.entry.entry_id, 30)
    assert service.balance(user_id).balance == 100


def test_a_member_reads_their_ledger_without_internal_fields(loyalty, admin, as_user, user_id):
    _grant(loyalty, admin, user_id, 100, request_id="g-1")
    _spend(loyalty, admin, user_id, 30, "pay-1")
    mine = loyalty.ListPointsEntries(pb.ListPointsEntriesRequest(), metadata=as_user(user_id)).entries
    assert [e.delta for e in mine] == [-30, 100]
    for e in mine:
        assert e.idempotency_key == "" and "by" not in e.meta_json.fields
    assert mine[0].meta_json["request_id"] == "pay-1" and [t.points for t in mine[0].lots] == [30]
    seen_by_ops = loyalty.ListPointsEntries(pb.ListPointsEntriesRequest(user_id=user_id), metadata=admin).entries
    assert seen_by_ops[0].idempotency_key == f"spend:{user_id}:pay-1" and seen_by_ops[0].meta_json["by"] == "ops-1"


def test_a_spend_takes_lots_expiring_together_oldest_first(user_id):
    """The spending order of `points._TAKE` (the SQL is the one rule: no Python copy of it)."""
    at = datetime.now(UTC) + timedelta(days=50)
    with db.transaction() as conn:
        ids = [
            points.grant_points(conn, user_id=user_id, points=n, reason="T", source="test", idempotency_key=f"tie:{user_id}:{i}",
                                expires_at=at).lot.id
            for i, n in enumerate((40, 40, 40))
        ]
    spent = service.spend(user_id, 100, "tie", "x", "svc").entry
    assert [(t.lot_id, t.points) for t in spent.lots] == [(ids[0], 40), (ids[1], 40), (ids[2], 20)]


def test_grant_points_many_credits_each_member_once_and_pays_debts_first(user_id, sql):
    """The campaign batch path: one set of statements for many members, exactly once per key, the
    same entries and debt repayment a single grant makes."""
    users = [f"{user_id}-{i}" for i in range(3)]
    sql("INSERT INTO loyalty.accounts (user_id, balance, debt, updated_at) VALUES (%(u)s, 0, 30, now())", u=users[0])
    grants = [(u, f"campaign:test:{u}") for u in users]
    with db.transaction() as conn:
        credited = points.grant_points_many(conn, grants=grants, points=100, reason="CAMPAIGN", source="campaign", label="c")
    assert credited == set(users)
    balances = dict(sql("SELECT user_id, balance FROM loyalty.accounts WHERE user_id = ANY(%(u)s)", u=users))
    assert balances == {users[0]: 70, users[1]: 100, users[2]: 100}  # the debt was paid from the new lot
    entries = sql("SELECT user_id, delta, balance_after FROM loyalty.ledger WHERE user_id = ANY(%(u)s) AND reason = 'CAMPAIGN' "
                  "ORDER BY user_id", u=users)
    assert entries == [(u, 100, 100) for u in users]
    # A replay credits nothing; a key reused for another amount is refused and changes nothing.
    with db.transaction() as conn:
        assert points.grant_points_many(conn, grants=grants, points=100, reason="CAMPAIGN", source="campaign", label="c") == set()
    with pytest.raises(Exception) as refused, db.transaction() as conn:
        points.grant_points_many(conn, grants=grants[:1] + [(f"{user_id}-new", "k-new")], points=5, reason="CAMPAIGN",
                                 source="campaign", label="c")
    assert getattr(refused.value, "reason", "") == "IDEMPOTENCY_KEY_REUSED"
    assert sql("SELECT count(*) FROM loyalty.lots WHERE user_id = ANY(%(u)s)", u=users + [f"{user_id}-new"]) == [(3,)]
    assert dict(sql("SELECT user_id, balance FROM loyalty.accounts WHERE user_id = ANY(%(u)s)", u=users)) == balances
