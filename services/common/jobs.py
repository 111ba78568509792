"""Platform actors: the outbox relay and the scheduler's housekeeping."""

from __future__ import annotations

import dramatiq
import sqlalchemy as sa

from services.common import broker as _broker  # noqa: F401  (the broker is set before actors)
from services.common import db, outbox


@dramatiq.actor(actor_name="platform.relay_outboxes", queue_name="platform", max_retries=0, time_limit=60_000)
def relay_outboxes() -> None:
    """Publishes every outbox's pending events (safe to run concurrently: rows are claimed SKIP LOCKED)."""
    outbox.relay_all()


@dramatiq.actor(actor_name="platform.prune_schedule_ticks", queue_name="platform", max_retries=3)
def prune_schedule_ticks() -> None:
    """Forgets fired slots older than two days (a slot is only ever claimed around its own time)."""
    with db.transaction() as conn:
        conn.execute(sa.text("DELETE FROM platform.schedule_ticks WHERE slot < now() - interval '2 days'"))
