"""Leaderboards: competition ranking with ties listed by who reached the total first, the caller's
own rank beyond the top 100, periods in Asia/Seoul, refunds, the friends scope, and immutable,
idempotent snapshots of closed periods. Each test ranks inside a month no other test uses."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa
from engage.loyalty.v1 import loyalty_service_pb2 as pb
from engage.loyalty.v1 import loyalty_service_pb2_grpc

from services.common import db, metrics
from services.common.errors import FailedPrecondition, InvalidArgument
from services.loyalty import leaderboards, service
from tests.integration.community_support import SEOUL, kst, later, own_month, refer
from tests.integration.grpc_failure import failure
from tests.integration.loyalty_support import assert_ledger_consistent, purchase, refund


@pytest.fixture(scope="module")
def loyalty(channel):
    return loyalty_service_pb2_grpc.LoyaltyServiceStub(channel)


@pytest.fixture(autouse=True)
def ledger_consistent(sql):
    yield
    assert_ledger_consistent(sql)


def _users(n: int) -> list[str]:
    run = uuid.uuid4().hex[:6]
    return [f"lb-{run}-{i}" for i in range(n)]


def _ranks(board) -> list[tuple[int, str, int]]:
    return [(e.rank, e.user_id, e.total) for e in board.entries]


def test_equal_totals_share_a_rank_and_are_listed_by_who_reached_them_first():
    t = own_month()
    z, x, y, w = _users(4)
    purchase(y, 60_000, at=t)
    purchase(x, 100_000, at=later(t, hours=1))  # x reaches 100,000 first...
    purchase(z, 150_000, at=later(t, hours=2))
    purchase(w, 50_000, at=later(t, hours=3))
    purchase(y, 40_000, at=later(t, hours=4))  # ...y later
    board = leaderboards.board(w, "monthly", reveal=True, now=later(t, days=1))
    assert _ranks(board) == [(1, z, 150_000), (2, x, 100_000), (2, y, 100_000), (4, w, 50_000)]
    assert (board.me.rank, board.me.user_id, board.me.is_me) == (4, w, True)
    local = t.astimezone(SEOUL)
    assert (board.period_start, board.period_end) == (date(local.year, local.month, 1), leaderboards.period_end("MONTHLY", board.period_start))


def test_a_caller_outside_the_top_100_gets_their_own_rank_and_others_are_masked():
    t = own_month()
    users = _users(103)
    for i, u in enumerate(users[:102]):
        purchase(u, 200_000 + i * 1_000, at=t)
    purchase(users[20], 1_000, at=later(t, hours=1))  # ties with users[21]: reached later
    me = users[102]
    purchase(me, 10_000, at=t)
    board = leaderboards.board(me, "monthly", now=t)
    assert len(board.entries) == 100
    assert (board.me.rank, board.me.total, board.me.user_id) == (103, 10_000, me)
    assert all(e.user_id.endswith("***") and not e.is_me and e.reached_at is None for e in board.entries)
    assert board.me.reached_at is not None  # the caller's own time is theirs
    totals = [e.total for e in board.entries]
    assert totals == sorted(totals, reverse=True) and board.entries[0].total == 301_000
    tie = [e for e in board.entries if e.total == 221_000]
    assert [e.rank for e in tie] == [81, 81]  # 80 higher totals above them
    assert board.entries[82].rank == 83
    revealed = leaderboards.board(me, "monthly", reveal=True, now=t)
    assert [e.user_id for e in revealed.entries if e.total == 221_000] == [users[21], users[20]]  # users[20] reached it later


def test_weeks_and_months_follow_seoul_days():
    # 2101-08-01 is a Monday. 23:30 on Sunday the 31st of July in Seoul is 14:30 UTC: still July,
    # still the week starting 25 July; 00:10 on Monday is 15:10 UTC on Sunday: August, next week.
    u = _users(1)[0]
    purchase(u, 10_000, at=kst(2101, 7, 31, 23, 30))
    purchase(u, 20_000, at=kst(2101, 8, 1, 0, 10))
    july_end = kst(2101, 7, 31, 23, 59)
    august = kst(2101, 8, 1, 9, 0)
    assert leaderboards.board(u, "weekly", now=july_end).me.total == 10_000
    assert leaderboards.board(u, "monthly", now=july_end).me.total == 10_000
    week = leaderboards.board(u, "weekly", now=august)
    assert (week.me.total, week.period_start, week.period_end) == (20_000, date(2101, 8, 1), date(2101, 8, 8))
    assert leaderboards.board(u, "monthly", now=august).me.total == 20_000
    assert leaderboards.board(u, "weekly", now=kst(2101, 8, 8, 0, 0)).me is None  # a new week


def test_refunds_lower_the_total_of_the_period_the_purchase_counted_in():
    t = own_month()
    a, b = _users(2)
    purchase(a, 80_000, "ord-a", at=t)
    purchase(b, 60_000, at=t)
    refund(a, 30_000, "ord-a", at=later(t, days=1))
    board = leaderboards.board(a, "monthly", reveal=True, now=later(t, days=2))
    assert _ranks(board) == [(1, b, 60_000), (2, a, 50_000)]
    # A refund next month still lowers this month's total, and a full refund unranks the member.
    refund(a, 50_000, "ord-a", at=later(t, days=40))
    assert leaderboards.board(a, "monthly", reveal=True, now=later(t, days=2)).me is None
    assert _ranks(leaderboards.board(a, "monthly", reveal=True, now=later(t, days=2))) == [(1, b, 60_000)]


def test_a_redelivered_event_counts_once():
    t = own_month()
    u = _users(1)[0]
    event_id = str(uuid.uuid4())
    threads = [threading.Thread(target=purchase, args=(u, 70_000, "same"), kwargs={"event_id": event_id, "at": t}) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert leaderboards.board(u, "monthly", now=t).me.total == 70_000


def test_friends_rank_among_referrer_and_referees_only():
    t = own_month()
    a, b, c, d, stranger = _users(5)
    refer(a, b, c)  # a referred b and c: b and c are not each other's friends (siblings)
    refer(b, d)
    for u, amount in ((a, 30_000), (b, 50_000), (c, 90_000), (d, 10_000), (stranger, 500_000)):
        purchase(u, amount, at=t)
    of_b = leaderboards.board(b, "monthly", "friends", reveal=True, now=t)
    assert _ranks(of_b) == [(1, b, 50_000), (2, a, 30_000), (3, d, 10_000)]
    of_a = leaderboards.board(a, "monthly", "friends", reveal=True, now=t)
    assert _ranks(of_a) == [(1, c, 90_000), (2, b, 50_000), (3, a, 30_000)]
    assert of_a.me.rank == 3


def test_get_leaderboard_over_grpc_answers_the_running_month_with_the_callers_entry(loyalty, as_user):
    u, other = _users(2)
    purchase(u, 45_000)
    purchase(other, 45_000)
    board = loyalty.GetLeaderboard(pb.GetLeaderboardRequest(period="monthly"), metadata=as_user(u)).leaderboard
    assert (board.period, board.scope, board.timezone, board.me.user_id, board.me.value, board.me.is_me) == (
        "monthly", "global", "Asia/Seoul", u, 45_000, True)
    assert board.me.currency_code == "KRW"
    assert [e.rank for e in board.entries] == sorted(e.rank for e in board.entries)
    others = [e for e in board.entries if not e.is_me]
    assert others and all(e.user_id.endswith("***") and not e.HasField("reached_at") for e in others)  # masked, no times
    assert [e.user_id for e in board.entries if e.is_me] in ([], [u]) and board.me.HasField("reached_at")
    weekly = loyalty.GetLeaderboard(pb.GetLeaderboardRequest(period="WEEKLY", scope="friends"), metadata=as_user(u)).leaderboard
    assert [e.user_id for e in weekly.entries] == [u]
    code, reason, fields = failure(lambda: loyalty.GetLeaderboard(pb.GetLeaderboardRequest(period="daily"), metadata=as_user(u)))
    assert (code, set(fields)) == (grpc.StatusCode.INVALID_ARGUMENT, {"period"})
    code, _, fields = failure(lambda: loyalty.GetLeaderboard(pb.GetLeaderboardRequest(period="weekly", scope="city"), metadata=as_user(u)))
    assert (code, set(fields)) == (grpc.StatusCode.INVALID_ARGUMENT, {"scope"})
    code, reason, _ = failure(lambda: loyalty.GetLeaderboard(pb.GetLeaderboardRequest(user_id=other, period="weekly"), metadata=as_user(u)))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")
    admin = as_user("ops", "admin")
    admin_view = loyalty.GetLeaderboard(pb.GetLeaderboardRequest(user_id=u, period="monthly"), metadata=admin).leaderboard
    assert admin_view.entries and all(not e.user_id.endswith("***") and e.HasField("reached_at") for e in admin_view.entries)
    of_other = loyalty.GetLeaderboard(pb.GetLeaderboardRequest(user_id=other, period="monthly"), metadata=admin).leaderboard
    # Equal totals share a rank, and the admin sees both members whole.
    assert (of_other.me.user_id, of_other.me.value, of_other.me.rank) == (other, 45_000, admin_view.me.rank)
    assert (admin_view.me.user_id, admin_view.me.value, admin_view.me.reached_at.ToDatetime() <= of_other.me.reached_at.ToDatetime()) == (
        u, 45_000, True)
    if admin_view.me.rank + 1 <= len(admin_view.entries):
        tied = [e.user_id for e in admin_view.entries if e.value == 45_000]
        assert tied.index(u) < tied.index(other)  # u reached 45,000 first


def test_a_closed_period_is_snapshotted_once_and_the_snapshot_is_immutable(loyalty, as_user, sql):
    t = own_month()
    a, b, c = _users(3)
    purchase(a, 20_000, at=t)
    purchase(b, 20_000, at=later(t, minutes=5))
    purchase(c, 90_000, at=t)
    start = leaderboards.period_start("MONTHLY", leaderboards.today(t))
    with pytest.raises(FailedPrecondition) as e:
        leaderboards.close_period("MONTHLY", start, now=t)
    assert e.value.reason == "PERIOD_NOT_OVER"
    after = later(t, days=40)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(leaderboards.close_period("MONTHLY", start, now=after))) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(r.already for r in results) == [False, True, True, True]
    assert next(r for r in results if not r.already).entries == 3
    late = metrics.LEADERBOARD_LATE_EVENTS.labels("MONTHLY")._value.get()
    purchase(a, 500_000, at=later(t, days=1))  # a late event: counted as late, in neither the snapshot nor the closed totals
    assert metrics.LEADERBOARD_LATE_EVENTS.labels("MONTHLY")._value.get() == late + 1
    assert leaderboards.board(a, "monthly", now=t).me.total == 20_000
    again = leaderboards.close_period("MONTHLY", start, now=later(after, days=1))
    assert again.already
    key = {"p": "MONTHLY", "s": start}
    assert sql("SELECT position, rank, user_id, total FROM loyalty.leaderboard_snapshots WHERE period = %(p)s AND period_start = %(s)s "
               "ORDER BY position", **key) == [(1, 1, c, 90_000), (2, 2, a, 20_000), (3, 2, b, 20_000)]
    for statement in ("UPDATE loyalty.leaderboard_snapshots SET total = 1 WHERE period = %(p)s AND period_start = %(s)s",
                      "DELETE FROM loyalty.leaderboard_snapshots WHERE period = %(p)s AND period_start = %(s)s",
                      "DELETE FROM loyalty.leaderboard_closes WHERE period = %(p)s AND period_start = %(s)s",
                      "TRUNCATE loyalty.leaderboard_closes",
                      "TRUNCATE loyalty.leaderboard_snapshots",
                      ("INSERT INTO loyalty.leaderboard_snapshots (period, period_start, position, rank, user_id, total, reached_at) "
                       "VALUES (%(p)s, %(s)s, 4, 4, 'intruder', 1, now())")):
        with pytest.raises(Exception, match="immutable"):
            sql(statement, **key)
    assert sql("SELECT count(*) FROM loyalty.leaderboard_snapshots WHERE period = %(p)s AND period_start = %(s)s", **key) == [(3,)]
    admin = as_user("ops", "admin")
    page = loyalty.GetLeaderboardSnapshot(pb.GetLeaderboardSnapshotRequest(period="monthly", period_start=start.isoformat(), page_size=2), metadata=admin)
    assert (page.total_entries, [(e.rank, e.user_id, e.value) for e in page.entries]) == (3, [(1, c, 90_000), (2, a, 20_000)])
    rest = loyalty.GetLeaderboardSnapshot(
        pb.GetLeaderboardSnapshotRequest(period="monthly", period_start=start.isoformat(), page_token=page.next_page_token), metadata=admin)
    assert ([e.user_id for e in rest.entries], rest.next_page_token) == ([b], "")
    code, reason, _ = failure(lambda: loyalty.GetLeaderboardSnapshot(
        pb.GetLeaderboardSnapshotRequest(period="weekly", period_start=start.isoformat()), metadata=admin))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "SNAPSHOT_NOT_FOUND")
    code, _, _ = failure(lambda: loyalty.GetLeaderboardSnapshot(
        pb.GetLeaderboardSnapshotRequest(period="monthly", period_start=start.isoformat()), metadata=as_user(a)))
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_the_daily_job_closes_the_weeks_and_months_that_ended():
    t = own_month()
    u = _users(1)[0]
    purchase(u, 10_000, at=t)
    next_month = later(t, days=31)
    closed = leaderboards.close_due(now=next_month)
    mine = {(c.period, c.period_start) for c in closed}
    assert ("MONTHLY", leaderboards.period_start("MONTHLY", leaderboards.today(t))) in mine
    assert all(c.already for c in leaderboards.close_due(now=next_month))
    with db.transaction() as conn:
        snap = conn.execute(sa.text("SELECT rank FROM loyalty.leaderboard_snapshots WHERE user_id = :u AND period = 'MONTHLY'"), {"u": u}).all()
    assert snap == [(1,)]


def test_periods_are_checked():
    with pytest.raises(InvalidArgument):
        leaderboards.board("x", "yearly")
    assert leaderboards.period_end("MONTHLY", date(2100, 12, 1)) == date(2101, 1, 1)
    assert leaderboards.period_start("WEEKLY", date(2100, 1, 1)) == date(2099, 12, 28)
    assert leaderboards.mask("alice-1234") == "al***" and leaderboards.mask("ab") == "***"


def test_ranks_from_the_band_ladder_equal_a_plain_count_before_and_after_folding(sql):
    t = own_month()
    rng = random.Random(11)
    users = _users(60)
    amounts = {}
    for u in users:
        amount = rng.choice([999, 1_000, 1_009, 1_010, 99_950, 100_000, 123_456, 123_999, 124_000]) * rng.randint(1, 3)
        purchase(u, amount, f"o-{u}", at=t)
        amounts[u] = amount
    for u in users[:10]:  # refunds move members down across bands
        refund(u, amounts[u] // 2, f"o-{u}", at=later(t, hours=1))
        amounts[u] -= amounts[u] // 2

    def expected(u: str) -> int:
        return 1 + sum(1 for v in amounts.values() if v > amounts[u])

    for fold in (False, True):
        if fold:
            assert leaderboards.fold_bands() > 0
        for u in users:
            assert leaderboards.board(u, "monthly", now=t).me.rank == expected(u), (u, amounts[u], fold)
    assert sql("SELECT loyalty.leaderboard_band(999), loyalty.leaderboard_band(1009), loyalty.leaderboard_band(99950), "
               "loyalty.leaderboard_band(1234567), loyalty.leaderboard_band(0)") == [(999, 1000, 99900, 1230000, None)]


def test_a_period_closes_only_after_the_close_delay_so_late_events_reach_the_snapshot():
    t = own_month()
    a, b = _users(2)
    purchase(a, 40_000, at=t)
    start = leaderboards.period_start("MONTHLY", leaderboards.today(t))
    end = datetime.combine(leaderboards.period_end("MONTHLY", start), datetime.min.time(), tzinfo=SEOUL).astimezone(UTC)
    assert leaderboards.closes_at("MONTHLY", start) == end + timedelta(hours=24)  # the default delay
    # b bought a minute before the month ended; the event is processed two hours after.
    service.record_order_event({"event_id": str(uuid.uuid4()), "user_id": b, "event_type": "PURCHASE", "amount": 70_000,
                                "order_id": f"late-{b}", "occurred_at": (end - timedelta(minutes=1)).isoformat()},
                               now=end + timedelta(hours=2))
    with pytest.raises(FailedPrecondition) as e:
        leaderboards.close_period("MONTHLY", start, now=end + timedelta(hours=1))
    assert (e.value.reason, e.value.metadata["closes_at"]) == ("PERIOD_NOT_OVER", (end + timedelta(hours=24)).isoformat())
    assert ("MONTHLY", start) not in {(c.period, c.period_start) for c in leaderboards.close_due(now=end + timedelta(hours=3))}
    closed = {(c.period, c.period_start): c for c in leaderboards.close_due(now=end + timedelta(hours=25))}
    assert closed[("MONTHLY", start)].entries == 2
    with db.transaction() as conn:
        snap = conn.execute(sa.text("SELECT user_id, total FROM loyalty.leaderboard_snapshots WHERE period = 'MONTHLY' "
                                    "AND period_start = :s ORDER BY position"), {"s": start}).all()
    assert snap == [(b, 70_000), (a, 40_000)]
    week = leaderboards.period_start("WEEKLY", start)
    assert leaderboards.closes_at("WEEKLY", start, delay_hours=0) == datetime.combine(
        leaderboards.period_end("WEEKLY", week), datetime.min.time(), tzinfo=SEOUL)


def test_members_see_no_other_members_times_and_friends_totals_are_banded():
    t = own_month()
    a, b, c = _users(3)
    refer(a, b)
    purchase(a, 153_420, at=t)
    purchase(b, 98_765, at=t)
    purchase(c, 1_234_567, at=t)
    of_b = leaderboards.board(b, "monthly", "friends", now=t)
    assert [(e.rank, e.user_id, e.total, e.reached_at, e.banded) for e in of_b.entries] == [
        (1, "***", 150_000, None, True), (2, b, 98_765, of_b.me.reached_at, False)]
    assert of_b.me.reached_at is not None
    trusted = leaderboards.board(b, "monthly", "friends", reveal=True, now=t)
    assert [(e.user_id, e.total, e.reached_at is not None) for e in trusted.entries] == [(a, 153_420, True), (b, 98_765, True)]
    top = leaderboards.board(b, "monthly", now=t)  # the global ranking keeps exact totals, without times
    assert [(e.total, e.reached_at, e.banded) for e in top.entries] == [(1_234_567, None, False), (153_420, None, False), (98_765, t, False)]
    assert [leaderboards.banded(v) for v in (0, 7, 45, 999, 1_009, 153_420)] == [0, 7, 45, 990, 1_000, 150_000]


def test_the_ladder_stays_exact_over_unfolded_bands_new_deltas_and_a_total_falling_to_zero_and_back(sql):
    t = own_month()
    rng = random.Random(7)
    users = _users(40)
    amounts: dict[str, int] = {}

    def check(stage: str) -> None:
        for u in users:
            me = leaderboards.board(u, "monthly", now=t).me
            if amounts[u] == 0:
                assert me is None, (stage, u)
            else:
                assert me.rank == 1 + sum(1 for v in amounts.values() if v > amounts[u]), (stage, u, amounts[u])

    # Bands that exist only as deltas (never folded), skewed amounts across many bands.
    for u in users:
        amounts[u] = int(rng.lognormvariate(11, 1.2))
        purchase(u, amounts[u], f"o-{u}", at=t)
    check("deltas only")
    leaderboards.fold_bands()
    check("folded")
    # New deltas on top of folded bands: members climb, one drops to 0, another drops to 0 and comes back.
    for u in users[:10]:
        extra = int(rng.lognormvariate(10, 1.5))
        purchase(u, extra, at=later(t, hours=1))
        amounts[u] += extra
    gone, back = users[10], users[11]
    refund(gone, amounts[gone], f"o-{gone}", at=later(t, hours=2))
    refund(back, amounts[back], f"o-{back}", at=later(t, hours=2))
    amounts[gone] = amounts[back] = 0
    check("to zero")
    purchase(back, 777, at=later(t, hours=3))
    amounts[back] = 777
    check("folded plus new deltas")
    leaderboards.fold_bands()
    check("folded again")
    members = sql("SELECT sum(members) FROM loyalty.leaderboard_bands WHERE period = 'MONTHLY' AND period_start = %(s)s",
                  s=leaderboards.period_start("MONTHLY", leaderboards.today(t)))[0][0]
    assert members == sum(1 for v in amounts.values() if v > 0)


def test_closed_periods_past_the_retention_lose_their_live_rows_but_keep_their_snapshots(sql):
    t = own_month()
    u = _users(1)[0]
    purchase(u, 10_000, at=t)
    leaderboards.fold_bands()
    start = leaderboards.period_start("MONTHLY", leaderboards.today(t))
    week = leaderboards.period_start("WEEKLY", leaderboards.today(t))
    leaderboards.close_period("MONTHLY", start, now=later(t, days=40))
    key = {"s": start, "w": week}
    live = ("SELECT count(*) FROM loyalty.leaderboard_totals WHERE period = 'MONTHLY' AND period_start = %(s)s",
            "SELECT count(*) FROM loyalty.leaderboard_bands WHERE period = 'MONTHLY' AND period_start = %(s)s")
    leaderboards.prune_closed(now=later(t, days=40), retain_months=3)  # still inside the retention
    assert [sql(q, **key)[0][0] > 0 for q in live] == [True, True]
    assert leaderboards.prune_closed(now=later(t, days=150), retain_months=3, batch=1) >= 1
    assert [sql(q, **key)[0][0] for q in live] == [0, 0]
    # The week was never closed: its live rows stay. The month's snapshot stays.
    assert sql("SELECT count(*) FROM loyalty.leaderboard_totals WHERE period = 'WEEKLY' AND period_start = %(w)s", **key) == [(1,)]
    assert sql("SELECT user_id FROM loyalty.leaderboard_snapshots WHERE period = 'MONTHLY' AND period_start = %(s)s", **key) == [(u,)]
    assert leaderboards.prune_cutoff(datetime(2100, 5, 20, tzinfo=UTC), 3) == date(2100, 2, 1)
    assert leaderboards.prune_cutoff(datetime(2100, 2, 20, tzinfo=UTC), 3) == date(2099, 11, 1)


def test_an_event_counted_while_its_period_closes_reaches_the_snapshot():
    t = own_month()
    a, b = _users(2)
    purchase(a, 40_000, at=t)
    start = leaderboards.period_start("MONTHLY", leaderboards.today(t))
    with db.engine().connect() as counting:
        tx = counting.begin()
        late = leaderboards.count(counting, b, leaderboards.today(t), 70_000, t)  # not committed yet
        results: list = []
        closer = threading.Thread(target=lambda: results.append(leaderboards.close_period("MONTHLY", start, now=later(t, days=40))))
        closer.start()
        closer.join(1.0)
        assert closer.is_alive()  # the closer waits for the counting transaction
        tx.commit()
    closer.join()
    assert (results[0].entries, late) == (2, [])
    with db.transaction() as conn:
        snap = conn.execute(sa.text("SELECT user_id, total FROM loyalty.leaderboard_snapshots WHERE period = 'MONTHLY' "
                                    "AND period_start = :s ORDER BY position"), {"s": start}).all()
    assert snap == [(b, 70_000), (a, 40_000)]


def test_friends_totals_are_always_marked_banded_and_friends_ids_carry_no_prefix():
    t = own_month()
    a, b = _users(2)
    refer(a, b)
    purchase(a, 150_000, at=t)  # banding leaves it as it is: still marked banded
    purchase(b, 45, at=t)
    of_b = leaderboards.board(b, "monthly", "friends", now=t)
    assert [(e.user_id, e.total, e.banded) for e in of_b.entries] == [("***", 150_000, True), (b, 45, False)]
    of_a = leaderboards.board(a, "monthly", "friends", now=t)
    assert [(e.user_id, e.total, e.banded) for e in of_a.entries] == [(a, 150_000, False), ("***", 45, True)]


def test_the_late_event_metric_counts_only_committed_events(monkeypatch):
    t = own_month()
    a = _users(1)[0]
    purchase(a, 10_000, at=t)
    start = leaderboards.period_start("MONTHLY", leaderboards.today(t))
    leaderboards.close_period("MONTHLY", start, now=later(t, days=40))
    late = metrics.LEADERBOARD_LATE_EVENTS.labels("MONTHLY")._value.get()

    def fail(*args, **kw):
        raise RuntimeError("the transaction rolls back after the leaderboard counted")

    monkeypatch.setattr(service.referrals, "on_order_event", fail)
    with pytest.raises(RuntimeError):
        purchase(a, 500_000, at=later(t, days=1))
    assert metrics.LEADERBOARD_LATE_EVENTS.labels("MONTHLY")._value.get() == late
    monkeypatch.undo()
    purchase(a, 500_000, at=later(t, days=1))
    assert metrics.LEADERBOARD_LATE_EVENTS.labels("MONTHLY")._value.get() == late + 1
