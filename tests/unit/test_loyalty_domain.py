"""The Loyalty service's pure rules: tiers for a spend, downgrade grace, points for a purchase and a
refund, and rolling windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from services.loyalty import domain
from services.loyalty.domain import OrderState, Tier

TIERS = [
    Tier("BRONZE", 0, Decimal("1.0")),
    Tier("SILVER", 100_000, Decimal("1.2")),
    Tier("GOLD", 300_000, Decimal("1.5")),
    Tier("PLATINUM", 700_000, Decimal("2.0")),
    Tier("DIAMOND", 1_500_000, Decimal("3.0")),
]
BRONZE, SILVER, GOLD, PLATINUM, DIAMOND = TIERS
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_the_tier_for_a_spend_is_the_highest_threshold_reached():
    assert [domain.tier_for(s, TIERS).code for s in (-5, 0, 99_999, 100_000, 699_999, 1_500_000, 10**12)] == [
        "BRONZE", "BRONZE", "BRONZE", "SILVER", "GOLD", "DIAMOND", "DIAMOND"
    ]


def test_progress_to_the_next_tier():
    p = domain.progress(400_000, GOLD, TIERS)
    assert (p.next_tier.code, p.remaining, p.pct) == ("PLATINUM", 300_000, 25.0)
    assert domain.progress(2_000_000, DIAMOND, TIERS) == domain.Progress(None, 0, 100.0)
    assert domain.progress(250_000, GOLD, TIERS).pct == 0.0  # below the held tier while a downgrade waits


def test_upgrades_apply_at_once_and_clear_a_pending_downgrade():
    d = domain.decide(SILVER, NOW, 350_000, TIERS, NOW, 30)
    assert (d.kind, d.tier.code, d.downgrade_at) == ("UPGRADE", "GOLD", None)


def test_a_downgrade_waits_out_the_grace_period_then_drops_to_the_tier_reached_then():
    d = domain.decide(GOLD, None, 150_000, TIERS, NOW, 30)
    assert (d.kind, d.tier.code, d.target.code, d.downgrade_at) == ("DOWNGRADE_SCHEDULED", "GOLD", "SILVER", NOW + timedelta(days=30))
    waiting = domain.decide(GOLD, d.downgrade_at, 150_000, TIERS, NOW + timedelta(days=29), 30)
    assert (waiting.kind, waiting.tier.code) == (None, "GOLD")
    dropped = domain.decide(GOLD, d.downgrade_at, 50_000, TIERS, NOW + timedelta(days=30), 30)
    assert (dropped.kind, dropped.tier.code, dropped.downgrade_at) == ("DOWNGRADE", "BRONZE", None)
    recovered = domain.decide(GOLD, d.downgrade_at, 300_000, TIERS, NOW + timedelta(days=10), 30)
    assert (recovered.kind, recovered.tier.code, recovered.downgrade_at) == ("DOWNGRADE_CANCELLED", "GOLD", None)


def test_without_a_grace_period_a_downgrade_is_immediate():
    assert domain.decide(GOLD, None, 0, TIERS, NOW, 0).kind == "DOWNGRADE"


def test_purchase_points_are_amount_times_rate_times_multiplier_rounded_down():
    assert domain.purchase_points(100_000, 100, Decimal("1.0")) == 1000
    assert domain.purchase_points(999, 100, Decimal("1.5")) == 14
    assert domain.purchase_points(12_345, 100, Decimal("1.2")) == 148  # 148.14
    assert domain.purchase_points(10**15, 100, Decimal("3.0")) == 3 * 10**13  # exact, no float drift
    assert domain.purchase_points(0, 100, Decimal(2)) == 0


def test_partial_refunds_add_up_to_exactly_the_points_earned():
    state = OrderState(purchased=30_001, refunded=0, counted_spend=30_001, points_earned=300, points_settled=0)
    settled = 0
    for refunded in (10_000, 20_000, 30_001):
        due = domain.reversal_due(OrderState(30_001, refunded, 0, 300, settled))
        settled += due
    assert settled == state.points_earned
    assert domain.reversal_due(OrderState(0, 5_000, 0, 0, 0)) == 0  # no purchase known yet
    assert domain.reversal_due(OrderState(1000, 5_000, 0, 10, 0)) == 10  # an over-refund takes no more than was earned


def test_an_order_counts_purchases_minus_refunds_never_below_zero():
    assert domain.counted_spend(OrderState(50_000, 20_000, 0, 0, 0)) == 30_000
    assert domain.counted_spend(OrderState(0, 20_000, 0, 0, 0)) == 0


def test_a_rolling_window_starts_the_day_after_the_same_date_n_months_ago():
    assert domain.window_start(date(2026, 3, 15), "12m") == date(2025, 3, 16)
    assert domain.window_start(date(2024, 2, 29), "12m") == date(2023, 3, 1)  # Feb 28 + 1 day
    assert domain.window_start(date(2026, 1, 31), "1m") == date(2026, 1, 1)
    assert domain.window_start(date(2026, 3, 15), "lifetime") is None


def test_days_follow_the_platform_timezone():
    late_utc = datetime(2026, 6, 1, 16, tzinfo=UTC)  # 01:00 on June 2nd in Seoul
    assert domain.Rules(timezone="Asia/Seoul").day(late_utc) == date(2026, 6, 2)


def test_benefits_are_checked():
    assert domain.check_benefits({"point_multiplier": 1.5, "free_shipping_threshold": 0}) == []
    bad = {v.field for v in domain.check_benefits({"point_multiplier": 1.234, "free_shipping_threshold": -1, "birthday_bonus": -5})}
    assert bad == {"benefits.point_multiplier", "benefits.free_shipping_threshold", "benefits.birthday_bonus"}
