"""Alembic environment: one history for all services, run under an advisory lock with timeouts.

Run through `engage migrate` (or services.common.migrate), which sets the database URL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from services.common.models import Base
import services.activity.models  # noqa: F401  (registers the tables on Base.metadata)
import services.segmentation.models  # noqa: F401
import services.reward.models  # noqa: F401
import services.coupon.models  # noqa: F401
import services.loyalty.models  # noqa: F401
import services.campaign.models  # noqa: F401

MIGRATION_LOCK = 7_201_118  # pg_advisory_lock key: one migrator at a time

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        conn.execute(sa.text("SET lock_timeout = '10s'"))
        conn.execute(sa.text("SET statement_timeout = '15min'"))
        conn.commit()
        try:
            context.configure(
                connection=conn,
                target_metadata=target_metadata,
                include_schemas=True,
                transaction_per_migration=True,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            conn.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `engage migrate`")
run_migrations_online()
