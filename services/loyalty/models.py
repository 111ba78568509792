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
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    tier_code: Mapped[str] = mapped_column(sa.Text)
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
    """A member's spendable points: always the sum of their ledger and of their released lots' remainders."""

    __tablename__ = "accounts"
    __table_args__ = (sa.CheckConstraint("balance >= 0", name="balance_not_negative"), {"schema": SCHEMA})

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    balance: Mapped[int] = mapped_column(sa.BigInteger)
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
    """Points leaving a lot (SPEND, EXPIRE, REFUND, CANCEL of held points) or coming back (RESTORE),
    with the ledger entry that moved them (none for CANCEL: held points were never spendable)."""

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
