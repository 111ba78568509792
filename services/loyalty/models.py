"""Tables of the Loyalty service (schema `loyalty`): tiers and members' standing with its history,
the spend that decides tiers, and points kept as lots under an append-only ledger.

Lock order, everywhere: a member's `members` row, then their `accounts` row, then their lots. Every
transaction that changes a member's lots holds the account row first, which is what keeps a spend,
an expiry and a refund from ever taking the same points twice.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.common.models import Base

SCHEMA = "loyalty"


class TierRow(Base):
    """A level reached by cumulative spend; exactly one has min_spend 0 (the base)."""

    __tablename__ = "tiers"
    __table_args__ = (
        sa.CheckConstraint("min_spend >= 0", name="min_spend_not_negative"),
        sa.UniqueConstraint("min_spend", name="uq_tiers_min_spend"),
        {"schema": SCHEMA},
    )

    code: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.Text)
    min_spend: Mapped[int] = mapped_column(sa.BigInteger)
    benefits: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(sa.Text)


class Member(Base):
    """A member's tier and lifetime spend; `downgrade_at` is set while a downgrade waits out its grace."""

    __tablename__ = "members"
    __table_args__ = (sa.Index("ix_members_tier_code", "tier_code"), {"schema": SCHEMA})

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    tier_code: Mapped[str] = mapped_column(sa.Text, sa.ForeignKey(f"{SCHEMA}.tiers.code"))
    lifetime_spend: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    tier_since: Mapped[datetime]
    downgrade_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class TierChange(Base):
    """The audit trail of every member's tier: upgrades, scheduled and cancelled downgrades, drops."""

    __tablename__ = "tier_changes"
    __table_args__ = (sa.Index("ix_tier_changes_user_id", "user_id", "id"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text)
    from_tier: Mapped[str] = mapped_column(sa.Text)
    to_tier: Mapped[str] = mapped_column(sa.Text)
    total_amount: Mapped[int] = mapped_column(sa.BigInteger)
    cause: Mapped[str] = mapped_column(sa.Text)
    changed_at: Mapped[datetime]


class SpendDay(Base):
    """Spend per member and calendar day (platform timezone), for rolling tier windows. An order's
    spend (and its refunds) count on the day of its first purchase."""

    __tablename__ = "spend_days"
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)


class Order(Base):
    """One order's purchases and refunds summed, what it adds to spend, and its points."""

    __tablename__ = "orders"
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    purchased: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    refunded: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    counted_spend: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    purchased_on: Mapped[date | None] = mapped_column(sa.Date)
    points_earned: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    points_settled: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    points_shortfall: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    points_charged: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    points_expired: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    updated_at: Mapped[datetime]


class OrderEvent(Base):
    """Each PURCHASE or PURCHASE_REFUND event applied, claimed by its event id: a redelivered event
    finds its row and changes nothing."""

    __tablename__ = "order_events"
    __table_args__ = {"schema": SCHEMA}

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    order_id: Mapped[str] = mapped_column(sa.Text)
    event_type: Mapped[str] = mapped_column(sa.Text)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    occurred_at: Mapped[datetime]
    processed_at: Mapped[datetime]


class Account(Base):
    """A member's spendable points: always the sum of their ledger and of their released lots' remainders.
    `debt` is what refunds could not take back; any later credit pays it first (so debt > 0 means
    balance = 0)."""

    __tablename__ = "accounts"
    __table_args__ = (
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
        sa.CheckConstraint("debt >= 0", name="debt_not_negative"),
        {"schema": SCHEMA},
    )

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    balance: Mapped[int] = mapped_column(sa.BigInteger)
    debt: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    updated_at: Mapped[datetime]


class PointsLot(Base):
    """One grant of points. `remaining` only falls (spend, expiry, refund) except when a reversed
    spend gives points back; a lot is spendable once `released_at` is set and until `expires_at`."""

    __tablename__ = "lots"
    __table_args__ = (
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.CheckConstraint("remaining >= 0 AND remaining <= points", name="remaining_within_points"),
        sa.CheckConstraint("expires_at > available_at", name="expires_after_available"),
        sa.UniqueConstraint("idempotency_key", name="uq_lots_idempotency_key"),
        sa.Index("ix_lots_user_id", "user_id", "id"),
        sa.Index("ix_lots_open", "user_id", "expires_at", "id", postgresql_where=sa.text("remaining > 0")),
        sa.Index("ix_lots_order", "user_id", "order_id", postgresql_where=sa.text("order_id IS NOT NULL")),
        sa.Index("ix_lots_expiring", "expires_at", postgresql_where=sa.text("remaining > 0 AND released_at IS NOT NULL")),
        sa.Index("ix_lots_held", "available_at", postgresql_where=sa.text("remaining > 0 AND released_at IS NULL")),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    points: Mapped[int] = mapped_column(sa.BigInteger)
    remaining: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.Text)
    label: Mapped[str] = mapped_column(sa.Text, server_default="")
    order_id: Mapped[str | None] = mapped_column(sa.Text)
    idempotency_key: Mapped[str] = mapped_column(sa.Text)
    available_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    expired_at: Mapped[datetime | None]  # set by the sweep that expired it: never restored into again
    created_at: Mapped[datetime]


