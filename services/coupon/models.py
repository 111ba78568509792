"""Tables of the Coupon service (schema `coupon`).

No foreign keys point at `coupons`: a key check on every redemption would take a KEY SHARE lock on
the hottest row of the system (a popular coupon), turning it into a multixact under load. Deletes
check for uses instead (service.delete_coupon).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.common.models import Base

SCHEMA = "coupon"


class Coupon(Base):
    """A code and its terms, with the counters the conditional UPDATEs guard: `used_count` counts
    redemptions, `reserved_count` held reservations, and together they never pass `usage_limit`."""

    __tablename__ = "coupons"
    __table_args__ = (
        # Codes are unique in any letter case. text_pattern_ops also serves `code_prefix` searches.
        sa.Index(
            "ux_coupons_code",
            sa.func.lower(sa.literal_column("code")).label("code_lower"),
            unique=True,
            postgresql_ops={"code_lower": "text_pattern_ops"},
        ),
        sa.Index("ux_coupons_issue_key", "issue_key", unique=True, postgresql_where=sa.text("issue_key IS NOT NULL")),
        sa.Index("ix_coupons_batch_id", "batch_id", "id", postgresql_where=sa.text("batch_id IS NOT NULL")),
        sa.Index("ix_coupons_campaign", "campaign", "id", postgresql_where=sa.text("campaign IS NOT NULL")),
        sa.CheckConstraint("type IN ('PERCENTAGE', 'FIXED', 'FREE_SPIN', 'BONUS_TOKEN')", name="known_type"),
        sa.CheckConstraint("status IN ('ACTIVE', 'DISABLED')", name="known_status"),
        sa.CheckConstraint("used_count >= 0 AND reserved_count >= 0", name="counts_not_negative"),
        sa.CheckConstraint("usage_limit IS NULL OR used_count + reserved_count <= usage_limit", name="within_usage_limit"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(sa.Text)
    type: Mapped[str] = mapped_column(sa.Text)
    value: Mapped[int] = mapped_column(sa.BigInteger)
    token_type: Mapped[str] = mapped_column(sa.Text)
    max_value: Mapped[int | None] = mapped_column(sa.BigInteger)
    starts_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    usage_limit: Mapped[int | None] = mapped_column(sa.BigInteger)
    per_user_limit: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("1"))
    segment: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, server_default=sa.text("'ACTIVE'"))
    used_count: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    reserved_count: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    assigned_user_id: Mapped[str | None] = mapped_column(sa.Text)
    campaign: Mapped[str | None] = mapped_column(sa.Text)
    batch_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    template_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    issue_key: Mapped[str | None] = mapped_column(sa.Text)  # idempotency key of a personal code
    description: Mapped[str] = mapped_column(sa.Text, server_default=sa.text("''"))
    version: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("1"))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(sa.Text)


class Redemption(Base):
    """One use of a coupon and its grant. (user_id, request_id) is the idempotency key."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "request_id", name="uq_coupon_redemptions_user_id_request_id"),
        sa.Index("ix_coupon_redemptions_coupon_id", "coupon_id", "id"),
        sa.Index("ix_coupon_redemptions_user_id", "user_id", "id"),
        sa.CheckConstraint("state IN ('REDEEMED', 'ROLLED_BACK')", name="known_state"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    coupon_id: Mapped[int] = mapped_column(sa.BigInteger)
    user_id: Mapped[str] = mapped_column(sa.Text)
    request_id: Mapped[str] = mapped_column(sa.Text)
    code: Mapped[str] = mapped_column(sa.Text)
    type: Mapped[str] = mapped_column(sa.Text)
    token_type: Mapped[str] = mapped_column(sa.Text)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    ledger_entry_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    reservation_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    state: Mapped[str] = mapped_column(sa.Text, server_default=sa.text("'REDEEMED'"))
    redeemed_at: Mapped[datetime]
    rolled_back_at: Mapped[datetime | None]
    rollback_reason: Mapped[str | None] = mapped_column(sa.Text)
    rollback_entry_id: Mapped[int | None] = mapped_column(sa.BigInteger)


class UserUsage(Base):
    """A user's uses of a coupon: the per-user limit is a conditional upsert of this row."""

    __tablename__ = "user_usage"
    __table_args__ = (
        sa.CheckConstraint("used >= 0 AND reserved >= 0", name="counts_not_negative"),
        {"schema": SCHEMA},
    )

    coupon_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    used: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    reserved: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))


class Reservation(Base):
    """A use held for a checkout. (user_id, request_id) is the reservation key."""

    __tablename__ = "coupon_reservations"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "request_id", name="uq_coupon_reservations_user_id_request_id"),
        # The sweep and the live-count of held reservations read only HELD rows.
        sa.Index("ix_coupon_reservations_held", "expires_at", postgresql_where=sa.text("state = 'HELD'")),
        sa.Index("ix_coupon_reservations_held_coupon", "coupon_id", "expires_at", postgresql_where=sa.text("state = 'HELD'")),
        sa.CheckConstraint("state IN ('HELD', 'CONVERTED', 'RELEASED', 'EXPIRED')", name="known_state"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    coupon_id: Mapped[int] = mapped_column(sa.BigInteger)
    user_id: Mapped[str] = mapped_column(sa.Text)
    request_id: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.Text, server_default=sa.text("'HELD'"))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None]
    redemption_id: Mapped[int | None] = mapped_column(sa.BigInteger)


class Batch(Base):
    """One bulk generation; `request_id` makes it exactly-once, `fingerprint` detects a reused id."""

    __tablename__ = "coupon_batches"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    request_id: Mapped[str] = mapped_column(sa.Text, unique=True)
    fingerprint: Mapped[str] = mapped_column(sa.Text)
    prefix: Mapped[str] = mapped_column(sa.Text)
    count: Mapped[int] = mapped_column(sa.Integer)
    campaign: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.Text)


class FailedAttempt(Base):
    """A refused redemption or validation, for the per-user attempt limit (pruned after an hour)."""

    __tablename__ = "failed_attempts"
    __table_args__ = (sa.Index("ix_failed_attempts_user_id", "user_id", "attempted_at"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    attempted_at: Mapped[datetime]
