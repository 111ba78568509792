"""Loyalty: tiers (seeded with the five of the gamification design), members' standing and tier
history, spend per order and day, and points as lots under an append-only ledger.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
S = "loyalty"
ZERO = sa.text("0")

# The design's tiers: thresholds in KRW, display names as members read them.
SEED_TIERS = [
    ("BRONZE", "브론즈", 0, {"point_multiplier": 1.0, "free_shipping_threshold": 50000, "birthday_bonus": 0, "vip_support": False}),
    ("SILVER", "실버", 100_000, {"point_multiplier": 1.2, "free_shipping_threshold": 30000, "birthday_bonus": 0, "vip_support": False}),
    ("GOLD", "골드", 300_000, {"point_multiplier": 1.5, "free_shipping_threshold": 0, "birthday_bonus": 0, "vip_support": False}),
    ("PLATINUM", "플래티넘", 700_000, {"point_multiplier": 2.0, "free_shipping_threshold": 0, "birthday_bonus": 5000, "vip_support": False}),
    ("DIAMOND", "다이아몬드", 1_500_000, {"point_multiplier": 3.0, "free_shipping_threshold": 0, "birthday_bonus": 0, "vip_support": True}),
]


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS loyalty")
    tiers = op.create_table(
        "tiers",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("min_spend", sa.BigInteger, nullable=False),
        sa.Column("benefits", JSONB, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.CheckConstraint("min_spend >= 0", name="ck_tiers_min_spend_not_negative"),
        sa.UniqueConstraint("min_spend", name="uq_tiers_min_spend"),
        schema=S,
    )
    op.execute(
        sa.insert(tiers).values(
            [
                {"code": c, "display_name": n, "min_spend": m, "benefits": b, "created_at": sa.func.now(),
                 "created_by": "migration", "updated_at": sa.func.now(), "updated_by": "migration"}
                for c, n, m, b in SEED_TIERS
            ]
        )
    )
    op.create_table(
        "members",
        sa.Column("user_id", sa.Text, primary_key=True),
        # A tier members hold cannot be deleted, even by an admin racing an upgrade into it.
        sa.Column("tier_code", sa.Text, sa.ForeignKey("loyalty.tiers.code", name="fk_members_tier_code_tiers"), nullable=False),
        sa.Column("lifetime_spend", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("tier_since", TS, nullable=False),
        sa.Column("downgrade_at", TS),
        sa.Column("updated_at", TS, nullable=False),
        schema=S,
    )
    op.create_index("ix_members_tier_code", "members", ["tier_code"], schema=S)
    op.create_table(
        "tier_changes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("from_tier", sa.Text, nullable=False),
        sa.Column("to_tier", sa.Text, nullable=False),
        sa.Column("total_amount", sa.BigInteger, nullable=False),
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        schema=S,
    )
    op.create_index("ix_tier_changes_user_id", "tier_changes", ["user_id", "id"], schema=S)
    op.create_table(
        "spend_days",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        schema=S,
    )
    op.create_table(
        "orders",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("purchased", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("refunded", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("counted_spend", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("purchased_on", sa.Date),
        sa.Column("points_earned", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("points_settled", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("points_shortfall", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("points_charged", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("points_expired", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("updated_at", TS, nullable=False),
        schema=S,
    )
    op.create_table(
        "order_events",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("processed_at", TS, nullable=False),
        schema=S,
    )
    op.create_table(
        "accounts",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("balance", sa.BigInteger, nullable=False),
        # What refunds could not take back (the member had spent it): paid first from any later credit.
        sa.Column("debt", sa.BigInteger, nullable=False, server_default=ZERO),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("balance >= 0", name="ck_accounts_balance_not_negative"),
        sa.CheckConstraint("debt >= 0", name="ck_accounts_debt_not_negative"),
        schema=S,
    )
    op.create_table(
        "lots",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("remaining", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False, server_default=""),
        sa.Column("order_id", sa.Text),
        sa.Column("idempotency_key", sa.Text, nullable=False),
        sa.Column("available_at", TS, nullable=False),
        sa.Column("released_at", TS),
        sa.Column("expires_at", TS, nullable=False),
        # Set by the sweep that expired the lot: nothing is ever restored into it again.
        sa.Column("expired_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("points > 0", name="ck_lots_points_positive"),
        sa.CheckConstraint("remaining >= 0 AND remaining <= points", name="ck_lots_remaining_within_points"),
        sa.CheckConstraint("expires_at > available_at", name="ck_lots_expires_after_available"),
        sa.UniqueConstraint("idempotency_key", name="uq_lots_idempotency_key"),
        schema=S,
    )
    op.create_index("ix_lots_user_id", "lots", ["user_id", "id"], schema=S)
    # A member's spendable lots in spending order; the expiry and release sweeps' own queues.
    op.create_index("ix_lots_open", "lots", ["user_id", "expires_at", "id"], schema=S, postgresql_where=sa.text("remaining > 0"))
    op.create_index("ix_lots_order", "lots", ["user_id", "order_id"], schema=S, postgresql_where=sa.text("order_id IS NOT NULL"))
    op.create_index(
        "ix_lots_expiring", "lots", ["expires_at"], schema=S, postgresql_where=sa.text("remaining > 0 AND released_at IS NOT NULL")
    )
    op.create_index("ix_lots_held", "lots", ["available_at"], schema=S, postgresql_where=sa.text("remaining > 0 AND released_at IS NULL"))
    op.create_table(
        "ledger",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("delta", sa.BigInteger, nullable=False),
        sa.Column("balance_after", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False, server_default=""),
        sa.Column("meta", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("idempotency_key", sa.Text, nullable=False),
        sa.Column("lot_id", sa.BigInteger),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("delta <> 0", name="ck_ledger_delta_not_zero"),
        sa.CheckConstraint("balance_after >= 0", name="ck_ledger_balance_after_not_negative"),
        sa.UniqueConstraint("idempotency_key", name="uq_ledger_idempotency_key"),
        schema=S,
    )
    op.create_index("ix_ledger_user_id", "ledger", ["user_id", "id"], schema=S)
    # Append-only, as Reward's ledger: a correction is a new entry.
    op.execute(
        """
        CREATE FUNCTION loyalty.ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'loyalty.ledger is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON loyalty.ledger
          FOR EACH ROW EXECUTE FUNCTION loyalty.ledger_is_append_only();
        """
    )
    op.create_table(
        "lot_moves",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("lot_id", sa.BigInteger, sa.ForeignKey("loyalty.lots.id", name="fk_lot_moves_lot_id_lots"), nullable=False),
        sa.Column("entry_id", sa.BigInteger),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("points > 0", name="ck_lot_moves_points_positive"),
        schema=S,
    )
    op.create_index("ix_lot_moves_entry_id", "lot_moves", ["entry_id"], schema=S)
    op.create_index("ix_lot_moves_lot_id", "lot_moves", ["lot_id"], schema=S)


def downgrade() -> None:
    op.execute("DROP SCHEMA loyalty CASCADE")