class LedgerEntry(Base):
    """Append-only (a trigger refuses UPDATE and DELETE): every change of every spendable balance."""

    __tablename__ = "ledger"
    __table_args__ = (
        sa.CheckConstraint("delta <> 0", name="delta_not_zero"),
        sa.CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        sa.UniqueConstraint("idempotency_key", name="uq_ledger_idempotency_key"),
        sa.Index("ix_ledger_user_id", "user_id", "id"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    delta: Mapped[int] = mapped_column(sa.BigInteger)
    balance_after: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.Text)
    label: Mapped[str] = mapped_column(sa.Text, server_default="")
    meta: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    idempotency_key: Mapped[str] = mapped_column(sa.Text)
    lot_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime]


class LotMove(Base):
    """Points leaving a lot (SPEND, EXPIRE, REFUND, DEBT repaid, CANCEL of held points) or coming back
    (RESTORE), with the ledger entry that moved them (none for CANCEL: held points were never spendable)."""

    __tablename__ = "lot_moves"
    __table_args__ = (
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.Index("ix_lot_moves_entry_id", "entry_id"),
        sa.Index("ix_lot_moves_lot_id", "lot_id"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey(f"{SCHEMA}.lots.id"))
    entry_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    kind: Mapped[str] = mapped_column(sa.Text)
    points: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime]


class Streak(Base):
    """One streak per member and type (daily_visit, purchase); days in the platform timezone.
    `run_start` is the first day of the current run: milestone grants are keyed by it."""

    __tablename__ = "streaks"
    __table_args__ = (
        sa.CheckConstraint("streak_type IN ('daily_visit', 'purchase')", name="known_type"),
        sa.CheckConstraint("current_count >= 0 AND max_count >= current_count", name="counts"),
        sa.CheckConstraint("freezes >= 0", name="freezes_not_negative"),
        sa.CheckConstraint("run_freezes_used >= 0", name="run_freezes_used_not_negative"),
        {"schema": SCHEMA},
    )

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    streak_type: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    current_count: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    max_count: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    last_day: Mapped[date | None] = mapped_column(sa.Date)
    run_start: Mapped[date | None] = mapped_column(sa.Date)
    freezes: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    updated_at: Mapped[datetime]
    # Freezes the current run spent bridging its gaps: given back when a late day fills one.
    run_freezes_used: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))


class StreakDay(Base):
    """Every active day counted per member and type, so a late event for an earlier day rebuilds
    the run (and a day already here is a no-op read)."""

    __tablename__ = "streak_days"
    __table_args__ = (sa.CheckConstraint("bridged >= 0", name="bridged_not_negative"), {"schema": SCHEMA})

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    streak_type: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    # Freezes spent on the missed days just before this day: a rebuild counts that gap as paid.
    bridged: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))


class GamificationEvent(Base):
    """Each activity event applied to streaks, badges and challenges, claimed by its event id, with
    the outcome it answered: RecordActivity and the `activity.recorded` subscriber both apply an
    event, and whichever comes second answers the stored outcome."""

    __tablename__ = "gamification_events"
    __table_args__ = (sa.Index("ix_gamification_events_processed_at", "processed_at"), {"schema": SCHEMA})

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    event_type: Mapped[str] = mapped_column(sa.Text)
    occurred_at: Mapped[datetime]
    outcome: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    processed_at: Mapped[datetime]


class GamificationOrder(Base):
    """What one order added to the member's purchase counters (an order counts as one purchase while
    not fully refunded, with its amount net of refunds), so a refund takes back exactly its part."""

    __tablename__ = "gamification_orders"
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    category: Mapped[str | None] = mapped_column(sa.Text)
    purchases: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    purchased: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    refunded: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))


class UserCounter(Base):
    """What badges count per member (purchases, reviews, spend per category, best streak...)."""

    __tablename__ = "user_counters"
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    counter: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)


