"""Badges and challenges through the public API: admin CRUD (refused to users), badges awarded once
(concurrently too) with their points and order, hidden until earned, progress; challenges joined
once while running, progressing only from events after joining, claimed once."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as apb
from engage.loyalty.v1 import gamification_pb2 as g
from engage.loyalty.v1 import loyalty_service_pb2 as pb
from engage.loyalty.v1 import loyalty_service_pb2_grpc
from google.protobuf import struct_pb2

from services.loyalty import gamification, streaks
from tests.integration.grpc_failure import failure, outcome
from tests.integration.loyalty_support import assert_ledger_consistent

T = 10


@pytest.fixture(scope="module")
def loyalty(channel):
    return loyalty_service_pb2_grpc.LoyaltyServiceStub(channel)


@pytest.fixture
def ops(as_user):
    return as_user("ops-lee", "admin")


@pytest.fixture(autouse=True)
def cleanup(sql):
    """Badges are global: remove this test's, so other tests' balances are not touched by them."""
    before = {r[0] for r in sql("SELECT id FROM loyalty.badges")}
    yield
    assert_ledger_consistent(sql)
    mine = [r[0] for r in sql("SELECT id FROM loyalty.badges") if r[0] not in before]
    if mine:
        sql("DELETE FROM loyalty.user_badges WHERE badge_id = ANY(%(ids)s)", ids=mine)
        sql("DELETE FROM loyalty.badges WHERE id = ANY(%(ids)s)", ids=mine)


def struct(d: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(d)
    return s


def badge(loyalty, ops, kind: str, value: dict, *, points: int = 0, hidden: bool = False, code: str | None = None) -> g.Badge:
    req = pb.CreateBadgeRequest(code=code or f"B_{uuid.uuid4().hex[:8]}", name="배지", condition_type=kind,
                                condition_value=struct(value), points_reward=points, is_hidden=hidden)
    return loyalty.CreateBadge(req, metadata=ops, timeout=T).badge


def buy(activity, as_user, user_id, amount: int, category: str = "", order_id: str | None = None, event_id: str | None = None):
    req = apb.RecordActivityRequest(user_id=user_id, event_type=a.PURCHASE, event_id=event_id or str(uuid.uuid4()), amount=amount,
                                    category=category, order_id=order_id or f"o-{uuid.uuid4().hex[:6]}")
    return activity.RecordActivity(req, metadata=as_user("shop", "service"), timeout=T)


def my_badges(loyalty, as_user, user_id) -> dict[str, g.UserBadge]:
    return {b.badge.code: b for b in loyalty.ListUserBadges(pb.ListUserBadgesRequest(), metadata=as_user(user_id), timeout=T).badges}


def points(loyalty, as_user, user_id) -> int:
    return loyalty.GetPointsBalance(pb.GetPointsBalanceRequest(), metadata=as_user(user_id), timeout=T).balance


# ---- badges ------------------------------------------------------------------------------------

def test_admins_manage_badges_and_users_cannot(loyalty, ops, as_user, user_id):
    b = badge(loyalty, ops, "review_count", {"count": 3}, points=50)
    assert (b.condition_type, b.condition_value["count"], b.points_reward) == ("review_count", 3, 50)
    code, reason, _ = failure(lambda: badge(loyalty, ops, "review_count", {"count": 3}, code=b.code))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "BADGE_EXISTS")
    code, _, fields = failure(lambda: badge(loyalty, ops, "review_count", {"count": 0}))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "condition_value.count" in fields
    upd = pb.UpdateBadgeRequest(code=b.code, name="리뷰왕", condition_type="review_count", condition_value=struct({"count": 5}))
    assert loyalty.UpdateBadge(upd, metadata=ops, timeout=T).badge.name == "리뷰왕"
    listed = loyalty.ListBadges(pb.ListBadgesRequest(page_size=200), metadata=ops, timeout=T).badges
    assert b.code in {x.code for x in listed}
    for call in (
        lambda: badge(loyalty, as_user(user_id), "first_purchase", {}),
        lambda: loyalty.ListBadges(pb.ListBadgesRequest(), metadata=as_user(user_id), timeout=T),
        lambda: loyalty.DeleteBadge(pb.DeleteBadgeRequest(code=b.code), metadata=as_user(user_id), timeout=T),
    ):
        assert failure(call)[0] == grpc.StatusCode.PERMISSION_DENIED
    loyalty.DeleteBadge(pb.DeleteBadgeRequest(code=b.code), metadata=ops, timeout=T)
    assert failure(lambda: loyalty.DeleteBadge(pb.DeleteBadgeRequest(code=b.code), metadata=ops, timeout=T))[1] == "BADGE_NOT_FOUND"


def test_a_category_badge_is_awarded_once_with_its_points_and_order(loyalty, ops, activity, as_user, user_id):
    cat = f"shoes-{uuid.uuid4().hex[:6]}"
    b = badge(loyalty, ops, "category", {"category": cat, "min_amount": 100_000}, points=300)
    assert my_badges(loyalty, as_user, user_id)[b.code].progress == 0
    buy(activity, as_user, user_id, 60_000, cat)
    mine = my_badges(loyalty, as_user, user_id)[b.code]
    assert (mine.earned, mine.progress, mine.target) == (False, 60_000, 100_000)
    buy(activity, as_user, user_id, 50_000, cat, order_id="o-big")
    buy(activity, as_user, user_id, 50_000, cat)
    mine = my_badges(loyalty, as_user, user_id)[b.code]
    assert (mine.earned, mine.order_id, mine.progress) == (True, "o-big", 100_000)
    # The badge's 300, once (purchase points come from the subscriber, not run here).
    assert points(loyalty, as_user, user_id) == 300


def test_hidden_badges_are_invisible_until_earned(loyalty, ops, activity, as_user, user_id):
    cat = f"secret-{uuid.uuid4().hex[:6]}"
    b = badge(loyalty, ops, "category", {"category": cat}, hidden=True)
    assert b.code not in my_badges(loyalty, as_user, user_id)
    buy(activity, as_user, user_id, 1_000, cat)
    assert my_badges(loyalty, as_user, user_id)[b.code].earned


def test_review_and_collection_badges_follow_the_subscriber(loyalty, ops, user_id, as_user):
    reviews = badge(loyalty, ops, "review_count", {"count": 2}, code=f"R_{uuid.uuid4().hex[:6]}")
    other = badge(loyalty, ops, "review_count", {"count": 1}, code=f"R_{uuid.uuid4().hex[:6]}")
    both = badge(loyalty, ops, "collection", {"badges": [reviews.code, other.code]}, points=70)
    now = datetime.now(UTC)
    for _ in range(2):
        gamification.apply_event({"event_id": str(uuid.uuid4()), "user_id": user_id, "event_type": "REVIEW", "occurred_at": now})
    mine = my_badges(loyalty, as_user, user_id)
    assert mine[reviews.code].earned and mine[other.code].earned and mine[both.code].earned
    assert points(loyalty, as_user, user_id) == 70


def test_concurrent_events_award_a_badge_once(loyalty, ops, activity, as_user, user_id, sql):
    cat = f"race-{uuid.uuid4().hex[:6]}"
    b = badge(loyalty, ops, "category", {"category": cat}, points=100)
    threads = [threading.Thread(target=buy, args=(activity, as_user, user_id, 100, cat)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sql("SELECT count(*) FROM loyalty.user_badges ub JOIN loyalty.badges b ON b.id = ub.badge_id "
               "WHERE ub.user_id = %(u)s AND b.code = %(c)s", u=user_id, c=b.code) == [(1,)]
    assert points(loyalty, as_user, user_id) == 100


# ---- challenges ------------------------------------------------------------------------------------

def today():
    return streaks.rules().day(datetime.now(UTC))


def challenge(loyalty, ops, kind: str, target: dict, *, start=None, end=None, reward=None, active=True) -> g.Challenge:
    t = today()
    req = pb.CreateChallengeRequest(
        title="5번 구매 챌린지", challenge_type=kind, target_value=struct(target),
        reward=reward or g.ChallengeReward(points=1000), start_date=(start or t - timedelta(days=1)).isoformat(),
        end_date=(end or t + timedelta(days=6)).isoformat(), is_active=active,
    )
    return loyalty.CreateChallenge(req, metadata=ops, timeout=T).challenge


def join(loyalty, as_user, user_id, cid):
    return loyalty.JoinChallenge(pb.JoinChallengeRequest(challenge_id=cid), metadata=as_user(user_id), timeout=T)


def mine(loyalty, as_user, user_id, cid) -> g.UserChallenge:
    listed = loyalty.ListActiveChallenges(pb.ListActiveChallengesRequest(), metadata=as_user(user_id), timeout=T).challenges
    return next(c for c in listed if c.challenge_id == cid)


def test_admin_challenge_crud_is_refused_to_users_and_checks_its_fields(loyalty, ops, as_user, user_id):
    c = challenge(loyalty, ops, "purchase_count", {"count": 3})
    assert (c.target, c.reward.points, c.is_active) == (3, 1000, True)
    bad = pb.CreateChallengeRequest(title="x", challenge_type="purchase_count", target_value=struct({"count": 1}),
                                    reward=g.ChallengeReward(badge_code="NO_SUCH_BADGE"), start_date="2026-03-02", end_date="2026-03-01")
    code, _, fields = failure(lambda: loyalty.CreateChallenge(bad, metadata=ops, timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "end_date" in fields
    assert failure(lambda: challenge(loyalty, as_user(user_id), "purchase_count", {"count": 3}))[0] == grpc.StatusCode.PERMISSION_DENIED
    upd = pb.UpdateChallengeRequest(challenge_id=c.challenge_id, title="새 제목", challenge_type="purchase_count",
                                    target_value=struct({"count": 4}), reward=g.ChallengeReward(points=10),
                                    start_date=c.start_date, end_date=c.end_date, is_active=True)
    assert loyalty.UpdateChallenge(upd, metadata=ops, timeout=T).challenge.target == 4
    loyalty.DeleteChallenge(pb.DeleteChallengeRequest(challenge_id=c.challenge_id), metadata=ops, timeout=T)
    assert failure(lambda: join(loyalty, as_user, user_id, c.challenge_id))[1] == "CHALLENGE_NOT_FOUND"


def test_join_once_while_running(loyalty, ops, as_user, user_id):
    c = challenge(loyalty, ops, "purchase_count", {"count": 2})
    assert not mine(loyalty, as_user, user_id, c.challenge_id).joined
    joined = join(loyalty, as_user, user_id, c.challenge_id).challenge
    assert (joined.joined, joined.progress, joined.days_left) == (True, 0, 7)
    assert failure(lambda: join(loyalty, as_user, user_id, c.challenge_id))[:2] == (grpc.StatusCode.ALREADY_EXISTS, "ALREADY_JOINED")
    future = challenge(loyalty, ops, "purchase_count", {"count": 2}, start=today() + timedelta(days=1))
    off = challenge(loyalty, ops, "purchase_count", {"count": 2}, active=False)
    for cid in (future.challenge_id, off.challenge_id):
        assert failure(lambda cid=cid: join(loyalty, as_user, user_id, cid))[:2] == (grpc.StatusCode.FAILED_PRECONDITION, "CHALLENGE_NOT_ACTIVE")


def test_progress_counts_only_events_after_joining_inside_the_window(loyalty, ops, activity, as_user, user_id):
    cat = f"bags-{uuid.uuid4().hex[:6]}"
    count = challenge(loyalty, ops, "category", {"category": cat, "count": 2})
    amount = challenge(loyalty, ops, "purchase_amount", {"amount": 30_000})
    buy(activity, as_user, user_id, 20_000, cat)  # before joining: not counted
    join(loyalty, as_user, user_id, count.challenge_id)
    join(loyalty, as_user, user_id, amount.challenge_id)
    buy(activity, as_user, user_id, 20_000, cat)
    buy(activity, as_user, user_id, 5_000, "other")
    assert (mine(loyalty, as_user, user_id, count.challenge_id).progress, mine(loyalty, as_user, user_id, amount.challenge_id).progress) == (1, 25_000)
    # An event dated before the window (a trusted backend's late delivery) does not count.
    gamification.apply_event({"event_id": str(uuid.uuid4()), "user_id": user_id, "event_type": "PURCHASE", "amount": 9_000,
                              "category": cat, "order_id": "late", "occurred_at": datetime.now(UTC) - timedelta(days=3)})
    assert mine(loyalty, as_user, user_id, count.challenge_id).progress == 1
    buy(activity, as_user, user_id, 20_000, cat)
    done = mine(loyalty, as_user, user_id, count.challenge_id)
    assert (done.progress, done.completed) == (2, True) and mine(loyalty, as_user, user_id, amount.challenge_id).completed


def test_a_streak_challenge_follows_visit_days_after_joining(loyalty, ops, activity, as_user, user_id):
    c = challenge(loyalty, ops, "streak", {"days": 3})
    join(loyalty, as_user, user_id, c.challenge_id)
    activity.RecordActivity(apb.RecordActivityRequest(event_type=a.VISIT), metadata=as_user(user_id), timeout=T)
    assert mine(loyalty, as_user, user_id, c.challenge_id).progress == 1


def test_concurrent_claims_grant_the_reward_once(loyalty, ops, activity, as_user, user_id, sql):
    prize = badge(loyalty, ops, "challenge", {"count": 99}, points=200)  # awarded here only as the challenge's reward
    reward = g.ChallengeReward(points=1000, badge_code=prize.code, tokens=[g.TokenAmount(token_type="ROULETTE_COIN", amount=5)])
    c = challenge(loyalty, ops, "purchase_count", {"count": 1}, reward=reward)
    join(loyalty, as_user, user_id, c.challenge_id)
    claim = pb.ClaimChallengeRewardRequest(challenge_id=c.challenge_id)
    assert failure(lambda: loyalty.ClaimChallengeReward(claim, metadata=as_user(user_id), timeout=T))[1] == "CHALLENGE_NOT_COMPLETED"
    buy(activity, as_user, user_id, 10_000)  # its purchase points come from the subscriber, not run here
    results = []
    threads = [threading.Thread(target=lambda: results.append(outcome(lambda: loyalty.ClaimChallengeReward(claim, metadata=as_user(user_id), timeout=T))))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == sorted([(None, None)] + [(grpc.StatusCode.ALREADY_EXISTS, "ALREADY_CLAIMED")] * 7, key=str)
    assert points(loyalty, as_user, user_id) == 1000 + 200
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s AND token_type = 'ROULETTE_COIN'", u=user_id) == [(5,)]
    assert my_badges(loyalty, as_user, user_id)[prize.code].earned
    assert mine(loyalty, as_user, user_id, c.challenge_id).claimed
    other = as_user(f"{user_id}-x")
    assert failure(lambda: loyalty.ClaimChallengeReward(claim, metadata=other, timeout=T))[1] == "NOT_JOINED"
    code, reason, _ = failure(lambda: loyalty.ClaimChallengeReward(pb.ClaimChallengeRewardRequest(user_id="victim", challenge_id=c.challenge_id), metadata=as_user(user_id), timeout=T))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")


def test_dashboard_reads(loyalty, ops, activity, as_user, user_id):
    from services.common import db
    from services.loyalty import badges, challenges

    cat = f"dash-{uuid.uuid4().hex[:6]}"
    b = badge(loyalty, ops, "category", {"category": cat})
    c = challenge(loyalty, ops, "purchase_count", {"count": 5})
    join(loyalty, as_user, user_id, c.challenge_id)
    buy(activity, as_user, user_id, 1_000, cat)
    activity.RecordActivity(apb.RecordActivityRequest(event_type=a.VISIT), metadata=as_user(user_id), timeout=T)
    with db.transaction() as conn:
        s = streaks.streak_summary(conn, user_id, datetime.now(UTC))
        ch = challenges.active_challenges(conn, user_id, datetime.now(UTC))
        recent = badges.recent_badges(conn, user_id, 5)
    assert s["daily_visit"]["current"] == 1 and s["daily_visit"]["next_milestone"] == 7 and s["purchase"]["current"] == 1
    assert [(x["challenge_id"], x["progress"], x["target"], x["days_left"]) for x in ch] == [(c.challenge_id, 1, 5, 7)]
    assert [r["code"] for r in recent] == [b.code]
