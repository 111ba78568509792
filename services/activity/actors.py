"""Activity actors."""

from __future__ import annotations

import dramatiq

from services.activity import service
from services.common import broker as _broker  # noqa: F401  (the broker is set before actors)


@dramatiq.actor(actor_name="activity.ensure_event_partitions", queue_name="activity", max_retries=5)
def ensure_event_partitions() -> None:
    """Creates the monthly partitions of activity.events three months ahead (idempotent)."""
    service.ensure_event_partitions()
