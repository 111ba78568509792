"""Referrals: codes, attaching once (never one's own, never after buying, never in a cycle, no code
guessing), both sides rewarded once when the first purchase reaches the floor, held through the
clawback window, reversed by a refund inside it, released after it, and the referrer's monthly cap."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
from engage.loyalty.v1 import community_pb2, loyalty_service_pb2_grpc
from engage.loyalty.v1 import loyalty_service_pb2 as pb

from services.common.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from services.loyalty import referrals, service
from tests.integration.community_support import code_of, refer
from tests.integration.grpc_failure import failure
from tests.integration.loyalty_support import assert_ledger_consistent, purchase, refund

Status = community_pb2.Referral.Status


@pytest.fixture(scope="module")
def loyalty(channel):
    return loyalty_service_pb2_grpc.LoyaltyServiceStub(channel)


@pytest.fixture(autouse=True)
def ledger_consistent(sql):
    yield
    assert_ledger_consistent(sql)


def _users(n: int) -> list[str]:
    run = uuid.uuid4().hex[:6]
    return [f"rf-{run}-{i}" for i in range(n)]


def _lots(sql, user_id: str) -> list[tuple]:
    return sql("SELECT points, remaining, released_at IS NULL FROM loyalty.lots WHERE user_id = %(u)s AND source = 'referral'", u=user_id)


def test_a_code_is_created_once_and_a_referee_attaches_one_code_once(loyalty, as_user):
    a, b, c = _users(3)
    mine = loyalty.GetMyReferrals(pb.GetMyReferralsRequest(), metadata=as_user(a))
    assert len(mine.code) == referrals.CODE_LENGTH and mine.code == code_of(a)
    assert (list(mine.referrals), mine.HasField("referred_by"), mine.monthly_cap) == ([], False, 10)
    attached = loyalty.AttachReferralCode(pb.AttachReferralCodeRequest(code=mine.code.lower()), metadata=as_user(b))
    assert (attached.referral.status, attached.replayed, attached.referral.user_id) == (Status.Value("ATTACHED"), False, "rf***")
    again = loyalty.AttachReferralCode(pb.AttachReferralCodeRequest(code=mine.code), metadata=as_user(b))
    assert again.replayed
    code, reason, _ = failure(lambda: loyalty.AttachReferralCode(pb.AttachReferralCodeRequest(code=code_of(c)), metadata=as_user(b)))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "REFERRAL_ALREADY_ATTACHED")
    listed = loyalty.GetMyReferrals(pb.GetMyReferralsRequest(), metadata=as_user(a)).referrals
    assert [(r.status, r.points) for r in listed] == [(Status.Value("ATTACHED"), 0)]
    assert loyalty.GetMyReferrals(pb.GetMyReferralsRequest(), metadata=as_user(b)).referred_by.status == Status.Value("ATTACHED")


def test_own_unknown_and_malformed_codes_are_refused_and_guessing_is_stopped(loyalty, as_user):
    a = _users(1)[0]
    own = code_of(a)
    code, reason, _ = failure(lambda: loyalty.AttachReferralCode(pb.AttachReferralCodeRequest(code=own), metadata=as_user(a)))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "SELF_REFERRAL")
    code, reason, _ = failure(lambda: loyalty.AttachReferralCode(pb.AttachReferralCodeRequest(code="ZZZZZZZZZZ"), metadata=as_user(a)))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "REFERRAL_CODE_NOT_FOUND")
    code, reason, _ = failure(lambda: loyalty.AttachReferralCode(pb.AttachReferralCodeRequest(code="not-a-code!"), metadata=as_user(a)))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REFERRAL_CODE")
    for _ in range(2):
        with pytest.raises(NotFound):
            referrals.attach(a, "YYYYYYYYYY")
    # Five refusals within the hour: even a good code waits.
    good = code_of(_users(1)[0])
    code, reason, _ = failure(lambda: loyalty.AttachReferralCode(pb.AttachReferralCodeRequest(code=good), metadata=as_user(a)))
    assert (code, reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "TOO_MANY_ATTEMPTS")
    later = datetime.now(UTC) + timedelta(hours=1, minutes=1)
    assert not referrals.attach(a, good, now=later).replayed


def test_cycles_are_refused_at_any_depth():
    a, b, c = _users(3)
    refer(a, b)
    with pytest.raises(FailedPrecondition) as e:
        referrals.attach(a, code_of(b))
    assert e.value.reason == "REFERRAL_CYCLE"
    refer(b, c)
    with pytest.raises(FailedPrecondition) as e:
        referrals.attach(a, code_of(c))
    assert e.value.reason == "REFERRAL_CYCLE"


def test_two_members_attaching_each_others_codes_at_once_make_no_cycle():
    for _ in range(5):
        a, b = _users(2)
        codes = {a: code_of(a), b: code_of(b)}
        outcomes: dict[str, object] = {}

        def attach(me: str, other: str, codes=codes, outcomes=outcomes) -> None:
            try:
                outcomes[me] = referrals.attach(me, codes[other])
            except FailedPrecondition as e:
                outcomes[me] = e.reason

        threads = [threading.Thread(target=attach, args=(a, b)), threading.Thread(target=attach, args=(b, a))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sorted(str(v) if isinstance(v, str) else "ATTACHED" for v in outcomes.values()) == ["ATTACHED", "REFERRAL_CYCLE"]


def test_a_code_cannot_be_attached_after_the_first_purchase():
    a, b = _users(2)
    purchase(b, 5_000)
    with pytest.raises(FailedPrecondition) as e:
        referrals.attach(b, code_of(a))
    assert e.value.reason == "ALREADY_PURCHASED"


def test_a_qualifying_first_purchase_rewards_both_once_held_until_the_window_ends(loyalty, as_user, sql):
    a, b = _users(2)
    refer(a, b)
    t0 = datetime.now(UTC)
    purchase(b, 50_000, at=t0)  # 500 purchase points, spendable at once
    purchase(b, 80_000, at=t0 + timedelta(hours=1))  # a second purchase changes nothing
    t1 = t0 + timedelta(hours=1)
    assert (service.balance(a, now=t1).pending, service.balance(b, now=t1).pending) == (3_000, 2_000)
    assert service.balance(b, now=t1).balance == 500 + 800  # both at Bronze
    assert _lots(sql, a) == [(3_000, 3_000, True)] and _lots(sql, b) == [(2_000, 2_000, True)]
    seen = loyalty.GetMyReferrals(pb.GetMyReferralsRequest(), metadata=as_user(a)).referrals[0]
    assert (seen.status, seen.points, seen.release_date) == (
        Status.Value("PENDING"), 3_000, (t0 + timedelta(days=14)).astimezone(ZoneInfo("Asia/Seoul")).date().isoformat())
    # After the window the sweep releases both; the referral shows REWARDED.
    after = t0 + timedelta(days=14, minutes=1)
    assert service.balance(a, now=after).balance == 3_000
    service.settle_due_points(now=after)
    assert _lots(sql, a) == [(3_000, 3_000, False)]
    assert referrals.status(referrals.mine(a, now=after).referrals[0], after) == "REWARDED"
    # A refund after the window takes back only the purchase's own points.
    refund(b, 50_000, sql("SELECT order_id FROM loyalty.referrals WHERE referee_id = %(u)s", u=b)[0][0], at=after)
    assert service.balance(a, now=after).balance == 3_000


def test_concurrent_duplicate_and_distinct_first_purchases_reward_once(sql):
    a, b = _users(2)
    refer(a, b)
    event_id = str(uuid.uuid4())
    jobs = [lambda: purchase(b, 40_000, "o-1", event_id=event_id) for _ in range(6)]
    jobs += [lambda i=i: purchase(b, 35_000, f"o-other-{i}") for i in range(4)]
    threads = [threading.Thread(target=j) for j in jobs]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert _lots(sql, a) == [(3_000, 3_000, True)] and _lots(sql, b) == [(2_000, 2_000, True)]
    assert sql("SELECT state FROM loyalty.referrals WHERE referee_id = %(u)s", u=b) == [("QUALIFIED",)]


def test_a_first_purchase_under_the_floor_never_pays(loyalty, as_user, sql):
    a, b = _users(2)
    refer(a, b)
    purchase(b, 29_999)
    purchase(b, 100_000)
    assert _lots(sql, a) == [] and _lots(sql, b) == []
    seen = loyalty.GetMyReferrals(pb.GetMyReferralsRequest(), metadata=as_user(b)).referred_by
    assert (seen.status, seen.points) == (Status.Value("NOT_QUALIFIED"), 0)


def test_any_refund_inside_the_window_reverses_both_rewards(loyalty, as_user, sql):
    a, b, c = _users(3)
    refer(a, b, c)
    t0 = datetime.now(UTC) + timedelta(minutes=1)
    purchase(b, 60_000, "first-b", at=t0)
    assert service.balance(a, now=t0).pending == 3_000
    # The issue: "a refund inside it reverses both", so even a partial one leaving 50,000 (over the
    # floor) does.
    refund(b, 10_000, "first-b", at=t0 + timedelta(days=1))
    assert _lots(sql, a) == [(3_000, 0, True)] and _lots(sql, b) == [(2_000, 0, True)]
    assert (service.balance(a, now=t0 + timedelta(days=1)).pending, service.balance(b, now=t0 + timedelta(days=1)).pending) == (0, 0)
    statuses = {r.status for r in loyalty.GetMyReferrals(pb.GetMyReferralsRequest(), metadata=as_user(a)).referrals}
    assert statuses == {Status.Value("REVERSED"), Status.Value("ATTACHED")}
    refund(b, 30_000, "first-b", at=t0 + timedelta(days=2))  # a second refund reverses nothing twice
    # The reversal freed nothing twice: the released sweep has nothing of theirs to release.
    service.settle_due_points(now=t0 + timedelta(days=30))
    assert service.balance(a, now=t0 + timedelta(days=30)).balance == 0


def _event(user_id: str, kind: str, amount: int, order_id: str, *, occurred: datetime, processed: datetime):
    """An order event that happened at `occurred` and is processed at `processed` (queues reorder
    and delay events)."""
    return service.record_order_event(
        {"event_id": str(uuid.uuid4()), "user_id": user_id, "event_type": kind, "amount": amount, "order_id": order_id,
         "occurred_at": occurred.isoformat()},
        now=processed,
    )


def _state(sql, referee: str) -> str:
    return sql("SELECT state FROM loyalty.referrals WHERE referee_id = %(u)s", u=referee)[0][0]


def test_a_refund_processed_before_its_purchase_leaves_the_referral_unpaid(sql):
    a, b, c = _users(3)
    refer(a, b, c)
    t0 = datetime.now(UTC) + timedelta(minutes=1)
    # b's order is fully refunded, the refund processed first: the order's net is 0.
    _event(b, "PURCHASE_REFUND", 50_000, "o-b", occurred=t0 + timedelta(hours=1), processed=t0 + timedelta(hours=1))
    _event(b, "PURCHASE", 50_000, "o-b", occurred=t0, processed=t0 + timedelta(hours=2))
    # c's order keeps 50,000 (over the floor), but a refund inside the window reverses both anyway.
    _event(c, "PURCHASE_REFUND", 10_000, "o-c", occurred=t0 + timedelta(hours=1), processed=t0 + timedelta(hours=1))
    _event(c, "PURCHASE", 60_000, "o-c", occurred=t0, processed=t0 + timedelta(hours=2))
    assert (_state(sql, b), _state(sql, c)) == ("NOT_QUALIFIED", "NOT_QUALIFIED")
    assert _lots(sql, a) == [] and _lots(sql, b) == [] and _lots(sql, c) == []
    assert sql("SELECT first_purchase FROM loyalty.referrals WHERE referee_id = %(u)s", u=b) == [(0,)]


def test_a_purchase_made_before_the_code_was_attached_never_pays(sql):
    a, b = _users(2)
    t0 = datetime.now(UTC)
    refer(a, b)
    _event(b, "PURCHASE", 80_000, "o-early", occurred=t0 - timedelta(hours=1), processed=t0 + timedelta(minutes=1))
    assert _state(sql, b) == "NOT_QUALIFIED"
    assert _lots(sql, a) == [] and _lots(sql, b) == []


def test_the_window_runs_on_event_time_and_a_late_processed_refund_takes_released_rewards_back(sql):
    a, b = _users(2)
    refer(a, b)
    t0 = datetime.now(UTC) + timedelta(minutes=1)
    _event(b, "PURCHASE", 50_000, "first", occurred=t0, processed=t0 + timedelta(days=2))  # processed two days late
    release_at = sql("SELECT release_at FROM loyalty.referrals WHERE referee_id = %(u)s", u=b)[0][0]
    assert release_at == t0 + timedelta(days=14)  # from the purchase, not from its processing
    released = t0 + timedelta(days=14, minutes=1)
    service.settle_due_points(now=released)
    assert _lots(sql, a) == [(3_000, 3_000, False)]
    service.spend(a, 2_000, str(uuid.uuid4()), "gift", "test", now=released)  # the referrer spends 2,000 of it
    # A refund made on day 5, processed on day 16 (after the release): both rewards come back.
    _event(b, "PURCHASE_REFUND", 50_000, "first", occurred=t0 + timedelta(days=5), processed=t0 + timedelta(days=16))
    assert _state(sql, b) == "REVERSED"
    after = t0 + timedelta(days=16)
    assert (service.balance(a, now=after).balance, service.balance(b, now=after).balance) == (0, 0)
    assert _lots(sql, a) == [(3_000, 0, False)] and _lots(sql, b) == [(2_000, 0, False)]
    # What a had spent becomes debt, never a negative balance; their next points pay it first.
    assert sql("SELECT balance, debt FROM loyalty.accounts WHERE user_id = %(u)s", u=a) == [(0, 2_000)]
    # A refund made after the window (the same order again) reverses nothing more.
    assert sql("SELECT count(*) FROM loyalty.ledger WHERE user_id = %(u)s AND reason = 'PURCHASE_REFUND'", u=a) == [(1,)]


def test_a_refund_made_after_the_window_is_not_a_clawback_even_when_processed_early(sql):
    a, b = _users(2)
    refer(a, b)
    t0 = datetime.now(UTC) + timedelta(minutes=1)
    _event(b, "PURCHASE", 50_000, "first", occurred=t0, processed=t0)
    _event(b, "PURCHASE_REFUND", 50_000, "first", occurred=t0 + timedelta(days=15), processed=t0 + timedelta(days=15))
    assert _state(sql, b) == "QUALIFIED"
    assert _lots(sql, a) == [(3_000, 3_000, True)]


def test_the_cap_counts_the_purchase_month_in_seoul(monkeypatch, sql):
    monkeypatch.setattr(referrals, "current_rules", lambda: referrals.Rules(monthly_cap=1))
    a, r1, r2 = _users(3)
    refer(a, r1, r2)
    seoul = ZoneInfo("Asia/Seoul")
    march_end = datetime(2100, 3, 31, 23, 50, tzinfo=seoul)  # 14:50 UTC: March in Seoul
    april = datetime(2100, 4, 1, 0, 10, tzinfo=seoul)
    _event(r1, "PURCHASE", 30_000, "o-r1", occurred=march_end, processed=april + timedelta(minutes=10))  # processed in April
    _event(r2, "PURCHASE", 30_000, "o-r2", occurred=april, processed=april + timedelta(minutes=20))
    assert sorted(m for (m,) in sql("SELECT reward_month FROM loyalty.referrals WHERE referrer_id = %(u)s", u=a)) == [
        date(2100, 3, 1), date(2100, 4, 1)]
    assert [p for p, _, _ in _lots(sql, a)] == [3_000, 3_000]  # one per month: neither capped


def test_concurrent_first_purchases_never_exceed_the_cap(monkeypatch, sql):
    monkeypatch.setattr(referrals, "current_rules", lambda: referrals.Rules(monthly_cap=2))
    a, *referees = _users(9)
    refer(a, *referees)
    t0 = datetime(2100, 6, 5, 3, tzinfo=UTC)
    threads = [threading.Thread(target=purchase, args=(r, 40_000), kwargs={"at": t0}) for r in referees]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [p for p, _, _ in _lots(sql, a)] == [3_000, 3_000]
    assert sql("SELECT count(*) FILTER (WHERE referrer_capped), count(*) FROM loyalty.referrals WHERE referrer_id = %(u)s "
               "AND state = 'QUALIFIED'", u=a) == [(6, 8)]
    assert all(_lots(sql, r) == [(2_000, 2_000, True)] for r in referees)


def test_parallel_guesses_cannot_pass_the_attempt_limit_and_old_attempts_are_pruned(sql):
    a = _users(1)[0]
    now = datetime.now(UTC)
    outcomes: list[str] = []

    def guess(i: int) -> None:
        try:
            referrals.attach(a, f"{i:02d}ZZZZZZZZ".replace("0", "Z").replace("1", "Y"), now=now)
        except DomainError as e:
            outcomes.append(e.reason)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(set(outcomes)) == ["REFERRAL_CODE_NOT_FOUND", "TOO_MANY_ATTEMPTS"] and len(outcomes) == 20
    assert outcomes.count("REFERRAL_CODE_NOT_FOUND") == 5
    assert sql("SELECT count(*) FROM loyalty.referral_attempts WHERE user_id = %(u)s", u=a) == [(5,)]
    assert referrals.prune_attempts(now=now + timedelta(minutes=30)) >= 0
    assert sql("SELECT count(*) FROM loyalty.referral_attempts WHERE user_id = %(u)s", u=a) == [(5,)]  # still inside the hour
    assert referrals.prune_attempts(now=now + timedelta(hours=1, seconds=1)) >= 5
    assert sql("SELECT count(*) FROM loyalty.referral_attempts WHERE user_id = %(u)s", u=a) == [(0,)]


def test_a_referrer_is_rewarded_at_most_the_cap_each_month(monkeypatch, sql):
    monkeypatch.setattr(referrals, "current_rules", lambda: referrals.Rules(monthly_cap=2))
    a, *referees = _users(5)
    refer(a, *referees)
    t0 = datetime(2100, 3, 5, 3, tzinfo=UTC)
    for r in referees[:3]:
        purchase(r, 30_000, at=t0)
    assert [p for p, _, _ in _lots(sql, a)] == [3_000, 3_000]
    assert all(_lots(sql, r) == [(2_000, 2_000, True)] for r in referees[:3])  # the capped one's referee still earns
    assert sql("SELECT count(*) FROM loyalty.referrals WHERE referrer_id = %(u)s AND referrer_capped", u=a) == [(1,)]
    purchase(referees[3], 30_000, at=datetime(2100, 4, 1, 3, tzinfo=UTC))  # a new month in Seoul
    assert len(_lots(sql, a)) == 3
    mine = referrals.mine(a, now=datetime(2100, 4, 2, tzinfo=UTC))
    assert (mine.rewarded_this_month, mine.monthly_cap) == (1, 2)


def test_referrals_page_newest_first_and_users_see_only_their_own(loyalty, as_user):
    a, *referees = _users(4)
    refer(a, *referees)
    first = loyalty.GetMyReferrals(pb.GetMyReferralsRequest(page_size=2), metadata=as_user(a))
    rest = loyalty.GetMyReferrals(pb.GetMyReferralsRequest(page_size=2, page_token=first.next_page_token), metadata=as_user(a))
    assert (len(first.referrals), len(rest.referrals), rest.next_page_token) == (2, 1, "")
    code, reason, _ = failure(lambda: loyalty.GetMyReferrals(pb.GetMyReferralsRequest(user_id=a), metadata=as_user(referees[0])))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")
    assert loyalty.GetMyReferrals(pb.GetMyReferralsRequest(user_id=a), metadata=as_user("ops", "admin")).code == code_of(a)


def test_an_empty_or_unknown_code_is_refused_by_kind():
    a = _users(1)[0]
    with pytest.raises(InvalidArgument):
        referrals.attach(a, "")
    with pytest.raises(NotFound):
        referrals.attach(a, "2222222222")


def test_the_referrers_ledger_names_neither_the_referee_nor_their_order(loyalty, as_user, sql):
    a, b = _users(2)
    refer(a, b)
    t0 = datetime.now(UTC) + timedelta(minutes=1)
    order = f"secret-order-{uuid.uuid4().hex[:6]}"
    _event(b, "PURCHASE", 50_000, order, occurred=t0, processed=t0)
    service.settle_due_points(now=t0 + timedelta(days=14, minutes=1))
    # A refund made inside the window, processed after the release: a clawback entry on a's ledger.
    _event(b, "PURCHASE_REFUND", 50_000, order, occurred=t0 + timedelta(days=5), processed=t0 + timedelta(days=16))
    assert _state(sql, b) == "REVERSED"
    entries = loyalty.ListPointsEntries(pb.ListPointsEntriesRequest(), metadata=as_user(a)).entries
    assert any(e.delta < 0 for e in entries)  # the clawback
    seen = str(entries)
    assert b not in seen and order not in seen
    assert {e.label for e in entries if e.delta < 0} == {"referral"}
    lots = sql("SELECT order_id, label FROM loyalty.lots WHERE user_id = %(u)s AND source = 'referral'", u=a)
    assert len(lots) == 1 and b not in str(lots) and order not in str(lots)
    # The referral's own row still tells admins which order it was.
    assert sql("SELECT order_id FROM loyalty.referrals WHERE referee_id = %(u)s", u=b) == [(order,)]


def test_a_refund_made_after_the_window_but_processed_before_its_purchase_does_not_disqualify(sql):
    a, b, c = _users(3)
    refer(a, b, c)
    t0 = datetime.now(UTC) + timedelta(minutes=1)
    after_window = t0 + timedelta(days=15)
    # b: a refund made after the window is processed before its purchase: the purchase still pays.
    _event(b, "PURCHASE_REFUND", 10_000, "o-b", occurred=after_window, processed=after_window)
    _event(b, "PURCHASE", 60_000, "o-b", occurred=t0, processed=after_window + timedelta(hours=1))
    # c: the same, but the refund was made inside the window: never pays.
    _event(c, "PURCHASE_REFUND", 10_000, "o-c", occurred=t0 + timedelta(days=13), processed=after_window)
    _event(c, "PURCHASE", 60_000, "o-c", occurred=t0, processed=after_window + timedelta(hours=1))
    assert (_state(sql, b), _state(sql, c)) == ("QUALIFIED", "NOT_QUALIFIED")
    assert sql("SELECT first_purchase FROM loyalty.referrals WHERE referee_id = %(u)s", u=b) == [(60_000,)]
    assert _lots(sql, b) == [(2_000, 2_000, False)] and _lots(sql, c) == []  # processed after the window: released at once


def test_a_referrer_sees_only_the_release_day_not_the_referees_purchase_time(loyalty, as_user):
    a, b = _users(2)
    refer(a, b)
    t0 = datetime.now(UTC)
    purchase(b, 50_000, at=t0)
    seen = loyalty.GetMyReferrals(pb.GetMyReferralsRequest(), metadata=as_user(a)).referrals[0]
    release_day = (t0 + timedelta(days=14)).astimezone(ZoneInfo("Asia/Seoul")).date().isoformat()
    assert (seen.status, seen.HasField("release_at"), seen.release_date) == (Status.Value("PENDING"), False, release_day)
    own = loyalty.GetMyReferrals(pb.GetMyReferralsRequest(), metadata=as_user(b)).referred_by  # b's own purchase: exact
    assert (own.release_at.ToDatetime(tzinfo=UTC) - t0, own.release_date) == (timedelta(days=14), release_day)
