"""Streaks through the public API: the RecordActivity response carries the outcome of a visit or a
purchase, days follow Asia/Seoul, milestones grant points once, freezes bridge missed days, and a
repeated or concurrent event advances a streak once (the subscriber too)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as apb
from engage.loyalty.v1 import loyalty_service_pb2 as pb
from engage.loyalty.v1 import loyalty_service_pb2_grpc
from google.protobuf import timestamp_pb2

from services.loyalty import actors
from tests.integration.grpc_failure import failure
from tests.integration.loyalty_support import assert_ledger_consistent

T = 10
# Seoul midnight of a past day (15:00 UTC the day before), so trusted callers can send the times.
START = datetime(2026, 1, 1, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def loyalty(channel):
    return loyalty_service_pb2_grpc.LoyaltyServiceStub(channel)


@pytest.fixture(autouse=True)
def ledger_consistent(sql):
    yield
    assert_ledger_consistent(sql)


@pytest.fixture
def visit(activity, as_user, user_id):
    """visit(at, event_id=None, kind=VISIT, **fields) -> RecordActivityResponse, sent by a trusted backend."""
    svc = as_user("web", "service")

    def send(at: datetime, event_id: str | None = None, kind=a.VISIT, **fields):
        ts = timestamp_pb2.Timestamp()
        ts.FromDatetime(at)
        req = apb.RecordActivityRequest(user_id=user_id, event_type=kind, event_id=event_id or str(uuid.uuid4()), occurred_at=ts, **fields)
        return activity.RecordActivity(req, metadata=svc, timeout=T)

    return send


def day(n: int, hour: int = 12) -> datetime:
    """Noon (Seoul) of the n-th day after START."""
    return START + timedelta(days=n, hours=hour)


def balance(loyalty, as_user, user_id) -> int:
    return loyalty.GetPointsBalance(pb.GetPointsBalanceRequest(), metadata=as_user(user_id), timeout=T).balance


def test_a_users_own_visit_answers_with_a_new_streak(activity, as_user, user_id):
    r = activity.RecordActivity(apb.RecordActivityRequest(event_type=a.VISIT), metadata=as_user(user_id), timeout=T)
    assert r.HasField("streak")
    assert (r.streak.streak_type, r.streak.streak, r.streak.max_streak, r.streak.is_record, r.streak.streak_broken) == ("daily_visit", 1, 1, True, False)
    again = activity.RecordActivity(apb.RecordActivityRequest(event_type=a.LOGIN), metadata=as_user(user_id), timeout=T)
    assert (again.streak.streak, again.streak.already_recorded, again.streak.is_record) == (1, True, False)  # same day: no change


def test_other_events_answer_without_a_streak(activity, as_user, user_id):
    r = activity.RecordActivity(apb.RecordActivityRequest(event_type=a.ROULETTE_PLAY), metadata=as_user(user_id), timeout=T)
    assert not r.HasField("streak")


def test_seoul_days_decide_around_the_utc_date_change(visit):
    # 23:59 and 00:01 in Seoul: the same UTC date (14:59 and 15:01 UTC) but two Seoul days.
    assert visit(START - timedelta(minutes=1)).streak.streak == 1
    assert visit(START + timedelta(minutes=1)).streak.streak == 2
    # 00:01 and 23:58 Seoul of one day are two UTC dates but one Seoul day: no change.
    same = visit(START + timedelta(hours=23, minutes=58)).streak
    assert (same.streak, same.already_recorded) == (2, True)
    assert visit(START + timedelta(days=1, minutes=1)).streak.streak == 3


def test_a_gap_breaks_the_streak_and_reports_the_previous_length(visit):
    for n in range(3):
        visit(day(n))
    r = visit(day(5)).streak
    assert (r.streak, r.streak_broken, r.previous_streak, r.max_streak, r.is_record, r.freeze_used) == (1, True, 3, 3, False, False)


def test_day_seven_grants_its_points_once_and_a_replay_answers_the_same_outcome(visit, loyalty, as_user, user_id):
    for n in range(6):
        assert visit(day(n)).streak.rewards == []
    eid = str(uuid.uuid4())
    seventh = visit(day(6), eid)
    assert (seventh.streak.streak, seventh.duplicate) == (7, False)
    assert [(r.type, r.amount, r.milestone) for r in seventh.streak.rewards] == [("points", 500, 7), ("freeze", 1, 7)]
    assert balance(loyalty, as_user, user_id) == 500
    replay = visit(day(6), eid)
    assert replay.duplicate and replay.streak == seventh.streak  # the first outcome, nothing advanced
    assert visit(day(6, hour=20)).streak.already_recorded
    assert balance(loyalty, as_user, user_id) == 500


def test_a_missed_day_uses_a_freeze_earned_on_day_seven(visit, loyalty, as_user, user_id):
    for n in range(7):
        visit(day(n))
    bridged = visit(day(8)).streak  # day 7 missed
    assert (bridged.streak, bridged.freeze_used, bridged.freezes_used, bridged.freezes_left, bridged.streak_broken) == (8, True, 1, 0, False)
    broken = visit(day(10)).streak  # day 9 missed, no freeze left
    assert (broken.streak, broken.streak_broken, broken.previous_streak) == (1, True, 8)
    streaks = loyalty.GetStreaks(pb.GetStreaksRequest(), metadata=as_user(user_id), timeout=T).streaks
    assert [(s.streak_type, s.max, s.freezes) for s in streaks] == [("daily_visit", 8, 0), ("purchase", 0, 0)]


def test_two_missed_days_use_two_freezes_granted_by_an_operator(visit, loyalty, as_user, user_id):
    visit(day(0))
    visit(day(1))
    grant = pb.GrantStreakFreezesRequest(user_id=user_id, streak_type="daily_visit", count=5)
    assert loyalty.GrantStreakFreezes(grant, metadata=as_user("ops", "admin"), timeout=T).freezes == 2  # capped at the maximum
    r = visit(day(4)).streak
    assert (r.streak, r.freezes_used, r.freezes_left, r.streak_broken) == (3, 2, 0, False)
    code, _, _ = failure(lambda: loyalty.GrantStreakFreezes(grant, metadata=as_user(user_id), timeout=T))
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_a_milestone_reached_again_in_a_new_run_grants_again(visit, loyalty, as_user, user_id):
    for n in list(range(7)) + [n + 20 for n in range(7)]:  # two runs of seven (the gap is too long for one freeze)
        visit(day(n))
    assert balance(loyalty, as_user, user_id) == 1000


def test_purchases_keep_their_own_streak(visit, loyalty, as_user, user_id):
    visit(day(0))
    p = visit(day(1), kind=a.PURCHASE, amount=10_000, order_id="o-1").streak
    assert (p.streak_type, p.streak) == ("purchase", 1)
    assert visit(day(2), kind=a.PURCHASE, amount=10_000, order_id="o-2").streak.streak == 2
    got = {s.streak_type: s.max for s in loyalty.GetStreaks(pb.GetStreaksRequest(), metadata=as_user(user_id), timeout=T).streaks}
    assert got == {"daily_visit": 1, "purchase": 2}


def test_concurrent_duplicate_visits_advance_once(visit, loyalty, as_user, user_id):
    visit(day(0))
    eid = str(uuid.uuid4())
    results, errors = [], []

    def go():
        try:
            results.append(visit(day(1), eid).streak)
        except grpc.RpcError as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and {r.streak for r in results} == {2} and len({r.SerializeToString() for r in results}) == 1
    others = [threading.Thread(target=lambda: results.append(visit(day(1, hour=15)).streak)) for _ in range(6)]
    for t in others:
        t.start()
    for t in others:
        t.join()
    assert {r.streak for r in results} == {2}
    assert loyalty.GetStreaks(pb.GetStreaksRequest(), metadata=as_user(user_id), timeout=T).streaks[0].max == 2


def test_the_subscriber_does_not_advance_a_visit_recorded_through_activity(visit, sql, loyalty, as_user, user_id):
    eid = str(uuid.uuid4())
    visit(day(0), eid)
    (payload,) = sql(
        "SELECT jsonb_build_object('event_id', event_id, 'user_id', user_id, 'event_type', event_type, 'occurred_at', occurred_at) "
        "FROM activity.events WHERE event_id = %(e)s",
        e=eid,
    )[0]
    actors.on_activity_gamification(payload)
    actors.on_activity_gamification({**payload, "event_id": str(uuid.uuid4()), "occurred_at": day(1).isoformat()})  # a new day
    actors.on_activity_gamification({**payload, "event_id": str(uuid.uuid4()), "occurred_at": day(1).isoformat()})
    streaks = loyalty.GetStreaks(pb.GetStreaksRequest(), metadata=as_user(user_id), timeout=T).streaks
    assert (streaks[0].max, streaks[0].last_day) == (2, "2026-01-03")


def test_users_read_only_their_own_streaks(loyalty, as_user, user_id):
    code, reason, _ = failure(lambda: loyalty.GetStreaks(pb.GetStreaksRequest(user_id="someone-else"), metadata=as_user(user_id), timeout=T))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")


def test_a_late_event_for_a_missed_day_mends_the_streak(visit, sql, user_id):
    for n in (0, 1, 3):
        visit(day(n))
    late = visit(day(2)).streak  # delivered last, for the day that broke the run
    assert (late.streak, late.max_streak, late.already_recorded) == (4, 4, False)
    assert visit(day(4)).streak.streak == 5
    assert sql("SELECT count(*) FROM loyalty.streak_days WHERE user_id = %(u)s", u=user_id) == [(5,)]


def test_a_late_day_filling_a_bridged_gap_gives_the_freeze_back(visit, loyalty, as_user, user_id):
    for n in range(7):
        visit(day(n))  # day 7 earns a freeze
    assert visit(day(8)).streak.freezes_left == 0  # day 7 missed: the freeze bridged it
    mended = visit(day(7)).streak
    assert (mended.streak, mended.freezes_left) == (9, 1)
    visits = loyalty.GetStreaks(pb.GetStreaksRequest(), metadata=as_user(user_id), timeout=T).streaks[0]
    assert (visits.max, visits.freezes) == (9, 1)


def test_a_same_day_visit_is_a_read_without_a_claim_and_the_subscriber_agrees(visit, sql, user_id):
    visit(day(0))
    eid = str(uuid.uuid4())
    again = visit(day(0, hour=20), eid).streak
    assert (again.streak, again.already_recorded) == (1, True)
    actors.on_activity_gamification({"event_id": eid, "user_id": user_id, "event_type": "VISIT", "occurred_at": day(0, hour=20).isoformat()})
    assert sql("SELECT count(*) FROM loyalty.gamification_events WHERE user_id = %(u)s", u=user_id) == [(1,)]


def test_old_event_claims_are_pruned(visit, sql, user_id):
    from services.loyalty import gamification

    visit(day(0))
    visit(day(1))
    sql("UPDATE loyalty.gamification_events SET processed_at = now() - interval '31 days' WHERE user_id = %(u)s "
        "AND occurred_at < %(d)s", u=user_id, d=day(1, hour=0))
    assert gamification.prune_events() >= 1
    assert sql("SELECT count(*) FROM loyalty.gamification_events WHERE user_id = %(u)s", u=user_id) == [(1,)]


def test_a_retry_without_occurred_at_keeps_the_first_requests_time(user_id):
    from services.activity import service as activity_service
    from services.activity.domain import NewEvent
    from services.common.auth import Principal, Role

    me = Principal(user_id, Role.USER)
    eid = str(uuid.uuid4())
    first_at = datetime.now(UTC)

    def send(at):
        return activity_service.record_event(NewEvent(eid, user_id, "VISIT", None, None, None, None, None, None, at, False), me, now=at)

    first = send(first_at)
    retry = send(first_at + timedelta(minutes=2))  # a later clock (across midnight, the next day)
    assert (first.occurred_at, retry.outcome, retry.occurred_at) == (first_at, activity_service.Outcome.DUPLICATE, first_at)


def test_the_in_process_call_and_the_subscriber_racing_advance_once(visit, activity, as_user, sql, user_id):
    visit(day(0))
    for n in range(1, 6):
        eid = str(uuid.uuid4())
        payload = {"event_id": eid, "user_id": user_id, "event_type": "VISIT", "occurred_at": day(n).isoformat()}
        out: list = []
        threads = [threading.Thread(target=lambda out=out, n=n, eid=eid: out.append(visit(day(n), eid).streak)),
                   threading.Thread(target=actors.on_activity_gamification, args=(payload,)),
                   threading.Thread(target=actors.on_activity_gamification, args=(payload,))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert out[0].streak == n + 1
    assert sql("SELECT current_count, max_count FROM loyalty.streaks WHERE user_id = %(u)s AND streak_type = 'daily_visit'", u=user_id) == [(6, 6)]


def test_thirty_days_in_a_row_earn_both_milestones_once(visit, loyalty, as_user, user_id):
    rewards = [r for n in range(30) for r in visit(day(n)).streak.rewards if r.type == "points"]
    assert [(r.amount, r.milestone) for r in rewards] == [(500, 7), (3000, 30)]
    assert visit(day(29, hour=22)).streak.already_recorded
    assert balance(loyalty, as_user, user_id) == 3500


def _visit_at(user_id: str, n: int, rules) -> object:
    from services.loyalty import gamification

    return gamification.apply_event({"event_id": str(uuid.uuid4()), "user_id": user_id, "event_type": "VISIT",
                                     "occurred_at": day(n)}, rules=rules).streak


def test_a_late_day_recrossing_a_paid_milestone_after_its_amount_changed_is_applied(loyalty, as_user, user_id):
    from services.loyalty import gamification_domain as gd

    before, after = gd.StreakRules(milestones={7: 500}), gd.StreakRules(milestones={7: 700})
    for n in range(7):
        _visit_at(user_id, n, before)  # day 7 pays 500 under the run started on day 0, earns a freeze
    assert _visit_at(user_id, 9, before).streak_broken  # days 7 and 8 missed: one freeze cannot bridge them
    late = _visit_at(user_id, 8, after)  # the run from day 0 again, crossing day 7 again
    assert (late.streak, [r for r in late.rewards if r.kind == "points"]) == (9, [])
    assert balance(loyalty, as_user, user_id) == 500


def test_a_late_day_never_spends_again_the_freeze_an_older_run_spent(visit, loyalty, as_user, user_id, sql):
    from services.loyalty import gamification

    for n in (0, 1, 2, 3, 4, 5, 6, 8):
        visit(day(n))  # day 7 bridged by the day-7 freeze
    assert visit(day(11)).streak.streak_broken  # days 9 and 10 missed, no freeze: a new run
    gamification.grant_freezes(user_id, "daily_visit", 1)
    late = visit(day(10)).streak  # the day-9 gap costs the operator's freeze; the day-7 gap was paid
    assert (late.streak, late.freezes_used) == (10, 0)
    assert sql("SELECT day, bridged FROM loyalty.streak_days WHERE user_id = %(u)s AND bridged > 0 ORDER BY day", u=user_id) == [
        (day(8).date(), 1), (day(10).date(), 1)]
    assert balance(loyalty, as_user, user_id) == 500  # the day-7 milestone of the run from day 0: paid once
