"""Reward: wallets and their append-only ledger, budgets, reward pools and draws, the learning
selector's posteriors and selections.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
S = "reward"
EMPTY = sa.text("'{}'::jsonb")


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS reward")
    op.create_table(
        "wallets",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("token_type", sa.Text, primary_key=True),
        sa.Column("balance", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
        schema=S,
    )
    op.create_table(
        "ledger",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("token_type", sa.Text, nullable=False),
        sa.Column("delta", sa.BigInteger, nullable=False),
        sa.Column("balance_after", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False, server_default=""),
        sa.Column("meta", JSONB, nullable=False, server_default=EMPTY),
        sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("delta <> 0", name="delta_not_zero"),
        sa.CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        schema=S,
    )
    op.create_index("ix_ledger_user_id", "ledger", ["user_id", "id"], schema=S)
    op.create_index("ix_ledger_created_at", "ledger", ["created_at"], schema=S)
    # Append-only: a correction is a new entry. The trigger stops an UPDATE or DELETE from any
    # client, including a hand-run one (TRUNCATE by the owner remains possible, deliberately).
    op.execute(
        """
        CREATE FUNCTION reward.ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'reward.ledger is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON reward.ledger
          FOR EACH ROW EXECUTE FUNCTION reward.ledger_is_append_only();
        """
    )
    # Claimed in the same transaction as the wallet change: a second sender of a key waits for the
    # first and finds it taken (see services/reward/wallet.py).
    op.create_table("ledger_keys", sa.Column("key", sa.Text, primary_key=True), schema=S)
    op.create_table(
        "budgets",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("owner_kind", sa.Text, nullable=False),
        sa.Column("owner_id", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("token_type", sa.Text),
        sa.Column("total_limit", sa.BigInteger),
        sa.Column("daily_limit", sa.BigInteger),
        sa.Column("spent_total", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.UniqueConstraint("owner_kind", "owner_id", name="uq_budgets_owner_kind"),
        sa.CheckConstraint("spent_total >= 0", name="spent_total_not_negative"),
        schema=S,
    )
    # The read contract other services use to skip the budget check of an owner without a budget
    # in the same round trip as their own look-up (a budget created meanwhile applies from the
    # next grant).
    op.execute(
        """
        CREATE FUNCTION reward.has_budget(kind text, owner text) RETURNS boolean LANGUAGE sql STABLE AS $$
          SELECT EXISTS (SELECT 1 FROM reward.budgets WHERE owner_kind = kind AND owner_id = owner)
        $$
        """
    )
    op.create_table(
        "budget_days",
        sa.Column("budget_id", sa.BigInteger, sa.ForeignKey("reward.budgets.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("spent", sa.BigInteger, nullable=False),
        sa.CheckConstraint("spent >= 0", name="spent_not_negative"),
        schema=S,
    )
    # What each grant counted against each budget (keyed by the grant's idempotency key), so a
    # rollback gives back exactly that.
    op.create_table(
        "budget_charges",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("budget_id", sa.BigInteger, sa.ForeignKey("reward.budgets.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("charged_at", TS, nullable=False),
        sa.Column("released_at", TS),
        schema=S,
    )
    op.create_table(
        "pools",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("segment", sa.Text),
        sa.Column("cost_token_type", sa.Text),
        sa.Column("cost_amount", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("pity_threshold", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("pity_item_id", sa.BigInteger),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("deleted_at", TS),
        schema=S,
    )
    op.create_index("uq_pools_name", "pools", ["name"], unique=True, schema=S, postgresql_where=sa.text("deleted_at IS NULL"))
    op.create_table(
        "pool_items",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("pool_id", sa.BigInteger, sa.ForeignKey("reward.pools.id"), nullable=False),
        sa.Column("reward_type", sa.Text, nullable=False),
        sa.Column("reward_value", JSONB, nullable=False),
        sa.Column("weight", sa.Integer, nullable=False),
        sa.Column("quantity", sa.BigInteger),
        sa.Column("initial_quantity", sa.BigInteger),
        sa.Column("meta", JSONB, nullable=False, server_default=EMPTY),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        sa.CheckConstraint("weight > 0", name="weight_positive"),
        schema=S,
    )
    op.create_index("ix_pool_items_pool_id", "pool_items", ["pool_id", "id"], schema=S)
    op.create_table(
        "draws",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("pool_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("item_id", sa.BigInteger, nullable=False),
        sa.Column("item", JSONB, nullable=False),
        sa.Column("odds", JSONB, nullable=False),
        sa.Column("pity", sa.Boolean, nullable=False),
        sa.Column("cost_entry_id", sa.BigInteger),
        sa.Column("reward_entry_id", sa.BigInteger),
        sa.Column("coupon_code", sa.Text),
        sa.Column("drawn_at", TS, nullable=False),
        sa.UniqueConstraint("user_id", "request_id", name="uq_draws_user_id"),
        schema=S,
    )
    op.create_index("ix_draws_pool_id", "draws", ["pool_id", "id"], schema=S)
    op.create_table(
        "pity_counters",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("pool_id", sa.BigInteger, primary_key=True),
        sa.Column("misses", sa.Integer, nullable=False),
        schema=S,
    )
    # Points won from pools, published as reward.points_awarded for Loyalty to post.
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("draw_id", sa.BigInteger, nullable=False),
        schema=S,
    )
    op.create_table(
        "bandit_arms",
        sa.Column("bucket", sa.Text, primary_key=True),
        sa.Column("arm", sa.Text, primary_key=True),
        sa.Column("successes", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("failures", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        schema=S,
    )
    op.create_table(
        "bandit_selections",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("request_id", sa.Text),
        sa.Column("bucket", sa.Text, nullable=False),
        sa.Column("arm", sa.Text, nullable=False),
        sa.Column("candidates", ARRAY(sa.Text), nullable=False),
        sa.Column("propensity", sa.Float, nullable=False),
        sa.Column("explored", sa.Boolean, nullable=False),
        sa.Column("selected_at", TS, nullable=False),
        sa.Column("converted", sa.Boolean),
        sa.Column("outcome_at", TS),
        sa.UniqueConstraint("user_id", "request_id", name="uq_bandit_selections_user_id"),
        schema=S,
    )
    op.create_index("ix_bandit_selections_bucket", "bandit_selections", ["bucket", "selected_at"], schema=S)


def downgrade() -> None:
    op.execute("DROP SCHEMA reward CASCADE")
