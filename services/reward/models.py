"""Tables of the Reward service (schema `reward`): wallets and their ledger, budgets, reward pools
and draws, and the learning selector's posteriors and selections."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.common.models import Base

SCHEMA = "reward"


class Wallet(Base):
    """A user's balance of one token type. Changed only together with a ledger entry."""

    __tablename__ = "wallets"
    __table_args__ = (sa.CheckConstraint("balance >= 0", name="balance_not_negative"), {"schema": SCHEMA})

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    token_type: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    balance: Mapped[int] = mapped_column(sa.BigInteger)
    updated_at: Mapped[datetime]


class LedgerEntry(Base):
    """Append-only (a trigger refuses UPDATE and DELETE): every change of every wallet, with the key
    that makes it exactly-once."""

    __tablename__ = "ledger"
    __table_args__ = (
        sa.CheckConstraint("delta <> 0", name="delta_not_zero"),
        sa.CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        sa.Index("ix_ledger_user_id", "user_id", "id"),
        sa.Index("ix_ledger_created_at", "created_at"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    token_type: Mapped[str] = mapped_column(sa.Text)
    delta: Mapped[int] = mapped_column(sa.BigInteger)
    balance_after: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.Text)
    label: Mapped[str] = mapped_column(sa.Text, server_default="")
    meta: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    idempotency_key: Mapped[str] = mapped_column(sa.Text, unique=True)
    created_at: Mapped[datetime]


class LedgerKey(Base):
    """Claims an idempotency key before the wallet changes: a concurrent second claim waits for the
    first and then finds the key taken, so a change is applied once however many times it is sent."""

    __tablename__ = "ledger_keys"
    __table_args__ = {"schema": SCHEMA}

    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)


class Budget(Base):
    """What one coupon, pool or campaign may still give away, in total and per day."""

    __tablename__ = "budgets"
    __table_args__ = (
        sa.UniqueConstraint("owner_kind", "owner_id"),
        sa.CheckConstraint("spent_total >= 0", name="spent_total_not_negative"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    owner_kind: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[str] = mapped_column(sa.Text)
    unit: Mapped[str] = mapped_column(sa.Text)  # COUNT, TOKENS, POINTS
    token_type: Mapped[str | None] = mapped_column(sa.Text)
    total_limit: Mapped[int | None] = mapped_column(sa.BigInteger)
    daily_limit: Mapped[int | None] = mapped_column(sa.BigInteger)
    spent_total: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(sa.Text)


class BudgetDay(Base):
    """What a budget gave on one day (in the platform's timezone)."""

    __tablename__ = "budget_days"
    __table_args__ = (sa.CheckConstraint("spent >= 0", name="spent_not_negative"), {"schema": SCHEMA})

    budget_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey(f"{SCHEMA}.budgets.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    spent: Mapped[int] = mapped_column(sa.BigInteger)


class BudgetCharge(Base):
    """What one grant counted against one budget, so a rollback gives back exactly that."""

    __tablename__ = "budget_charges"
    __table_args__ = {"schema": SCHEMA}

    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    budget_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey(f"{SCHEMA}.budgets.id", ondelete="CASCADE"), primary_key=True
    )
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    day: Mapped[date] = mapped_column(sa.Date)
    charged_at: Mapped[datetime]
    released_at: Mapped[datetime | None]


class Pool(Base):
    """A set of weighted items a user opens for a cost."""

    __tablename__ = "pools"
    __table_args__ = (
        sa.Index("uq_pools_name", "name", unique=True, postgresql_where=sa.text("deleted_at IS NULL")),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text, server_default="")
    segment: Mapped[str | None] = mapped_column(sa.Text)
    cost_token_type: Mapped[str | None] = mapped_column(sa.Text)
    cost_amount: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    pity_threshold: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    pity_item_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(sa.Text)
    deleted_at: Mapped[datetime | None]


class PoolItem(Base):
    """One possible outcome of a pool; `quantity` is the stock left (NULL: unlimited)."""

    __tablename__ = "pool_items"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        sa.CheckConstraint("weight > 0", name="weight_positive"),
        sa.Index("ix_pool_items_pool_id", "pool_id", "id"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    pool_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey(f"{SCHEMA}.pools.id"))
    reward_type: Mapped[str] = mapped_column(sa.Text)  # TOKEN, POINTS, COUPON, NOTHING
    reward_value: Mapped[dict] = mapped_column(JSONB)
    weight: Mapped[int] = mapped_column(sa.Integer)
    quantity: Mapped[int | None] = mapped_column(sa.BigInteger)
    initial_quantity: Mapped[int | None] = mapped_column(sa.BigInteger)
    meta: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    created_at: Mapped[datetime]


class Draw(Base):
    """One open of a pool: the item, the odds it was drawn from, what was paid and given."""

    __tablename__ = "draws"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "request_id"),
        sa.Index("ix_draws_pool_id", "pool_id", "id"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    pool_id: Mapped[int] = mapped_column(sa.BigInteger)
    user_id: Mapped[str] = mapped_column(sa.Text)
    request_id: Mapped[str] = mapped_column(sa.Text)
    item_id: Mapped[int] = mapped_column(sa.BigInteger)
    item: Mapped[dict] = mapped_column(JSONB)  # the item as drawn: reward_type, reward_value, meta
    odds: Mapped[dict] = mapped_column(JSONB)
    pity: Mapped[bool] = mapped_column(sa.Boolean)
    cost_entry_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    reward_entry_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    coupon_code: Mapped[str | None] = mapped_column(sa.Text)
    drawn_at: Mapped[datetime]


class PityCounter(Base):
    """A user's draws in a row from a pool without its pity item."""

    __tablename__ = "pity_counters"
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    pool_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    misses: Mapped[int] = mapped_column(sa.Integer)


class Outbox(Base):
    """Points won from pools, waiting to be published to Loyalty (which posts them by draw id)."""

    __tablename__ = "outbox"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    draw_id: Mapped[int] = mapped_column(sa.BigInteger)


class BanditArm(Base):
    """The outcomes of one candidate in one context bucket: the posterior is Beta(1 + s, 1 + f)."""

    __tablename__ = "bandit_arms"
    __table_args__ = {"schema": SCHEMA}

    bucket: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    arm: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    successes: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    failures: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))


class BanditSelection(Base):
    """Every choice, with its propensity for off-policy evaluation and its outcome once reported."""

    __tablename__ = "bandit_selections"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "request_id"),
        sa.Index("ix_bandit_selections_bucket", "bucket", "selected_at"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    request_id: Mapped[str | None] = mapped_column(sa.Text)
    bucket: Mapped[str] = mapped_column(sa.Text)
    arm: Mapped[str] = mapped_column(sa.Text)
    candidates: Mapped[list[str]] = mapped_column(ARRAY(sa.Text))
    propensity: Mapped[float] = mapped_column(sa.Float)
    explored: Mapped[bool] = mapped_column(sa.Boolean)
    selected_at: Mapped[datetime]
    converted: Mapped[bool | None] = mapped_column(sa.Boolean)
    outcome_at: Mapped[datetime | None]