class Badge(Base):
    """A badge definition. `counter` and `target` are derived from the condition when it is saved,
    so awarding is one set-based comparison (collection badges count earned badges instead)."""

    __tablename__ = "badges"
    __table_args__ = (
        sa.CheckConstraint(
            "condition_type IN ('first_purchase', 'review_count', 'streak', 'category', 'amount', 'collection', 'challenge')",
            name="known_condition",
        ),
        sa.CheckConstraint("target >= 1", name="target_positive"),
        sa.CheckConstraint("points_reward >= 0", name="points_not_negative"),
        sa.UniqueConstraint("code", name="uq_badges_code"),
        sa.Index("ix_badges_counter", "counter", postgresql_where=sa.text("counter IS NOT NULL")),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text, server_default="")
    icon_url: Mapped[str] = mapped_column(sa.Text, server_default="")
    condition_type: Mapped[str] = mapped_column(sa.Text)
    condition_value: Mapped[dict] = mapped_column(JSONB)
    counter: Mapped[str | None] = mapped_column(sa.Text)
    target: Mapped[int] = mapped_column(sa.BigInteger)
    points_reward: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    is_hidden: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(sa.Text)


class UserBadge(Base):
    """A badge a member earned, once (the primary key), with the event or order that earned it."""

    __tablename__ = "user_badges"
    __table_args__ = (
        sa.Index("ix_user_badges_recent", "user_id", "earned_at"),
        sa.Index("ix_user_badges_badge_id", "badge_id"),
        {"schema": SCHEMA},
    )

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    badge_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey(f"{SCHEMA}.badges.id"), primary_key=True)
    earned_at: Mapped[datetime]
    event_id: Mapped[str | None] = mapped_column(sa.Text)
    order_id: Mapped[str | None] = mapped_column(sa.Text)


class Challenge(Base):
    """A challenge definition; `target` (and `category`) are derived from `target_value` when saved.
    Its window is calendar days in the platform timezone, both ends included."""

    __tablename__ = "challenges"
    __table_args__ = (
        sa.CheckConstraint("challenge_type IN ('purchase_count', 'purchase_amount', 'category', 'streak')", name="known_type"),
        sa.CheckConstraint("target >= 1", name="target_positive"),
        sa.CheckConstraint("end_date >= start_date", name="window"),
        sa.Index("ix_challenges_running", "end_date", "start_date", postgresql_where=sa.text("is_active")),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text, server_default="")
    challenge_type: Mapped[str] = mapped_column(sa.Text)
    target_value: Mapped[dict] = mapped_column(JSONB)
    target: Mapped[int] = mapped_column(sa.BigInteger)
    category: Mapped[str | None] = mapped_column(sa.Text)
    reward: Mapped[dict] = mapped_column(JSONB)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(sa.Text)


class UserChallenge(Base):
    """A member's part in a challenge: progress from their events after joining, completion, and the
    claim (`claim` keeps what was granted, answered again to a repeated claim)."""

    __tablename__ = "user_challenges"
    __table_args__ = (
        sa.CheckConstraint("claimed_at IS NULL OR completed_at IS NOT NULL", name="claim_after_completion"),
        sa.Index("ix_user_challenges_challenge_id", "challenge_id"),
        {"schema": SCHEMA},
    )

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey(f"{SCHEMA}.challenges.id"), primary_key=True)
    progress: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    joined_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    claim: Mapped[dict | None] = mapped_column(JSONB)
    # Set when refunds took a claimed challenge back under its target and its reward was clawed back.
    reversed_at: Mapped[datetime | None]
    clawback: Mapped[dict | None] = mapped_column(JSONB)
    # Clawbacks so far (a clawback reopens the challenge); claim and clawback keys carry it.
    reversals: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))


class ChallengeOrder(Base):
    """What one order added to a member's challenge (amount, or whether it counted as a purchase),
    so a refund of the order takes that part back."""

    __tablename__ = "challenge_orders"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["user_id", "challenge_id"], [f"{SCHEMA}.user_challenges.user_id", f"{SCHEMA}.user_challenges.challenge_id"]
        ),
        {"schema": SCHEMA},
    )

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    counted: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())


# ---- streaks, badges and challenges: tables go above this line


class LeaderboardTotal(Base):
    """A member's purchase total in one period (MONTHLY or WEEKLY, starting on `period_start` in the
    platform timezone), moved by each order event's counted-spend change; `reached_at` is when the
    total took its current value (ties rank by it)."""

    __tablename__ = "leaderboard_totals"
    __table_args__ = (
        sa.CheckConstraint("total >= 0", name="total_not_negative"),
        sa.CheckConstraint("period IN ('MONTHLY', 'WEEKLY')", name="period_known"),
        sa.Index("ix_leaderboard_totals_rank", "period", "period_start", sa.text("total DESC"), "reached_at", "user_id",
                 postgresql_where=sa.text("total > 0")),
        {"schema": SCHEMA},
    )

    period: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    period_start: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    total: Mapped[int] = mapped_column(sa.BigInteger)
    reached_at: Mapped[datetime]


