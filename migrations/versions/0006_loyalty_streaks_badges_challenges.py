"""Loyalty: streaks, badges and challenges.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
S = "loyalty"
ZERO = sa.text("0")


def upgrade() -> None:
    op.create_table(
        "streaks",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("streak_type", sa.Text, primary_key=True),
        sa.Column("current_count", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("max_count", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("last_day", sa.Date),
        sa.Column("run_start", sa.Date),
        sa.Column("freezes", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("streak_type IN ('daily_visit', 'purchase')", name="ck_streaks_known_type"),
        sa.CheckConstraint("current_count >= 0 AND max_count >= current_count", name="ck_streaks_counts"),
        sa.Column("run_freezes_used", sa.Integer, nullable=False, server_default=ZERO),
        sa.CheckConstraint("freezes >= 0", name="ck_streaks_freezes_not_negative"),
        sa.CheckConstraint("run_freezes_used >= 0", name="ck_streaks_run_freezes_used_not_negative"),
        schema=S,
    )
    # Every active day counted, so a late event for an earlier day can rebuild the run.
    op.create_table(
        "streak_days",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("streak_type", sa.Text, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        # Freezes spent on the missed days just before this day (already paid: a rebuild never pays them again).
        sa.Column("bridged", sa.Integer, nullable=False, server_default=ZERO),
        sa.CheckConstraint("bridged >= 0", name="ck_streak_days_bridged_not_negative"),
        schema=S,
    )
    op.create_table(
        "gamification_events",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("outcome", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("processed_at", TS, nullable=False),
        schema=S,
    )
    # The retention sweep deletes by age.
    op.create_index("ix_gamification_events_processed_at", "gamification_events", ["processed_at"], schema=S)
    # What each order added to the counters, so a refund takes back its part.
    op.create_table(
        "gamification_orders",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("category", sa.Text),
        sa.Column("purchases", sa.Integer, nullable=False, server_default=ZERO),
        sa.Column("purchased", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("refunded", sa.BigInteger, nullable=False, server_default=ZERO),
        schema=S,
    )
    op.create_table(
        "user_counters",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("counter", sa.Text, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
        schema=S,
    )
    op.create_table(
        "badges",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("icon_url", sa.Text, nullable=False, server_default=""),
        sa.Column("condition_type", sa.Text, nullable=False),
        sa.Column("condition_value", JSONB, nullable=False),
        sa.Column("counter", sa.Text),
        sa.Column("target", sa.BigInteger, nullable=False),
        sa.Column("points_reward", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("is_hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.CheckConstraint(
            "condition_type IN ('first_purchase', 'review_count', 'streak', 'category', 'amount', 'collection', 'challenge')",
            name="ck_badges_known_condition",
        ),
        sa.CheckConstraint("target >= 1", name="ck_badges_target_positive"),
        sa.CheckConstraint("points_reward >= 0", name="ck_badges_points_not_negative"),
        sa.UniqueConstraint("code", name="uq_badges_code"),
        schema=S,
    )
    # An event evaluates only the badges of the counters it moved.
    op.create_index("ix_badges_counter", "badges", ["counter"], schema=S, postgresql_where=sa.text("counter IS NOT NULL"))
    op.create_table(
        "user_badges",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("badge_id", sa.BigInteger, sa.ForeignKey("loyalty.badges.id", name="fk_user_badges_badge_id_badges"), primary_key=True),
        sa.Column("earned_at", TS, nullable=False),
        sa.Column("event_id", sa.Text),
        sa.Column("order_id", sa.Text),
        schema=S,
    )
    op.create_index("ix_user_badges_recent", "user_badges", ["user_id", "earned_at"], schema=S)
    op.create_index("ix_user_badges_badge_id", "user_badges", ["badge_id"], schema=S)
    op.create_table(
        "challenges",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("challenge_type", sa.Text, nullable=False),
        sa.Column("target_value", JSONB, nullable=False),
        sa.Column("target", sa.BigInteger, nullable=False),
        sa.Column("category", sa.Text),
        sa.Column("reward", JSONB, nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.CheckConstraint(
            "challenge_type IN ('purchase_count', 'purchase_amount', 'category', 'streak')", name="ck_challenges_known_type"
        ),
        sa.CheckConstraint("target >= 1", name="ck_challenges_target_positive"),
        sa.CheckConstraint("end_date >= start_date", name="ck_challenges_window"),
        schema=S,
    )
    op.create_index("ix_challenges_running", "challenges", ["end_date", "start_date"], schema=S, postgresql_where=sa.text("is_active"))
    op.create_table(
        "user_challenges",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column(
            "challenge_id", sa.BigInteger, sa.ForeignKey("loyalty.challenges.id", name="fk_user_challenges_challenge_id_challenges"),
            primary_key=True,
        ),
        sa.Column("progress", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("joined_at", TS, nullable=False),
        sa.Column("completed_at", TS),
        sa.Column("claimed_at", TS),
        sa.Column("claim", JSONB),
        sa.Column("reversed_at", TS),
        sa.Column("clawback", JSONB),
        # Clawbacks so far: the next claim's and clawback's idempotency keys carry it, so a reward earned again pays again.
        sa.Column("reversals", sa.Integer, nullable=False, server_default=ZERO),
        sa.CheckConstraint("claimed_at IS NULL OR completed_at IS NOT NULL", name="ck_user_challenges_claim_after_completion"),
        schema=S,
    )
    op.create_index("ix_user_challenges_challenge_id", "user_challenges", ["challenge_id"], schema=S)
    # What each order added to a member's challenge, so a refund takes back that part.
    op.create_table(
        "challenge_orders",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("challenge_id", sa.BigInteger, primary_key=True),
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("amount", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("counted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(
            ["user_id", "challenge_id"], ["loyalty.user_challenges.user_id", "loyalty.user_challenges.challenge_id"],
            name="fk_challenge_orders_user_id_user_challenges",
        ),
        schema=S,
    )


def downgrade() -> None:
    for table in (
        "challenge_orders", "user_challenges", "challenges", "user_badges", "badges", "user_counters", "gamification_orders",
        "gamification_events", "streak_days", "streaks",
    ):
        op.drop_table(table, schema=S)
