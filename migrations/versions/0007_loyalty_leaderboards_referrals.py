"""Loyalty: leaderboards, referrals and what the dashboard reads.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
S = "loyalty"


def upgrade() -> None:
    # Per (period, member) purchase totals, kept by each order event's counted-spend change.
    op.create_table(
        "leaderboard_totals",
        sa.Column("period", sa.Text, primary_key=True),  # MONTHLY or WEEKLY
        sa.Column("period_start", sa.Date, primary_key=True),
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("reached_at", TS, nullable=False),
        sa.CheckConstraint("total >= 0", name="ck_leaderboard_totals_total_not_negative"),
        sa.CheckConstraint("period IN ('MONTHLY', 'WEEKLY')", name="ck_leaderboard_totals_period_known"),
        schema=S,
    )
    # The ranking order: the top 100 is the first 100 entries, a member's rank one count over it.
    op.create_index(
        "ix_leaderboard_totals_rank",
        "leaderboard_totals",
        ["period", "period_start", sa.text("total DESC"), "reached_at", "user_id"],
        schema=S,
        postgresql_where=sa.text("total > 0"),
    )
    # The rank ladder: ranked members per band of totals (three significant digits, so a few
    # thousand bands at most), so a member's rank sums the bands above theirs and counts only
    # inside their own band. Changes are appended as deltas (no hot counter rows in the event
    # transactions) and folded into the bands every minute; readers sum both.
    op.execute(
        """
        CREATE FUNCTION loyalty.leaderboard_band_unit(total bigint) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
          AS $$ SELECT CASE WHEN total < 1000 THEN 1 ELSE power(10::numeric, length(total::text) - 3)::bigint END $$;
        CREATE FUNCTION loyalty.leaderboard_band(total bigint) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
          AS $$ SELECT CASE WHEN total <= 0 THEN NULL ELSE total - total % loyalty.leaderboard_band_unit(total) END $$;
        """
    )
    op.create_table(
        "leaderboard_bands",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("period_start", sa.Date, primary_key=True),
        sa.Column("band", sa.BigInteger, primary_key=True),
        sa.Column("members", sa.BigInteger, nullable=False),
        schema=S,
    )
    op.create_table(
        "leaderboard_band_deltas",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("band", sa.BigInteger, nullable=False),
        sa.Column("delta", sa.Integer, nullable=False),
        schema=S,
    )
    op.create_index("ix_leaderboard_band_deltas_band", "leaderboard_band_deltas", ["period", "period_start", "band"], schema=S)
    op.create_table(
        "leaderboard_closes",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("period_start", sa.Date, primary_key=True),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("entries", sa.BigInteger, nullable=False),
        sa.Column("closed_at", TS, nullable=False),
        schema=S,
    )
    op.create_table(
        "leaderboard_snapshots",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("period_start", sa.Date, primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),  # 1.. in ranking order (ties by reached_at)
        sa.Column("rank", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("reached_at", TS, nullable=False),
        sa.UniqueConstraint("period", "period_start", "user_id", name="uq_leaderboard_snapshots_member"),
        schema=S,
    )
    op.execute(
        """
        CREATE FUNCTION loyalty.snapshot_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '%.% is immutable: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE TRIGGER leaderboard_snapshots_immutable BEFORE UPDATE OR DELETE ON loyalty.leaderboard_snapshots
          FOR EACH ROW EXECUTE FUNCTION loyalty.snapshot_is_immutable();
        CREATE TRIGGER leaderboard_closes_immutable BEFORE UPDATE OR DELETE ON loyalty.leaderboard_closes
          FOR EACH ROW EXECUTE FUNCTION loyalty.snapshot_is_immutable();
        CREATE TRIGGER leaderboard_snapshots_no_truncate BEFORE TRUNCATE ON loyalty.leaderboard_snapshots
          FOR EACH STATEMENT EXECUTE FUNCTION loyalty.snapshot_is_immutable();
        CREATE TRIGGER leaderboard_closes_no_truncate BEFORE TRUNCATE ON loyalty.leaderboard_closes
          FOR EACH STATEMENT EXECUTE FUNCTION loyalty.snapshot_is_immutable();
        """
    )
    # A closed period's snapshot is final: no row may be added once its claim exists (the closer
    # copies first and claims last). Per statement over the inserted rows, so a million-row copy
    # pays one join, not a million look-ups.
    op.execute(
        """
        CREATE FUNCTION loyalty.snapshot_period_is_open() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE closed record;
        BEGIN
          SELECT c.period, c.period_start INTO closed
          FROM (SELECT DISTINCT period, period_start FROM added) a
          JOIN loyalty.leaderboard_closes c ON c.period = a.period AND c.period_start = a.period_start
          LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'loyalty.leaderboard_snapshots is immutable: the % period starting % is closed', closed.period, closed.period_start
              USING ERRCODE = 'restrict_violation';
          END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER leaderboard_snapshots_closed_period AFTER INSERT ON loyalty.leaderboard_snapshots
          REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION loyalty.snapshot_period_is_open();
        """
    )

    op.create_table(
        "referral_codes",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("code", name="uq_referral_codes_code"),
        schema=S,
    )
    op.create_table(
        "referrals",
        sa.Column("referee_id", sa.Text, primary_key=True),  # a member attaches one code, once
        sa.Column("referrer_id", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("attached_at", TS, nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default="ATTACHED"),
        sa.Column("order_id", sa.Text),
        sa.Column("first_purchase", sa.BigInteger),
        sa.Column("qualified_at", TS),
        sa.Column("reward_month", sa.Date),
        sa.Column("release_at", TS),
        sa.Column("reversed_at", TS),
        sa.Column("referrer_points", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("referee_points", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("referrer_capped", sa.Boolean, nullable=False, server_default=sa.false()),
        # Random, drawn when the referral pays: the `order_id` of both reward lots, so the members'
        # ledgers never name the referee or their order.
        sa.Column("reward_ref", sa.Text),
        sa.CheckConstraint("referee_id <> referrer_id", name="ck_referrals_not_self"),
        sa.CheckConstraint("state IN ('ATTACHED', 'QUALIFIED', 'NOT_QUALIFIED', 'REVERSED')", name="ck_referrals_state_known"),
        schema=S,
    )
    op.create_index("ix_referrals_referrer", "referrals", ["referrer_id", sa.text("attached_at DESC"), "referee_id"], schema=S)
    op.create_index(
        "ix_referrals_rewarded", "referrals", ["referrer_id", "reward_month"], schema=S,
        postgresql_where=sa.text("state = 'QUALIFIED' AND referrer_points > 0"),
    )
    op.create_table(
        "referral_attempts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("attempted_at", TS, nullable=False),
        schema=S,
    )
    op.create_index("ix_referral_attempts_user", "referral_attempts", ["user_id", "attempted_at"], schema=S)
    # Refunds processed before any purchase of their order (queues reorder events), with the time
    # they were made: a referral counts only those made inside the clawback window of the purchase.
    op.create_table(
        "early_refunds",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        schema=S,
    )


def downgrade() -> None:
    for table in ("early_refunds", "referral_attempts", "referrals", "referral_codes", "leaderboard_snapshots", "leaderboard_closes",
                  "leaderboard_band_deltas", "leaderboard_bands", "leaderboard_totals"):
        op.drop_table(table, schema=S)
    op.execute("DROP FUNCTION loyalty.snapshot_is_immutable()")
    op.execute("DROP FUNCTION loyalty.snapshot_period_is_open()")
    op.execute("DROP FUNCTION loyalty.leaderboard_band(bigint)")
    op.execute("DROP FUNCTION loyalty.leaderboard_band_unit(bigint)")
