"""Pure rules of leaderboards and referrals: periods, masking, codes and referral statuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from services.loyalty import leaderboards as lb
from services.loyalty import referrals


def test_months_and_iso_weeks():
    assert lb.period_start("MONTHLY", date(2026, 2, 28)) == date(2026, 2, 1)
    assert lb.period_end("MONTHLY", date(2026, 2, 1)) == date(2026, 3, 1)
    assert lb.period_end("MONTHLY", date(2026, 12, 1)) == date(2027, 1, 1)
    assert lb.period_start("WEEKLY", date(2026, 11, 22)) == date(2026, 11, 16)  # a Sunday belongs to Monday's week
    assert lb.period_start("WEEKLY", date(2026, 11, 23)) == date(2026, 11, 23)
    assert lb.previous_start("WEEKLY", date(2026, 11, 23)) == date(2026, 11, 16)
    assert lb.previous_start("MONTHLY", date(2026, 1, 1)) == date(2025, 12, 1)


def test_the_day_is_seoul_s():
    assert lb.today(datetime(2026, 11, 30, 15, 0, tzinfo=UTC), "Asia/Seoul") == date(2026, 12, 1)
    assert lb.today(datetime(2026, 11, 30, 14, 59, tzinfo=UTC), "Asia/Seoul") == date(2026, 11, 30)


def test_masks_keep_at_most_a_third_of_the_id():
    assert lb.mask("alice") == "a***"
    assert lb.mask("u-1234567") == "u-***"
    assert lb.mask("x") == "***"


def test_codes_are_normalized_and_checked():
    assert referrals.normalize(" 7kq2-mx9p ra ") == "7KQ2MX9PRA"
    assert referrals.well_formed("7KQ2MX9PRA")
    assert not referrals.well_formed("7KQ2MX9PR0")  # 0 is not in the alphabet
    assert not referrals.well_formed("7KQ2MX9PR")


def test_a_qualified_referral_is_pending_until_its_release():
    now = datetime(2026, 11, 22, tzinfo=UTC)
    row = SimpleNamespace(state="QUALIFIED", release_at=now + timedelta(seconds=1))
    assert referrals.status(row, now) == "PENDING"
    assert referrals.status(row, now + timedelta(seconds=1)) == "REWARDED"
    assert referrals.status(SimpleNamespace(state="REVERSED", release_at=None), now) == "REVERSED"


def test_a_first_purchase_pays_only_after_attaching_with_a_net_over_the_floor_and_no_refund():
    r = referrals.Rules(min_purchase=30_000)
    attached = datetime(2026, 11, 22, tzinfo=UTC)
    after = attached + timedelta(minutes=1)
    assert referrals.disqualified(after, attached, 30_000, 0, r) is None
    assert referrals.disqualified(attached - timedelta(seconds=1), attached, 90_000, 0, r) == "BEFORE_ATTACH"
    assert referrals.disqualified(after, attached, 50_000, 50_000, r) == "UNDER_FLOOR"  # a full refund processed first
    assert referrals.disqualified(after, attached, 60_000, 10_000, r) == "REFUNDED"  # any refund inside the window


def test_friends_totals_are_banded_to_two_significant_digits():
    assert [lb.banded(v) for v in (5, 99, 100, 1_999, 153_420, 1_234_567)] == [5, 99, 100, 1_900, 150_000, 1_200_000]


def test_a_period_closes_a_delay_after_its_end_in_seoul_and_pruning_keeps_whole_months():
    # October ends at midnight KST on 1 November (15:00 UTC on 31 October); 24 hours later it may close.
    assert lb.closes_at("MONTHLY", date(2026, 10, 5), 24, "Asia/Seoul") == datetime(2026, 11, 1, 15, tzinfo=UTC)
    assert lb.closes_at("WEEKLY", date(2026, 11, 18), 0, "Asia/Seoul") == datetime(2026, 11, 22, 15, tzinfo=UTC)
    assert lb.prune_cutoff(datetime(2026, 1, 20, tzinfo=UTC), 3) == date(2025, 10, 1)
