"""Pure rules of the Loyalty service: the tier a spend reaches, when a downgrade takes effect, and
the points a purchase earns and a refund takes back. (Which lots a spend or a refund takes from is
one SQL statement, `points._TAKE`, tested on the database.)

No I/O: `now` and the program's settings (`Rules`) are arguments, so tests control both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from services.common.errors import FieldViolation

MAX_MULTIPLIER = Decimal(100)


@dataclass(frozen=True)
class Rules:
    """The program's settings (README "Configuration"), as one value the service passes down."""

    window: str = "lifetime"  # or a rolling number of months: "12m"
    grace_days: int = 30
    rate_bp: int = 100  # points per 10,000 minor units of spend, before the tier's multiplier
    hold_days: int = 0
    expiry_days: int = 365
    expiring_soon_days: int = 30
    timezone: str = "Asia/Seoul"

    @classmethod
    def from_settings(cls, s) -> Rules:
        return cls(
            window=s.loyalty_tier_window,
            grace_days=s.loyalty_downgrade_grace_days,
            rate_bp=s.loyalty_points_rate_bp,
            hold_days=s.loyalty_points_hold_days,
            expiry_days=s.loyalty_points_expiry_days,
            expiring_soon_days=s.loyalty_expiring_soon_days,
            timezone=s.timezone,
        )

    def day(self, at: datetime) -> date:
        """Calendar days follow the platform's timezone, as members read them."""
        return at.astimezone(ZoneInfo(self.timezone)).date()


# ---- tiers ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tier:
    code: str
    min_spend: int
    multiplier: Decimal


def multiplier(benefits: dict) -> Decimal:
    return Decimal(str(benefits.get("point_multiplier", 1)))


def check_benefits(benefits: dict, path: str = "benefits") -> list[FieldViolation]:
    """Every problem of a tier's benefits. The multiplier has at most two decimals, so points are
    computed exactly (no binary floating point in the arithmetic)."""
    problems = []
    m = multiplier(benefits)
    if not Decimal(1) <= m <= MAX_MULTIPLIER or m != m.quantize(Decimal("0.01")):
        problems.append(FieldViolation(f"{path}.point_multiplier", "must be from 1 to 100 with at most two decimals"))
    threshold = benefits.get("free_shipping_threshold")
    if threshold is not None and threshold < 0:
        problems.append(FieldViolation(f"{path}.free_shipping_threshold", "must not be negative"))
    if benefits.get("birthday_bonus", 0) < 0:
        problems.append(FieldViolation(f"{path}.birthday_bonus", "must not be negative"))
    return problems


def tier_for(spend: int, tiers: Sequence[Tier]) -> Tier:
    """The highest tier whose threshold the spend reaches. `tiers` holds one tier at 0, so a spend
    below every other threshold (even a negative one) still has a tier."""
    reached = [t for t in tiers if t.min_spend <= max(spend, 0)]
    return max(reached, key=lambda t: t.min_spend)


def next_tier(current: Tier, tiers: Sequence[Tier]) -> Tier | None:
    above = [t for t in tiers if t.min_spend > current.min_spend]
    return min(above, key=lambda t: t.min_spend) if above else None


@dataclass(frozen=True)
class Progress:
    next_tier: Tier | None
    remaining: int
    pct: float


def progress(spend: int, current: Tier, tiers: Sequence[Tier]) -> Progress:
    """The way from the current tier to the next: spend still needed, and the share of the step
    between the two thresholds already covered (0 while a downgrade is pending, 100 at the top)."""
    nxt = next_tier(current, tiers)
    if nxt is None:
        return Progress(None, 0, 100.0)
    step = nxt.min_spend - current.min_spend
    pct = min(max((spend - current.min_spend) / step * 100, 0.0), 100.0)
    return Progress(nxt, max(nxt.min_spend - spend, 0), round(pct, 1))


def window_start(today: date, window: str) -> date | None:
    """The first day whose spend counts (None: every day). A window of N months ending today
    starts the day after the same date N months ago (clamped to the month's last day)."""
    if window == "lifetime":
        return None
    months = int(window[:-1])
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(today.day, last)) + timedelta(days=1)


@dataclass(frozen=True)
class TierDecision:
    kind: str | None  # UPGRADE, DOWNGRADE_SCHEDULED, DOWNGRADE_CANCELLED, DOWNGRADE; None: nothing
    tier: Tier  # the tier held after the decision
    target: Tier  # the tier the spend qualifies for
    downgrade_at: datetime | None


def decide(current: Tier, downgrade_at: datetime | None, spend: int, tiers: Sequence[Tier], now: datetime, grace_days: int) -> TierDecision:
    """Upgrades apply at once. A spend below the held tier schedules a downgrade `grace_days` ahead;
    a spend that recovers meanwhile cancels it; when the grace period is over, the member drops to
    the tier the spend reaches then (which may be any tier below)."""
    target = tier_for(spend, tiers)
    if target.min_spend > current.min_spend:
        return TierDecision("UPGRADE", target, target, None)
    if target.min_spend == current.min_spend:
        return TierDecision("DOWNGRADE_CANCELLED" if downgrade_at else None, current, target, None)
    if downgrade_at is None and grace_days > 0:
        return TierDecision("DOWNGRADE_SCHEDULED", current, target, now + timedelta(days=grace_days))
    if downgrade_at is None or downgrade_at <= now:
        return TierDecision("DOWNGRADE", target, target, None)
    return TierDecision(None, current, target, downgrade_at)


# ---- points ---------------------------------------------------------------------------------------

def purchase_points(amount: int, rate_bp: int, tier_multiplier: Decimal) -> int:
    """amount × rate × multiplier, rounded down: a member never earns a fraction of a point."""
    if amount <= 0:
        return 0
    return int((Decimal(amount) * rate_bp * tier_multiplier / 10_000).to_integral_value(ROUND_FLOOR))


@dataclass(frozen=True)
class OrderState:
    """What Loyalty knows of one order, summed over its PURCHASE and PURCHASE_REFUND events."""

    purchased: int
    refunded: int
    counted_spend: int  # what the order already adds to the member's spend
    points_earned: int
    points_settled: int  # points already taken back (or written off as a shortfall) for refunds


def counted_spend(order: OrderState) -> int:
    """An order adds what was bought minus what was refunded, never less than nothing: a refund
    larger than its purchase (or arriving before it) cannot push spend below the other orders'."""
    return max(order.purchased - order.refunded, 0)


def reversal_due(order: OrderState) -> int:
    """Points a refund takes back: the share of the order's points its refunded share stands for,
    computed on the running totals, so partial refunds add up to exactly the points earned when
    the whole order is refunded, and a refund that arrives before its purchase takes back once
    the purchase is known."""
    if order.purchased <= 0 or order.points_earned <= 0:
        return 0
    refunded = min(order.refunded, order.purchased)
    return max(order.points_earned * refunded // order.purchased - order.points_settled, 0)
