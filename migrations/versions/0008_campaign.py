"""Campaign: campaigns with their change history, one log per targeted user, delivery batches and
pending channel sends, the in-app inbox, the daily frequency counters, contacts and carts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
S = "campaign"
EMPTY = sa.text("'{}'::jsonb")


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS campaign")
    op.create_table(
        "campaigns",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("segment", sa.Text),
        sa.Column("start_at", TS, nullable=False),
        sa.Column("end_at", TS),
        sa.Column("reward_type", sa.Text, nullable=False),
        sa.Column("reward_value", JSONB, nullable=False, server_default=EMPTY),
        sa.Column("message_title", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("message_template", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("event", sa.Text),
        sa.Column("control_group_percent", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("webhook_url", sa.Text),
        sa.Column("webhook_secret", sa.Text),
        sa.Column("quiet_hours_start", sa.Text),
        sa.Column("quiet_hours_end", sa.Text),
        sa.Column("timezone", sa.Text),
        sa.Column("conversion_window_hours", sa.Integer),
        sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'DRAFT'")),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("started_at", TS),
        sa.Column("launched_at", TS),
        sa.Column("finished_at", TS),
        sa.CheckConstraint(
            "status IN ('DRAFT', 'SCHEDULED', 'RUNNING', 'PAUSED', 'COMPLETED', 'CANCELED')", name="known_status"
        ),
        sa.CheckConstraint("trigger IN ('SCHEDULED', 'SEGMENT_ENTRY', 'EVENT')", name="known_trigger"),
        sa.CheckConstraint("channel IN ('IN_APP', 'EMAIL', 'WEBHOOK')", name="known_channel"),
        sa.CheckConstraint("reward_type IN ('NONE', 'TOKEN', 'POINTS', 'COUPON', 'OFFER')", name="known_reward_type"),
        sa.CheckConstraint("control_group_percent BETWEEN 0 AND 50", name="control_group_percent_range"),
        sa.CheckConstraint("end_at IS NULL OR end_at > start_at", name="ends_after_start"),
        schema=S,
    )
    # The scheduler's and the triggers' look-ups touch only live campaigns.
    op.create_index(
        "ix_campaigns_live", "campaigns", ["status", "start_at"], schema=S,
        postgresql_where=sa.text("status IN ('SCHEDULED', 'RUNNING', 'PAUSED')"),
    )
    # Every change, kept after the campaign (a deleted draft leaves its history).
    op.create_table(
        "campaign_changes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text),
        sa.Column("changed_by", sa.Text, nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("detail", JSONB, nullable=False, server_default=EMPTY),
        schema=S,
    )
    op.create_index("ix_campaign_changes_campaign_id", "campaign_changes", ["campaign_id", "id"], schema=S)
    # One row per (campaign, user), written when the user is targeted: the primary key is what makes
    # a delivery happen once. No foreign key: a 1M-user snapshot would check it per row, and only
    # drafts (which have no logs) can be deleted.
    op.create_table(
        "campaign_logs",
        sa.Column("campaign_id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("batch", sa.Integer),  # the snapshot batch (SCHEDULED); NULL for entry and event deliveries
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("processed_at", TS),  # held out, suppressed, failed or delivered at
        sa.Column("delivered_at", TS),
        sa.Column("opened_at", TS),
        sa.Column("redeemed_at", TS),
        sa.Column("offer", sa.Text),  # the chosen arm of an OFFER campaign
        sa.Column("selection_id", sa.Text),  # its reward selection, told the outcome once
        sa.Column("outcome_at", TS),
        sa.Column("coupon_id", sa.BigInteger),  # the personal coupon granted, for redemption attribution
        sa.Column("meta_json", JSONB, nullable=False, server_default=EMPTY),
        sa.CheckConstraint(
            "status IN ('PENDING', 'HELD_OUT', 'SUPPRESSED', 'SENDING', 'DELIVERED', 'FAILED', 'CANCELED')",
            name="known_status",
        ),
        schema=S,
    )
    op.create_index(
        "ix_campaign_logs_pending", "campaign_logs", ["campaign_id", "batch"], schema=S,
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    # Attribution: a purchase looks up the buyer's recent, unconverted deliveries and hold-outs.
    op.create_index(
        "ix_campaign_logs_convertible", "campaign_logs", ["user_id", "processed_at"], schema=S,
        postgresql_where=sa.text("redeemed_at IS NULL AND status IN ('DELIVERED', 'SENDING', 'SUPPRESSED', 'FAILED', 'HELD_OUT')"),
    )
    op.create_index(
        "ix_campaign_logs_coupon", "campaign_logs", ["coupon_id"], schema=S,
        postgresql_where=sa.text("coupon_id IS NOT NULL AND redeemed_at IS NULL"),
    )
    op.create_index(
        "ix_campaign_logs_open_selections", "campaign_logs", ["processed_at"], schema=S,
        postgresql_where=sa.text("selection_id IS NOT NULL AND outcome_at IS NULL"),
    )
    # The snapshot's batches: one worker message each; the sweeper re-sends the ones left pending.
    op.create_table(
        "batches",
        sa.Column("campaign_id", sa.BigInteger, primary_key=True),
        sa.Column("batch", sa.Integer, primary_key=True),
        sa.Column("users", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'PENDING'")),
        sa.Column("enqueued_at", TS),
        sa.Column("done_at", TS),
        sa.CheckConstraint("status IN ('PENDING', 'DONE')", name="known_status"),
        schema=S,
    )
    op.create_index(
        "ix_batches_pending", "batches", ["campaign_id", "batch"], schema=S,
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    # E-mail and webhook messages committed with their reward, sent after the commit and retried
    # with backoff under the same delivery id until they succeed or give up.
    op.create_table(
        "sends",
        sa.Column("campaign_id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False, server_default=EMPTY),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text),
        # Set by each claim: only the claim still holding the row may settle it (a worker whose lease
        # ran out and was taken over changes nothing when it finally answers).
        sa.Column("claim_token", sa.Text),
        # The frequency-cap day this message was counted on (NULL: cap off), given back when it fails.
        sa.Column("cap_day", sa.Date),
        sa.Column("created_at", TS, nullable=False),
        schema=S,
    )
    op.create_index("ix_sends_next_attempt_at", "sends", ["next_attempt_at"], schema=S)
    op.create_table(
        "inbox_messages",
        sa.Column("id", UUID(as_uuid=False), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("read_at", TS),
        schema=S,
    )
    op.create_index("ix_inbox_messages_user_id", "inbox_messages", ["user_id", sa.text("created_at DESC"), "id"], schema=S)
    op.create_index(
        "ix_inbox_messages_unread", "inbox_messages", ["user_id"], schema=S, postgresql_where=sa.text("read_at IS NULL")
    )
    # Messages sent per user and day (CAMPAIGN_TIMEZONE), for the frequency cap.
    op.create_table(
        "daily_sends",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("sent", sa.Integer, nullable=False),
        schema=S,
    )
    op.create_table(
        "contacts",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("email", sa.Text),
        sa.Column("email_opt_in", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        schema=S,
    )
    # Each user's live cart, from CART_UPDATED and CHECKOUT events.
    op.create_table(
        "carts",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("cart_id", sa.Text),
        sa.Column("value", sa.BigInteger),
        sa.Column("currency", sa.Text),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),  # the event time of the cart's last event
        sa.Column("abandoned_at", TS),
        sa.Column("last_event_id", sa.Text, nullable=False),
        sa.CheckConstraint("state IN ('OPEN', 'CHECKED_OUT', 'EMPTY', 'ABANDONED')", name="known_state"),
        schema=S,
    )
    op.create_index(
        "ix_carts_open", "carts", ["updated_at"], schema=S, postgresql_where=sa.text("state = 'OPEN'")
    )


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS campaign CASCADE")
