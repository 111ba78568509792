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
from tests.integration.grpc_failure import failure
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
        gamification.apply_event({"event_id": str(uuid.uuid4()), "user_id": user_id, "event_type": "REVIEW", "occurred_at": now,
                                  "recorded_by": "review-service"})
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
    threads = [threading.Thread(target=lambda: results.append(loyalty.ClaimChallengeReward(claim, metadata=as_user(user_id), timeout=T)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One claim granted; the others answer the same reward, marked replayed.
    assert sorted(r.replayed for r in results) == [False] + [True] * 7
    assert {(r.reward.SerializeToString(), tuple(r.badges_awarded)) for r in results} == {
        (reward.SerializeToString(), (prize.code,))}
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


# ---- review fixes ------------------------------------------------------------------------------------

def _from_log(sql, event_id: str) -> dict:
    """The event as the outbox relay publishes it (recorded_by included)."""
    (payload,) = sql(
        "SELECT jsonb_build_object('event_id', event_id, 'user_id', user_id, 'event_type', event_type, 'occurred_at', occurred_at, "
        "'recorded_by', recorded_by) FROM activity.events WHERE event_id = %(e)s", e=event_id)[0]
    return payload


def refund(user_id: str, amount: int, order_id: str) -> None:
    gamification.apply_event({"event_id": str(uuid.uuid4()), "user_id": user_id, "event_type": "PURCHASE_REFUND", "amount": amount,
                              "order_id": order_id, "occurred_at": datetime.now(UTC), "recorded_by": "shop"})


def test_reviews_a_user_records_earn_no_badge_and_a_backends_do(loyalty, ops, activity, as_user, user_id, sql):
    from services.activity import repository
    from services.loyalty import actors

    assert "'recorded_by', e.recorded_by" in str(repository.CLAIM_OUTBOX)
    b = badge(loyalty, ops, "review_count", {"count": 2}, points=1000)

    def review(caller):
        eid = str(uuid.uuid4())
        activity.RecordActivity(apb.RecordActivityRequest(user_id=user_id, event_type=a.REVIEW, event_id=eid), metadata=caller, timeout=T)
        actors.on_activity_gamification(_from_log(sql, eid))

    for _ in range(3):
        review(as_user(user_id))
    assert not my_badges(loyalty, as_user, user_id)[b.code].earned and points(loyalty, as_user, user_id) == 0
    for _ in range(2):
        review(as_user("review-service", "service"))
    assert my_badges(loyalty, as_user, user_id)[b.code].earned and points(loyalty, as_user, user_id) == 1000


def test_a_refund_takes_back_purchase_counters(loyalty, ops, activity, as_user, user_id):
    cat = f"refund-{uuid.uuid4().hex[:6]}"
    big = badge(loyalty, ops, "amount", {"min_amount": 150_000})
    in_cat = badge(loyalty, ops, "category", {"category": cat, "count": 2})
    buy(activity, as_user, user_id, 100_000, cat, order_id="o-r1")
    refund(user_id, 100_000, "o-r1")
    buy(activity, as_user, user_id, 60_000, cat)
    mine = my_badges(loyalty, as_user, user_id)
    assert (mine[big.code].earned, mine[big.code].progress, mine[in_cat.code].progress) == (False, 60_000, 1)


def test_a_refund_undoes_an_unclaimed_completion(loyalty, ops, activity, as_user, user_id):
    c = challenge(loyalty, ops, "purchase_amount", {"amount": 100_000})
    n = challenge(loyalty, ops, "purchase_count", {"count": 1})
    join(loyalty, as_user, user_id, c.challenge_id)
    join(loyalty, as_user, user_id, n.challenge_id)
    buy(activity, as_user, user_id, 100_000, order_id="o-u1")
    assert mine(loyalty, as_user, user_id, c.challenge_id).completed
    refund(user_id, 40_000, "o-u1")  # partial: the order still counts as a purchase
    after = mine(loyalty, as_user, user_id, c.challenge_id)
    assert (after.progress, after.completed, mine(loyalty, as_user, user_id, n.challenge_id).completed) == (60_000, False, True)
    claim = pb.ClaimChallengeRewardRequest(challenge_id=c.challenge_id)
    assert failure(lambda: loyalty.ClaimChallengeReward(claim, metadata=as_user(user_id), timeout=T))[1] == "CHALLENGE_NOT_COMPLETED"
    refund(user_id, 60_000, "o-u1")
    assert mine(loyalty, as_user, user_id, n.challenge_id).progress == 0


def test_a_refund_claws_back_a_claimed_reward_never_below_zero(loyalty, ops, activity, as_user, user_id, sql):
    from services.common import db
    from services.loyalty import service
    from services.reward import wallet

    reward = g.ChallengeReward(points=1000, tokens=[g.TokenAmount(token_type="ROULETTE_COIN", amount=10)])
    c = challenge(loyalty, ops, "purchase_amount", {"amount": 100_000}, reward=reward)
    join(loyalty, as_user, user_id, c.challenge_id)
    buy(activity, as_user, user_id, 100_000, order_id="o-c1")
    loyalty.ClaimChallengeReward(pb.ClaimChallengeRewardRequest(challenge_id=c.challenge_id), metadata=as_user(user_id), timeout=T)
    service.spend(user_id, 400, "cart-1", "order 9", "shop")  # 600 points left
    with db.transaction() as conn:
        wallet.post(conn, user_id=user_id, token_type="ROULETTE_COIN", delta=-6, reason="GAME_PLAY", idempotency_key=f"t:{user_id}")
    refund(user_id, 100_000, "o-c1")
    assert points(loyalty, as_user, user_id) == 0
    assert sql("SELECT debt FROM loyalty.accounts WHERE user_id = %(u)s", u=user_id) == [(400,)]
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s AND token_type = 'ROULETTE_COIN'", u=user_id) == [(0,)]
    (clawback,) = sql("SELECT clawback FROM loyalty.user_challenges WHERE user_id = %(u)s", u=user_id)[0]
    assert clawback == {"points": 1000, "points_taken": 600, "points_debt": 400,
                        "tokens": [{"token_type": "ROULETTE_COIN", "amount": 10, "taken": 4}]}
    refund(user_id, 1, "o-c1")  # nothing left to take: no second clawback
    assert sql("SELECT debt FROM loyalty.accounts WHERE user_id = %(u)s", u=user_id) == [(400,)]


def test_a_reward_repeating_a_token_type_is_refused_and_old_rows_pay_the_sum_once(loyalty, ops, activity, as_user, user_id, sql):
    dup = g.ChallengeReward(tokens=[g.TokenAmount(token_type="ROULETTE_COIN", amount=5), g.TokenAmount(token_type="ROULETTE_COIN", amount=7)])
    code, _, fields = failure(lambda: challenge(loyalty, ops, "purchase_count", {"count": 1}, reward=dup))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "reward.tokens[1].token_type" in fields
    c = challenge(loyalty, ops, "purchase_count", {"count": 1}, reward=g.ChallengeReward(points=1))
    upd = pb.UpdateChallengeRequest(challenge_id=c.challenge_id, title="x", challenge_type="purchase_count", target_value=struct({"count": 1}),
                                    reward=dup, start_date=c.start_date, end_date=c.end_date, is_active=True)
    assert "reward.tokens[1].token_type" in failure(lambda: loyalty.UpdateChallenge(upd, metadata=ops, timeout=T))[2]
    sql("UPDATE loyalty.challenges SET reward = %(r)s::jsonb WHERE id = %(id)s", id=c.challenge_id,
        r='{"points": 0, "tokens": [{"token_type": "ROULETTE_COIN", "amount": 5}, {"token_type": "ROULETTE_COIN", "amount": 7}]}')
    join(loyalty, as_user, user_id, c.challenge_id)
    buy(activity, as_user, user_id, 1_000)
    got = loyalty.ClaimChallengeReward(pb.ClaimChallengeRewardRequest(challenge_id=c.challenge_id), metadata=as_user(user_id), timeout=T)
    assert [(t.token_type, t.amount) for t in got.reward.tokens] == [("ROULETTE_COIN", 12)]
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s AND token_type = 'ROULETTE_COIN'", u=user_id) == [(12,)]


def test_a_repeated_claim_answers_the_first_claim(loyalty, ops, activity, as_user, user_id):
    prize = badge(loyalty, ops, "challenge", {"count": 99})
    c = challenge(loyalty, ops, "purchase_count", {"count": 1}, reward=g.ChallengeReward(points=300, badge_code=prize.code))
    join(loyalty, as_user, user_id, c.challenge_id)
    buy(activity, as_user, user_id, 1_000)
    claim = pb.ClaimChallengeRewardRequest(challenge_id=c.challenge_id)
    first = loyalty.ClaimChallengeReward(claim, metadata=as_user(user_id), timeout=T)
    again = loyalty.ClaimChallengeReward(claim, metadata=as_user(user_id), timeout=T)
    assert (first.replayed, again.replayed, again.reward, list(again.badges_awarded)) == (False, True, first.reward, [prize.code])
    assert points(loyalty, as_user, user_id) == 300


def test_a_badge_a_challenge_or_collection_names_cannot_be_deleted(loyalty, ops):
    prize = badge(loyalty, ops, "challenge", {"count": 99})
    part = badge(loyalty, ops, "challenge", {"count": 98})
    badge(loyalty, ops, "collection", {"badges": [part.code]})
    challenge(loyalty, ops, "purchase_count", {"count": 1}, reward=g.ChallengeReward(badge_code=prize.code))
    for code in (prize.code, part.code):
        got = failure(lambda code=code: loyalty.DeleteBadge(pb.DeleteBadgeRequest(code=code), metadata=ops, timeout=T))
        assert got[:2] == (grpc.StatusCode.FAILED_PRECONDITION, "BADGE_IN_USE")


def test_a_streak_outcome_counts_the_badge_points_of_the_same_visit(loyalty, ops, activity, as_user, user_id):
    b = badge(loyalty, ops, "streak", {"days": 1}, points=40)
    r = activity.RecordActivity(apb.RecordActivityRequest(event_type=a.VISIT), metadata=as_user(user_id), timeout=T).streak
    assert [(x.type, x.amount, x.reason) for x in r.rewards] == [("badge", 40, b.code)]
    assert points(loyalty, as_user, user_id) == 40


def test_a_collection_created_after_its_parts_are_held_is_awarded_at_once(loyalty, ops, as_user, user_id):
    part = badge(loyalty, ops, "review_count", {"count": 1})
    gamification.apply_event({"event_id": str(uuid.uuid4()), "user_id": user_id, "event_type": "REVIEW",
                              "occurred_at": datetime.now(UTC), "recorded_by": "review-service"})
    both = badge(loyalty, ops, "collection", {"badges": [part.code]}, points=70)
    assert my_badges(loyalty, as_user, user_id)[both.code].earned and points(loyalty, as_user, user_id) == 70


def test_a_members_view_of_a_collection_hides_the_codes_of_hidden_badges(loyalty, ops, as_user, user_id):
    shown = badge(loyalty, ops, "review_count", {"count": 50})
    secret = badge(loyalty, ops, "review_count", {"count": 60}, hidden=True)
    both = badge(loyalty, ops, "collection", {"badges": [shown.code, secret.code]})
    mine_ = my_badges(loyalty, as_user, user_id)[both.code]
    assert (list(mine_.badge.condition_value["badges"]), mine_.target) == ([shown.code], 2)


def test_join_answers_the_joined_challenge_even_outside_the_running_list(loyalty, ops, as_user, user_id, monkeypatch):
    from services.loyalty import challenges

    c = challenge(loyalty, ops, "purchase_count", {"count": 2})
    monkeypatch.setattr(challenges, "MAX_RUNNING", 0)  # the list no longer holds it
    joined = join(loyalty, as_user, user_id, c.challenge_id).challenge
    assert (joined.challenge_id, joined.joined) == (c.challenge_id, True)


def test_a_streak_challenge_completes_breaks_and_ends_with_its_window(loyalty, ops, activity, as_user, user_id):
    svc = as_user("web", "service")
    t = today()

    def visit_on(d):
        at = min(datetime(d.year, d.month, d.day, 12, tzinfo=streaks_tz()).astimezone(UTC), datetime.now(UTC))
        req = apb.RecordActivityRequest(user_id=user_id, event_type=a.VISIT, event_id=str(uuid.uuid4()))
        req.occurred_at.FromDatetime(at)
        return activity.RecordActivity(req, metadata=svc, timeout=T)

    two = challenge(loyalty, ops, "streak", {"days": 2}, start=t - timedelta(days=3), end=t)
    three = challenge(loyalty, ops, "streak", {"days": 3}, start=t - timedelta(days=3), end=t)
    joined_at = datetime(*(t - timedelta(days=3)).timetuple()[:3], 0, 1, tzinfo=streaks_tz()).astimezone(UTC)
    for c in (two, three):
        gamification.join_challenge(user_id, c.challenge_id, now=joined_at)
    visit_on(t - timedelta(days=3))
    visit_on(t - timedelta(days=2))
    assert mine(loyalty, as_user, user_id, two.challenge_id).completed
    visit_on(t)  # day t-1 missed, no freeze: the streak breaks to 1
    broken = mine(loyalty, as_user, user_id, three.challenge_id)
    assert (broken.progress, broken.completed) == (2, False)  # the best run since joining, never the broken one
    claim = pb.ClaimChallengeRewardRequest(challenge_id=two.challenge_id)
    assert not loyalty.ClaimChallengeReward(claim, metadata=as_user(user_id), timeout=T).replayed
    # Tomorrow the window is over: neither runs any more.
    from services.common import db
    from services.loyalty import challenges

    with db.transaction() as conn:
        assert challenges.active_challenges(conn, user_id, datetime.now(UTC) + timedelta(days=1)) == []


def streaks_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(streaks.rules().timezone)


def test_a_challenge_window_opens_and_closes_at_seoul_midnight(loyalty, ops, user_id):
    from services.loyalty import challenges as ch

    start = datetime(2031, 6, 10, tzinfo=streaks_tz())  # 00:00 Seoul = 15:00 UTC the day before
    c = challenge(loyalty, ops, "purchase_count", {"count": 1}, start=start.date(), end=start.date())
    with pytest.raises(Exception) as early:
        gamification.join_challenge(user_id, c.challenge_id, now=(start - timedelta(minutes=1)).astimezone(UTC))
    assert early.value.reason == "CHALLENGE_NOT_ACTIVE"
    row, _ = gamification.join_challenge(user_id, c.challenge_id, now=(start + timedelta(minutes=1)).astimezone(UTC))
    assert row.joined_at is not None

    def buy_at(at):
        gamification.apply_event({"event_id": str(uuid.uuid4()), "user_id": user_id, "event_type": "PURCHASE", "amount": 1,
                                  "order_id": str(uuid.uuid4()), "occurred_at": at.astimezone(UTC), "recorded_by": "shop"})

    buy_at(start + timedelta(days=1, minutes=1))  # 00:01 the next Seoul day: outside
    from services.common import db

    with db.transaction() as conn:
        assert ch.part(conn, user_id, c.challenge_id).progress == 0
    buy_at(start + timedelta(hours=23, minutes=59))  # 23:59 Seoul of the last day: inside
    with db.transaction() as conn:
        assert ch.part(conn, user_id, c.challenge_id).completed_at is not None


def test_purchases_after_completion_count_so_a_refund_keeps_a_reward_still_earned(loyalty, ops, activity, as_user, user_id, sql):
    c = challenge(loyalty, ops, "purchase_count", {"count": 2})
    join(loyalty, as_user, user_id, c.challenge_id)
    buy(activity, as_user, user_id, 1_000, order_id="o-a")
    buy(activity, as_user, user_id, 1_000, order_id="o-b")
    loyalty.ClaimChallengeReward(pb.ClaimChallengeRewardRequest(challenge_id=c.challenge_id), metadata=as_user(user_id), timeout=T)
    buy(activity, as_user, user_id, 1_000, order_id="o-c")
    refund(user_id, 1_000, "o-a")  # two purchases still count
    after = mine(loyalty, as_user, user_id, c.challenge_id)
    assert (after.progress, after.completed, after.claimed, points(loyalty, as_user, user_id)) == (2, True, True, 1000)
    assert sql("SELECT order_id FROM loyalty.challenge_orders WHERE user_id = %(u)s AND counted ORDER BY 1", u=user_id) == [
        ("o-b",), ("o-c",)]


def test_a_clawed_back_challenge_is_earned_and_claimed_again(loyalty, ops, activity, as_user, user_id, sql):
    c = challenge(loyalty, ops, "purchase_count", {"count": 1}, reward=g.ChallengeReward(points=300))
    join(loyalty, as_user, user_id, c.challenge_id)
    claim = pb.ClaimChallengeRewardRequest(challenge_id=c.challenge_id)
    buy(activity, as_user, user_id, 1_000, order_id="o-1")
    loyalty.ClaimChallengeReward(claim, metadata=as_user(user_id), timeout=T)
    refund(user_id, 1_000, "o-1")
    gone = mine(loyalty, as_user, user_id, c.challenge_id)
    assert (gone.completed, gone.claimed, points(loyalty, as_user, user_id)) == (False, False, 0)
    assert failure(lambda: loyalty.ClaimChallengeReward(claim, metadata=as_user(user_id), timeout=T))[1] == "CHALLENGE_NOT_COMPLETED"
    buy(activity, as_user, user_id, 1_000, order_id="o-2")
    assert mine(loyalty, as_user, user_id, c.challenge_id).completed
    again = loyalty.ClaimChallengeReward(claim, metadata=as_user(user_id), timeout=T)
    assert (again.replayed, again.reward.points, points(loyalty, as_user, user_id)) == (False, 300, 300)
    assert sql("SELECT idempotency_key FROM loyalty.lots WHERE user_id = %(u)s ORDER BY id", u=user_id) == [
        (f"challenge:{c.challenge_id}:{user_id}",), (f"challenge:{c.challenge_id}:{user_id}:r1",)]
    refund(user_id, 1_000, "o-2")  # the second reward is clawed back under its own key
    assert points(loyalty, as_user, user_id) == 0
