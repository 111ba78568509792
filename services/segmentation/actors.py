"""Segmentation actors: the scheduled run, and re-evaluation when a user's activity changes."""

from __future__ import annotations

import logging

import dramatiq

from services.common import broker as _broker  # noqa: F401  (the broker is set before actors)
from services.common import events
from services.common.errors import FailedPrecondition
from services.segmentation import service

log = logging.getLogger("engage.segmentation")


@dramatiq.actor(actor_name="segmentation.run_batch", queue_name="segmentation", max_retries=3, time_limit=30 * 60_000)
def run_batch() -> None:
    """The daily run. Another run in progress means this slot's work is being done: nothing to retry."""
    try:
        service.run_batch(trigger="schedule")
    except FailedPrecondition as e:
        log.info("skipped: %s", e.message)


@events.subscriber("activity.recorded", actor_name="segmentation.on_activity_recorded", queue_name="segmentation", max_retries=10)
def on_activity_recorded(payload: dict) -> None:
    """Keeps the user's segment fresh within seconds of their activity. Idempotent: re-evaluating a
    user twice decides the same segment and writes nothing the second time."""
    service.reevaluate_users([payload["user_id"]])


@events.subscriber("activity.deposit_changed", actor_name="segmentation.on_deposit_changed", queue_name="segmentation", max_retries=10)
def on_deposit_changed(payload: dict) -> None:
    """Deposits decide VIP: re-evaluate the user as soon as an operator's upsert changed theirs."""
    service.reevaluate_users([payload["user_id"]])
