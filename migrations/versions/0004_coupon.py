"""Coupon: coupons with their counters, redemptions, per-user usage, reservations, generation
batches and the failed attempts the guessing limit counts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
S = "coupon"


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS coupon")
    op.create_table(
        "coupons",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("token_type", sa.Text, nullable=False),
        sa.Column("max_value", sa.BigInteger),
        sa.Column("starts_at", TS),
        sa.Column("expires_at", TS),
        sa.Column("usage_limit", sa.BigInteger),
        sa.Column("per_user_limit", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("segment", sa.Text),
        sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'ACTIVE'")),
        sa.Column("used_count", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("reserved_count", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("assigned_user_id", sa.Text),
        sa.Column("campaign", sa.Text),
        sa.Column("batch_id", sa.BigInteger),
        sa.Column("template_id", sa.BigInteger),
        sa.Column("issue_key", sa.Text),
        sa.Column("description", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.CheckConstraint("type IN ('PERCENTAGE', 'FIXED', 'FREE_SPIN', 'BONUS_TOKEN')", name="ck_coupons_known_type"),
        sa.CheckConstraint("status IN ('ACTIVE', 'DISABLED')", name="ck_coupons_known_status"),
        sa.CheckConstraint("used_count >= 0 AND reserved_count >= 0", name="ck_coupons_counts_not_negative"),
        # The backstop of the conditional UPDATE: no race can oversell a coupon.
        sa.CheckConstraint(
            "usage_limit IS NULL OR used_count + reserved_count <= usage_limit", name="ck_coupons_within_usage_limit"
        ),
        schema=S,
    )
    # Unique in any letter case; text_pattern_ops also serves prefix searches (LIKE 'abc%').
    op.execute("CREATE UNIQUE INDEX ux_coupons_code ON coupon.coupons (lower(code) text_pattern_ops)")
    op.create_index(
        "ux_coupons_issue_key", "coupons", ["issue_key"], unique=True, schema=S,
        postgresql_where=sa.text("issue_key IS NOT NULL"),
    )
    op.create_index(
        "ix_coupons_batch_id", "coupons", ["batch_id", "id"], schema=S, postgresql_where=sa.text("batch_id IS NOT NULL")
    )
    op.create_index(
        "ix_coupons_campaign", "coupons", ["campaign", "id"], schema=S, postgresql_where=sa.text("campaign IS NOT NULL")
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("coupon_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("token_type", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("ledger_entry_id", sa.BigInteger),
        sa.Column("reservation_id", sa.BigInteger),
        sa.Column("state", sa.Text, nullable=False, server_default=sa.text("'REDEEMED'")),
        sa.Column("redeemed_at", TS, nullable=False),
        sa.Column("rolled_back_at", TS),
        sa.Column("rollback_reason", sa.Text),
        sa.Column("rollback_entry_id", sa.BigInteger),
        sa.UniqueConstraint("user_id", "request_id", name="uq_coupon_redemptions_user_id_request_id"),
        sa.CheckConstraint("state IN ('REDEEMED', 'ROLLED_BACK')", name="ck_coupon_redemptions_known_state"),
        sa.CheckConstraint("amount > 0", name="ck_coupon_redemptions_amount_positive"),
        schema=S,
    )
    op.create_index("ix_coupon_redemptions_coupon_id", "coupon_redemptions", ["coupon_id", "id"], schema=S)
    op.create_index("ix_coupon_redemptions_user_id", "coupon_redemptions", ["user_id", "id"], schema=S)
    op.create_table(
        "user_usage",
        sa.Column("coupon_id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("used", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("reserved", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint("used >= 0 AND reserved >= 0", name="ck_user_usage_counts_not_negative"),
        schema=S,
    )
    op.create_table(
        "coupon_reservations",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("coupon_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default=sa.text("'HELD'")),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("closed_at", TS),
        sa.Column("redemption_id", sa.BigInteger),
        sa.UniqueConstraint("user_id", "request_id", name="uq_coupon_reservations_user_id_request_id"),
        sa.CheckConstraint(
            "state IN ('HELD', 'CONVERTED', 'RELEASED', 'EXPIRED')", name="ck_coupon_reservations_known_state"
        ),
        schema=S,
    )
    op.create_index(
        "ix_coupon_reservations_held", "coupon_reservations", ["expires_at"], schema=S,
        postgresql_where=sa.text("state = 'HELD'"),
    )
    op.create_index(
        "ix_coupon_reservations_held_coupon", "coupon_reservations", ["coupon_id", "expires_at"], schema=S,
        postgresql_where=sa.text("state = 'HELD'"),
    )
    op.create_table(
        "coupon_batches",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("prefix", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("campaign", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.UniqueConstraint("request_id", name="uq_coupon_batches_request_id"),
        schema=S,
    )
    op.create_table(
        "failed_attempts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("attempted_at", TS, nullable=False),
        schema=S,
    )
    op.create_index("ix_failed_attempts_user_id", "failed_attempts", ["user_id", "attempted_at"], schema=S)


def downgrade() -> None:
    op.execute("DROP SCHEMA coupon CASCADE")
