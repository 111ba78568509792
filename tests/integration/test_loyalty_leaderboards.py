"""Leaderboards: competition ranking with ties listed by who reached the total first, the caller's
own rank beyond the top 100, periods in Asia/Seoul, refunds, the friends scope, and immutable,
idempotent snapshots of closed periods. Each test ranks inside a month no other test uses."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import date

import grpc
import pytest
import sqlalchemy as sa
from engage.loyalty.v1 import loyalty_service_pb2 as pb
from engage.loyalty.v1 import loyalty_service_pb2_grpc

from services.common import db
from services.common.errors import FailedPrecondition, InvalidArgument
from services.loyalty import leaderboards
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
    assert all(e.user_id.endswith("***") and not e.is_me for e in board.entries)
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
    assert other not in {e.user_id for e in board.entries}  # masked for members
    weekly = loyalty.GetLeaderboard(pb.GetLeaderboardRequest(period="WEEKLY", scope="friends"), metadata=as_user(u)).leaderboard
    assert [e.user_id for e in weekly.entries] == [u]
    code, reason, fields = failure(lambda: loyalty.GetLeaderboard(pb.GetLeaderboardRequest(period="daily"), metadata=as_user(u)))
    assert (code, set(fields)) == (grpc.StatusCode.INVALID_ARGUMENT, {"period"})
    code, _, fields = failure(lambda: loyalty.GetLeaderboard(pb.GetLeaderboardRequest(period="weekly", scope="city"), metadata=as_user(u)))
    assert (code, set(fields)) == (grpc.StatusCode.INVALID_ARGUMENT, {"scope"})
    code, reason, _ = failure(lambda: loyalty.GetLeaderboard(pb.GetLeaderboardRequest(user_id=other, period="weekly"), metadata=as_user(u)))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")
    admin_view = loyalty.GetLeaderboard(pb.GetLeaderboardRequest(user_id=u, period="monthly"), metadata=as_user("ops", "admin")).leaderboard
    assert other in {e.user_id for e in admin_view.entries} or admin_view.me.rank > 100


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
    purchase(a, 500_000, at=later(t, days=1))  # a late event moves the live totals, not the snapshot
    again = leaderboards.close_period("MONTHLY", start, now=later(after, days=1))
    assert again.already
    key = {"p": "MONTHLY", "s": start}
    assert sql("SELECT position, rank, user_id, total FROM loyalty.leaderboard_snapshots WHERE period = %(p)s AND period_start = %(s)s "
               "ORDER BY position", **key) == [(1, 1, c, 90_000), (2, 2, a, 20_000), (3, 2, b, 20_000)]
    for statement in ("UPDATE loyalty.leaderboard_snapshots SET total = 1 WHERE period = %(p)s AND period_start = %(s)s",
                      "DELETE FROM loyalty.leaderboard_snapshots WHERE period = %(p)s AND period_start = %(s)s",
                      "DELETE FROM loyalty.leaderboard_closes WHERE period = %(p)s AND period_start = %(s)s"):
        with pytest.raises(Exception, match="immutable"):
            sql(statement, **key)
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
