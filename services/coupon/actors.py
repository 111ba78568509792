"""Coupon actors: the sweep that gives back the uses of expired reservations, and the pruning of old
failed attempts. Both are set-based and safe to run twice or concurrently."""

from __future__ import annotations

import logging

import dramatiq

from services.common import broker as _broker  # noqa: F401  (the broker is set before actors)
from services.coupon import service

log = logging.getLogger("engage.coupon")


@dramatiq.actor(actor_name="coupon.expire_reservations", queue_name="coupon", max_retries=3, time_limit=5 * 60_000)
def expire_reservations() -> None:
    """Held reservations past their time stop counting at once (redeem and validate ignore them);
    this gives their uses back to the counters. Rows being redeemed or released are skipped."""
    n = service.expire_reservations()
    if n:
        log.info("expired reservations", extra={"fields": {"count": n}})


@dramatiq.actor(actor_name="coupon.prune_failed_attempts", queue_name="coupon", max_retries=3)
def prune_failed_attempts() -> None:
    """Only the last minute's failed attempts count; older ones are deleted hourly."""
    service.prune_failed_attempts()
