"""The gamification dashboard: tier with progress, both streaks, joined running challenges with days
left, recent badges and points (spendable and pending) in one call; users read only their own."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest
import sqlalchemy as sa
from engage.loyalty.v1 import loyalty_service_pb2 as pb
from engage.loyalty.v1 import loyalty_service_pb2_grpc

from services.common import db
from services.loyalty import dashboard, gamification, leaderboards
from tests.integration.community_support import own_month, refer
from tests.integration.grpc_failure import failure
from tests.integration.loyalty_support import assert_ledger_consistent, purchase


@pytest.fixture(scope="module")
def loyalty(channel):
    return loyalty_service_pb2_grpc.LoyaltyServiceStub(channel)


@pytest.fixture(autouse=True)
def ledger_consistent(sql):
    yield
    assert_ledger_consistent(sql)


def test_the_dashboard_gathers_tier_streaks_challenges_badges_and_points(user_id):
    t = own_month()  # a month of its own: the challenge below runs for nobody else
    day = leaderboards.today(t)
    category = f"dash-{uuid.uuid4().hex[:8]}"
    badge = gamification.create_badge(
        gamification.BadgeSpec(code=f"B{uuid.uuid4().hex[:8].upper()}", name="대시보드", condition_type="category",
                               condition_value={"category": category}, is_hidden=True), "test")
    challenge = gamification.create_challenge(
        gamification.ChallengeSpec(title="세 번 구매", description="", challenge_type="purchase_count", target_value={"count": 3},
                                   reward={"points": 100}, start_date=day - timedelta(days=1), end_date=day + timedelta(days=5)), "test")
    gamification.join_challenge(user_id, challenge.id, now=t)
    purchase(user_id, 150_000, "dash-order", at=t)  # 1,500 points; Silver
    for kind, extra in (("PURCHASE", {"amount": 150_000, "category": category, "order_id": "dash-order"}), ("VISIT", {})):
        gamification.apply_event({"event_id": str(uuid.uuid4()), "user_id": user_id, "event_type": kind, "occurred_at": t, **extra}, now=t)
    d = dashboard.dashboard(user_id, now=t)
    assert (d.tier.current.code, d.tier.spend, d.tier.next.code, d.tier.remaining, d.tier.pct) == ("SILVER", 150_000, "GOLD", 150_000, 25.0)
    assert {k: (v["current"], v["max"], v["next_milestone"]) for k, v in d.streaks.items()} == {"daily_visit": (1, 1, 7), "purchase": (1, 1, 7)}
    assert [(c["challenge_id"], c["progress"], c["target"], c["days_left"]) for c in d.challenges] == [(challenge.id, 1, 3, 6)]
    assert [b["code"] for b in d.badges] == [badge.code]
    assert (d.balance, d.pending) == (1_500, 0)


def test_get_dashboard_answers_the_callers_own_and_refuses_anyone_elses(loyalty, as_user, user_id):
    friend = f"{user_id}-friend"
    refer(friend, user_id)
    purchase(user_id, 40_000)  # 400 points, and the referral's 2,000 held for the clawback window
    d = loyalty.GetDashboard(pb.GetDashboardRequest(), metadata=as_user(user_id)).dashboard
    assert (d.tier.current.code, d.tier.total_amount, d.tier.next_tier.code, d.tier.remaining_to_next) == ("BRONZE", 40_000, "SILVER", 60_000)
    assert (d.points.balance, d.points.pending) == (400, 2_000)
    assert (d.streak.current, d.streak.next_milestone, d.purchase_streak.current, list(d.challenges), list(d.badges)) == (0, 7, 0, [], [])
    code, reason, _ = failure(lambda: loyalty.GetDashboard(pb.GetDashboardRequest(user_id=friend), metadata=as_user(user_id)))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")
    assert loyalty.GetDashboard(pb.GetDashboardRequest(user_id=user_id), metadata=as_user("ops", "admin")).dashboard == d
    code, _, fields = failure(lambda: loyalty.GetDashboard(pb.GetDashboardRequest(), metadata=as_user("ops", "admin")))
    assert (code, set(fields)) == (grpc.StatusCode.INVALID_ARGUMENT, {"user_id"})


def test_the_dashboard_reads_in_a_handful_of_statements(user_id):
    """The issue asks for "a handful of queries at most": counted on the wire, every statement the
    dashboard sends (the lifetime tier window: six look-ups, see services/loyalty/dashboard.py)."""
    t = own_month()
    purchase(user_id, 150_000, at=t)
    dashboard.dashboard(user_id, now=t)  # warm: the first call of a process may create rows
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        d = dashboard.dashboard(user_id, now=t)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert d.tier.spend == 150_000
    assert len(statements) <= 6, statements
