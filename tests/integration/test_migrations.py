"""The one Alembic history: upgrade head on an empty database, downgrade base, and up again."""

from __future__ import annotations

import uuid

import psycopg
from sqlalchemy.engine import make_url

from services.common import migrate
from services.common.config import libpq_url


def _tables(url: str) -> set[str]:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname IN ('activity', 'platform', 'dramatiq', 'segmentation', 'reward', 'coupon', 'loyalty', 'campaign')"
        ).fetchall()
    return {r[0] for r in rows}


def test_upgrade_downgrade_upgrade_on_an_empty_database(settings):
    name = f"engage_mig_{uuid.uuid4().hex[:8]}"
    admin = libpq_url(settings.database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(settings.database_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        tables = _tables(url)
        assert {"activity.user_activity", "activity.event_keys", "activity.outbox", "platform.schedule_ticks", "dramatiq.queue", "campaign.campaign_logs"} <= tables
        assert any(t.startswith("activity.events_2") for t in tables)  # monthly partitions exist
        migrate.downgrade(url, "base")
        assert _tables(url) == set()
        migrate.upgrade(url)
        assert _tables(url) == tables
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_event_partitions_are_created_ahead_idempotently(sql):
    from datetime import UTC, datetime

    from services.activity import service

    service.ensure_event_partitions(datetime(2031, 5, 17, tzinfo=UTC), months_ahead=2)
    assert service.ensure_event_partitions(datetime(2031, 5, 17, tzinfo=UTC), months_ahead=2) == 0
    names = {r[0] for r in sql("SELECT tablename FROM pg_tables WHERE schemaname = 'activity' AND tablename LIKE 'events_2031%%'")}
    assert names == {"events_2031_05", "events_2031_06", "events_2031_07"}


def test_a_partition_created_late_takes_its_rows_from_the_default_partition(sql):
    from datetime import UTC, datetime

    from services.activity import service

    # An event of a month with no partition yet lands in the default partition...
    sql(
        "INSERT INTO activity.events (event_id, occurred_at, user_id, event_type, recorded_at, recorded_by) "
        "VALUES (gen_random_uuid(), '2033-02-10T00:00:00Z', 'late', 'VISIT', now(), 'test')"
    )
    assert sql("SELECT count(*) FROM activity.events_default WHERE user_id = 'late'") == [(1,)]
    # ...and creating that month's partition later moves it there instead of failing.
    assert service.ensure_event_partitions(datetime(2033, 2, 1, tzinfo=UTC), months_ahead=0) == 1
    assert sql("SELECT count(*) FROM activity.events_default WHERE user_id = 'late'") == [(0,)]
    assert sql("SELECT count(*) FROM activity.events_2033_02 WHERE user_id = 'late'") == [(1,)]
    assert sql("SELECT count(*) FROM activity.events WHERE user_id = 'late'") == [(1,)]


def test_the_models_and_the_migrations_agree(settings):
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import services.activity.models  # noqa: F401
    import services.campaign.models  # noqa: F401
    import services.coupon.models  # noqa: F401
    import services.loyalty.models  # noqa: F401
    import services.reward.models  # noqa: F401
    import services.segmentation.models  # noqa: F401
    from services.common.config import sqlalchemy_url
    from services.common.models import Base

    def ours(obj, name, type_, reflected, compare_to):
        # Monthly partitions are made by a function, and the dramatiq schema belongs to the broker.
        if type_ == "table" and (name.startswith("events_") or getattr(obj, "schema", None) == "dramatiq"):
            return False
        return True

    engine = sa.create_engine(sqlalchemy_url(settings.database_url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_schemas": True, "include_object": ours, "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
