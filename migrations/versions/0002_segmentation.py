"""Segmentation: rules, current segments, history, runs; and from Activity, the user_facts read
contract and the outbox of deposit changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def upgrade() -> None:
    # Activity owns this view: one row per known user with the facts segment rules read. Other
    # services read it; none writes Activity's tables.
    op.execute(
        """
        CREATE VIEW activity.user_facts AS
        SELECT coalesce(ua.user_id, d.user_id) AS user_id,
               ua.last_login_at, ua.last_charge_at, ua.last_active_at, ua.first_seen_at,
               coalesce(d.deposit_amount, 0) AS deposit_amount,
               coalesce(ua.roulette_plays, 0) AS roulette_plays,
               coalesce(ua.dice_plays, 0) AS dice_plays,
               coalesce(ua.lottery_plays, 0) AS lottery_plays,
               coalesce(ua.total_play_duration, 0) AS total_play_duration,
               coalesce(ua.purchase_count, 0) AS purchase_count,
               coalesce(ua.purchase_total, 0) AS purchase_total
        FROM activity.user_activity ua
        FULL JOIN activity.external_deposits d ON d.user_id = ua.user_id
        """
    )
    # Deposit changes waiting to be published (activity.deposit_changed), so segments that depend on
    # deposit_amount are fresh within seconds of an operator's upsert.
    op.create_table(
        "deposit_outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("audit_id", sa.BigInteger, nullable=False),
        schema="activity",
    )
    # The same facts for a few listed users, through the primary keys (the view's FULL JOIN cannot
    # use them for a filter on the coalesced id: one user cost a scan of all, measured ~1 s at 1M).
    op.execute(
        """
        CREATE FUNCTION activity.user_facts_of(ids text[]) RETURNS SETOF activity.user_facts
        LANGUAGE sql STABLE AS $$
        SELECT u.user_id,
               ua.last_login_at, ua.last_charge_at, ua.last_active_at, ua.first_seen_at,
               coalesce(d.deposit_amount, 0), coalesce(ua.roulette_plays, 0), coalesce(ua.dice_plays, 0),
               coalesce(ua.lottery_plays, 0), coalesce(ua.total_play_duration, 0),
               coalesce(ua.purchase_count, 0), coalesce(ua.purchase_total, 0)
        FROM unnest(ids) AS u(user_id)
        LEFT JOIN activity.user_activity ua ON ua.user_id = u.user_id
        LEFT JOIN activity.external_deposits d ON d.user_id = u.user_id
        WHERE ua.user_id IS NOT NULL OR d.user_id IS NOT NULL
        $$
        """
    )
    op.execute("CREATE SCHEMA IF NOT EXISTS segmentation")
    op.create_table(
        "segment_rules",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("segment", sa.Text, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("condition", JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_by", sa.Text, nullable=False),
        schema="segmentation",
    )
    op.create_table(
        "rule_versions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("rule_id", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("before", JSONB),
        sa.Column("after", JSONB),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("changed_by", sa.Text, nullable=False),
        schema="segmentation",
    )
    op.create_index("ix_rule_versions_rule_id", "rule_versions", ["rule_id", "version"], schema="segmentation")
    op.create_table(
        "user_segments",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("segment", sa.Text, nullable=False),
        sa.Column("rule_id", sa.BigInteger),  # NULL: a built-in default decided
        sa.Column("rule_version", sa.Integer),
        sa.Column("updated_at", TS, nullable=False),
        schema="segmentation",
    )
    op.create_index("ix_user_segments_segment", "user_segments", ["segment", "user_id"], schema="segmentation")
    op.create_table(
        "segment_runs",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("users_evaluated", sa.BigInteger),
        sa.Column("changes", sa.BigInteger),
        sa.Column("counts", JSONB),
        sa.Column("error", sa.Text),
        schema="segmentation",
    )
    op.create_table(
        "segment_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("run_id", sa.BigInteger),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("from_segment", sa.Text),
        sa.Column("to_segment", sa.Text, nullable=False),
        sa.Column("rule_id", sa.BigInteger),
        sa.Column("changed_at", TS, nullable=False),
        schema="segmentation",
    )
    op.create_index("ix_segment_history_user_id", "segment_history", ["user_id", "changed_at"], schema="segmentation")
    # Segment changes waiting to be published (segmentation.changed); the relay reads the history row.
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("history_id", sa.BigInteger, nullable=False),
        schema="segmentation",
    )


def downgrade() -> None:
    op.execute("DROP SCHEMA segmentation CASCADE")
    op.drop_table("deposit_outbox", schema="activity")
    op.execute("DROP FUNCTION activity.user_facts_of(text[])")
    op.execute("DROP VIEW activity.user_facts")
