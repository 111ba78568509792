"""Tables of the Campaign service (schema `campaign`).

`campaign_logs` holds one row per targeted (campaign, user); its primary key is what makes each
delivery happen once. No foreign keys point at `campaigns`: a 1M-user snapshot would check one per
row, and only drafts (which have no logs) can be deleted.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.common.models import Base

SCHEMA = "campaign"
EMPTY = sa.text("'{}'::jsonb")


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        sa.Index(
            "ix_campaigns_live", "status", "start_at",
            postgresql_where=sa.text("status IN ('SCHEDULED', 'RUNNING', 'PAUSED')"),
        ),
        sa.CheckConstraint(
            "status IN ('DRAFT', 'SCHEDULED', 'RUNNING', 'PAUSED', 'COMPLETED', 'CANCELED')", name="known_status"
        ),
        sa.CheckConstraint("trigger IN ('SCHEDULED', 'SEGMENT_ENTRY', 'EVENT')", name="known_trigger"),
        sa.CheckConstraint("channel IN ('IN_APP', 'EMAIL', 'WEBHOOK')", name="known_channel"),
        sa.CheckConstraint("reward_type IN ('NONE', 'TOKEN', 'POINTS', 'COUPON', 'OFFER')", name="known_reward_type"),
        sa.CheckConstraint("control_group_percent BETWEEN 0 AND 50", name="control_group_percent_range"),
        sa.CheckConstraint("end_at IS NULL OR end_at > start_at", name="ends_after_start"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    segment: Mapped[str | None] = mapped_column(sa.Text)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime | None]
    reward_type: Mapped[str] = mapped_column(sa.Text)
    reward_value: Mapped[dict] = mapped_column(JSONB, server_default=EMPTY)
    message_title: Mapped[str] = mapped_column(sa.Text, server_default=sa.text("''"))
    message_template: Mapped[str] = mapped_column(sa.Text)
    channel: Mapped[str] = mapped_column(sa.Text)
    trigger: Mapped[str] = mapped_column(sa.Text)
    event: Mapped[str | None] = mapped_column(sa.Text)
    control_group_percent: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    webhook_url: Mapped[str | None] = mapped_column(sa.Text)
    webhook_secret: Mapped[str | None] = mapped_column(sa.Text)
    quiet_hours_start: Mapped[str | None] = mapped_column(sa.Text)
    quiet_hours_end: Mapped[str | None] = mapped_column(sa.Text)
    timezone: Mapped[str | None] = mapped_column(sa.Text)
    conversion_window_hours: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.Text, server_default=sa.text("'DRAFT'"))
    version: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("1"))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(sa.Text)
    started_at: Mapped[datetime | None]
    launched_at: Mapped[datetime | None]  # the SCHEDULED snapshot is written
    finished_at: Mapped[datetime | None]


class CampaignChange(Base):
    """Every change of a campaign: who, when, the status move, the fields before and after."""

    __tablename__ = "campaign_changes"
    __table_args__ = (sa.Index("ix_campaign_changes_campaign_id", "campaign_id", "id"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.BigInteger)
    action: Mapped[str] = mapped_column(sa.Text)
    from_status: Mapped[str | None] = mapped_column(sa.Text)
    to_status: Mapped[str | None] = mapped_column(sa.Text)
    changed_by: Mapped[str] = mapped_column(sa.Text)
    changed_at: Mapped[datetime]
    detail: Mapped[dict] = mapped_column(JSONB, server_default=EMPTY)


class CampaignLog(Base):
    """One targeted user of one campaign and what happened to them."""

    __tablename__ = "campaign_logs"
    __table_args__ = (
        sa.Index("ix_campaign_logs_pending", "campaign_id", "batch", postgresql_where=sa.text("status = 'PENDING'")),
        sa.Index(
            "ix_campaign_logs_convertible", "user_id", "processed_at",
            postgresql_where=sa.text("redeemed_at IS NULL AND status IN ('DELIVERED', 'SENDING', 'SUPPRESSED', 'FAILED', 'HELD_OUT')"),
        ),
        sa.Index(
            "ix_campaign_logs_coupon", "coupon_id",
            postgresql_where=sa.text("coupon_id IS NOT NULL AND redeemed_at IS NULL"),
        ),
        sa.Index(
            "ix_campaign_logs_open_selections", "processed_at",
            postgresql_where=sa.text("selection_id IS NOT NULL AND outcome_at IS NULL"),
        ),
        sa.CheckConstraint(
            "status IN ('PENDING', 'HELD_OUT', 'SUPPRESSED', 'SENDING', 'DELIVERED', 'FAILED', 'CANCELED')",
            name="known_status",
        ),
        {"schema": SCHEMA},
    )

    campaign_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    batch: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    redeemed_at: Mapped[datetime | None]
    offer: Mapped[str | None] = mapped_column(sa.Text)
    selection_id: Mapped[str | None] = mapped_column(sa.Text)
    outcome_at: Mapped[datetime | None]
    coupon_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    meta_json: Mapped[dict] = mapped_column(JSONB, server_default=EMPTY)


class Batch(Base):
    """One worker message's share of a SCHEDULED campaign's snapshot."""

    __tablename__ = "batches"
    __table_args__ = (
        sa.Index("ix_batches_pending", "campaign_id", "batch", postgresql_where=sa.text("status = 'PENDING'")),
        sa.CheckConstraint("status IN ('PENDING', 'DONE')", name="known_status"),
        {"schema": SCHEMA},
    )

    campaign_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    batch: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    users: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.Text, server_default=sa.text("'PENDING'"))
    enqueued_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]


class Send(Base):
    """An e-mail or webhook message committed with its reward, awaiting (another) attempt."""

    __tablename__ = "sends"
    __table_args__ = (sa.Index("ix_sends_next_attempt_at", "next_attempt_at"), {"schema": SCHEMA})

    campaign_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    channel: Mapped[str] = mapped_column(sa.Text)
    address: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)
    payload: Mapped[dict] = mapped_column(JSONB, server_default=EMPTY)
    attempts: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    claim_token: Mapped[str | None] = mapped_column(sa.Text)
    cap_day: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime]


class InboxMessage(Base):
    __tablename__ = "inbox_messages"
    __table_args__ = (
        sa.Index("ix_inbox_messages_user_id", "user_id", sa.text("created_at DESC"), "id"),
        sa.Index("ix_inbox_messages_unread", "user_id", postgresql_where=sa.text("read_at IS NULL")),
        {"schema": SCHEMA},
    )

    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True, server_default=sa.text("gen_random_uuid()"))
    user_id: Mapped[str] = mapped_column(sa.Text)
    campaign_id: Mapped[int] = mapped_column(sa.BigInteger)
    title: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class DailySends(Base):
    """Campaign messages sent to a user on a day (CAMPAIGN_TIMEZONE): the frequency cap's counter."""

    __tablename__ = "daily_sends"
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    sent: Mapped[int] = mapped_column(sa.Integer)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.Text)
    email_opt_in: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(sa.Text)


class Cart(Base):
    """A user's live cart, from CART_UPDATED and CHECKOUT events."""

    __tablename__ = "carts"
    __table_args__ = (
        sa.Index("ix_carts_open", "updated_at", postgresql_where=sa.text("state = 'OPEN'")),
        sa.CheckConstraint("state IN ('OPEN', 'CHECKED_OUT', 'EMPTY', 'ABANDONED')", name="known_state"),
        {"schema": SCHEMA},
    )

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    cart_id: Mapped[str | None] = mapped_column(sa.Text)
    value: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]
    abandoned_at: Mapped[datetime | None]
    last_event_id: Mapped[str] = mapped_column(sa.Text)
