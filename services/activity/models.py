"""Tables of the Activity service (schema `activity`)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BYTEA, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.common.models import Base

SCHEMA = "activity"
_zero = sa.text("0")


class UserActivity(Base):
    """Per-user counters, changed only by set-based upserts (`x = x + excluded.x`)."""

    __tablename__ = "user_activity"
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    roulette_plays: Mapped[int] = mapped_column(sa.BigInteger, server_default=_zero)
    dice_plays: Mapped[int] = mapped_column(sa.BigInteger, server_default=_zero)
    lottery_plays: Mapped[int] = mapped_column(sa.BigInteger, server_default=_zero)
    total_play_duration: Mapped[int] = mapped_column(sa.BigInteger, server_default=_zero)
    purchase_count: Mapped[int] = mapped_column(sa.BigInteger, server_default=_zero)
    purchase_total: Mapped[int] = mapped_column(sa.BigInteger, server_default=_zero)
    review_count: Mapped[int] = mapped_column(sa.BigInteger, server_default=_zero)
    charge_total: Mapped[int] = mapped_column(sa.BigInteger, server_default=_zero)
    last_bonus_used_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    last_active_at: Mapped[datetime | None]
    last_charge_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())


class EventKey(Base):
    """The idempotency record of every event ever accepted: `event_id` is unique across all time.

    It lives apart from `events` because a unique key on a partitioned table must include the
    partition column (occurred_at), which would let one event_id be recorded once per month.
    """

    __tablename__ = "event_keys"
    __table_args__ = {"schema": SCHEMA}

    event_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    fingerprint: Mapped[bytes] = mapped_column(BYTEA)
    recorded_at: Mapped[datetime]


class Event(Base):
    """The append-only event log, partitioned by month of `occurred_at` (see the migration).

    The table has no primary key constraint (event_keys makes event_id unique); the mapper's key is
    declared for the ORM only.
    """

    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_user_id_occurred_at", "user_id", "occurred_at"),
        sa.Index("ix_events_order_id", "order_id", postgresql_where=sa.text("order_id IS NOT NULL")),
        {"schema": SCHEMA, "postgresql_partition_by": "RANGE (occurred_at)"},
    )

    event_id: Mapped[uuid.UUID] = mapped_column(UUID)
    occurred_at: Mapped[datetime] = mapped_column()
    user_id: Mapped[str] = mapped_column(sa.Text)
    event_type: Mapped[str] = mapped_column(sa.Text)
    value: Mapped[int | None] = mapped_column(sa.BigInteger)
    amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str | None] = mapped_column(sa.Text)
    category: Mapped[str | None] = mapped_column(sa.Text)
    order_id: Mapped[str | None] = mapped_column(sa.Text)
    meta: Mapped[dict | None] = mapped_column(JSONB)
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(sa.Text)

    __mapper_args__ = {"primary_key": [event_id, occurred_at]}


class Outbox(Base):
    """Events waiting to be published after their transaction committed (drained by the relay actor)."""

    __tablename__ = "outbox"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID)
    user_id: Mapped[str] = mapped_column(sa.Text)
    occurred_at: Mapped[datetime] = mapped_column()


class ExternalDeposit(Base):
    """Cumulative deposit amount per user, set by operators from the external platform (seed: external_ranking_data)."""

    __tablename__ = "external_deposits"
    __table_args__ = (sa.CheckConstraint("deposit_amount >= 0", name="amount_not_negative"), {"schema": SCHEMA})

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    deposit_amount: Mapped[int] = mapped_column(sa.BigInteger)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(sa.Text)


class DepositAudit(Base):
    """Every change of a deposit amount: who, when, from what, to what."""

    __tablename__ = "deposit_audit"
    __table_args__ = (sa.Index("ix_deposit_audit_user_id", "user_id", "changed_at"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    previous_amount: Mapped[int] = mapped_column(sa.BigInteger)
    deposit_amount: Mapped[int] = mapped_column(sa.BigInteger)
    changed_at: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(sa.Text)


class DepositOutbox(Base):
    """Deposit changes waiting to be published after their transaction committed."""

    __tablename__ = "deposit_outbox"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.BigInteger)