class LeaderboardBand(Base):
    """Ranked members per band of totals (`loyalty.leaderboard_band`: three significant digits), as
    of the last fold of the deltas."""

    __tablename__ = "leaderboard_bands"
    __table_args__ = {"schema": SCHEMA}

    period: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    period_start: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    band: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    members: Mapped[int] = mapped_column(sa.BigInteger)


class LeaderboardBandDelta(Base):
    """A member entering (+1) or leaving (-1) a band, appended by the order event and folded into
    `leaderboard_bands` every minute."""

    __tablename__ = "leaderboard_band_deltas"
    __table_args__ = (sa.Index("ix_leaderboard_band_deltas_band", "period", "period_start", "band"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    period: Mapped[str] = mapped_column(sa.Text)
    period_start: Mapped[date] = mapped_column(sa.Date)
    band: Mapped[int] = mapped_column(sa.BigInteger)
    delta: Mapped[int] = mapped_column(sa.Integer)


class LeaderboardClose(Base):
    """One closed period whose standings were snapshotted (immutable: a trigger refuses changes)."""

    __tablename__ = "leaderboard_closes"
    __table_args__ = {"schema": SCHEMA}

    period: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    period_start: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    period_end: Mapped[date] = mapped_column(sa.Date)
    entries: Mapped[int] = mapped_column(sa.BigInteger)
    closed_at: Mapped[datetime]


class LeaderboardSnapshot(Base):
    """A closed period's final standings, one row per ranked member (immutable)."""

    __tablename__ = "leaderboard_snapshots"
    __table_args__ = (sa.UniqueConstraint("period", "period_start", "user_id", name="uq_leaderboard_snapshots_member"), {"schema": SCHEMA})

    period: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    period_start: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    position: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    rank: Mapped[int] = mapped_column(sa.BigInteger)
    user_id: Mapped[str] = mapped_column(sa.Text)
    total: Mapped[int] = mapped_column(sa.BigInteger)
    reached_at: Mapped[datetime]


class ReferralCode(Base):
    """A member's referral code, created on first use and never changed."""

    __tablename__ = "referral_codes"
    __table_args__ = (sa.UniqueConstraint("code", name="uq_referral_codes_code"), {"schema": SCHEMA})

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    code: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


class Referral(Base):
    """A referee's one attached code and what came of it: ATTACHED until their first purchase, then
    QUALIFIED (rewards held until `release_at`), NOT_QUALIFIED (first purchase under the floor) or
    REVERSED (that purchase refunded inside the clawback window)."""

    __tablename__ = "referrals"
    __table_args__ = (
        sa.CheckConstraint("referee_id <> referrer_id", name="not_self"),
        sa.CheckConstraint("state IN ('ATTACHED', 'QUALIFIED', 'NOT_QUALIFIED', 'REVERSED')", name="state_known"),
        sa.Index("ix_referrals_referrer", "referrer_id", sa.text("attached_at DESC"), "referee_id"),
        sa.Index("ix_referrals_rewarded", "referrer_id", "reward_month",
                 postgresql_where=sa.text("state = 'QUALIFIED' AND referrer_points > 0")),
        {"schema": SCHEMA},
    )

    referee_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    referrer_id: Mapped[str] = mapped_column(sa.Text)
    code: Mapped[str] = mapped_column(sa.Text)
    attached_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(sa.Text, server_default="ATTACHED")
    order_id: Mapped[str | None] = mapped_column(sa.Text)
    first_purchase: Mapped[int | None] = mapped_column(sa.BigInteger)
    qualified_at: Mapped[datetime | None]
    reward_month: Mapped[date | None] = mapped_column(sa.Date)
    release_at: Mapped[datetime | None]
    reversed_at: Mapped[datetime | None]
    referrer_points: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    referee_points: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    referrer_capped: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    reward_ref: Mapped[str | None] = mapped_column(sa.Text)  # random: the reward lots' order_id


class ReferralAttempt(Base):
    """A refused attach (unknown or own code): counted to stop guessing codes."""

    __tablename__ = "referral_attempts"
    __table_args__ = (sa.Index("ix_referral_attempts_user", "user_id", "attempted_at"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text)
    attempted_at: Mapped[datetime]


class EarlyRefund(Base):
    """A refund processed before any purchase of its order, with when it was made: a referral
    counts only those made inside the purchase's clawback window."""

    __tablename__ = "early_refunds"
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    occurred_at: Mapped[datetime]


# ---- leaderboards, referrals and the dashboard: tables go above this line
