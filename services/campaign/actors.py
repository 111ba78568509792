"""Campaign actors (queue "campaign"): the scheduler's sweep, one message per snapshot batch or per
group of entry/event users, and the retry of channel sends. All of them are safe to run twice or
concurrently: the work is claimed in the database, never trusted to the message."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import dramatiq

from services.common import broker as _broker  # noqa: F401  (the broker is set before actors)
from services.campaign import delivery

log = logging.getLogger("engage.campaign")

QUEUE = "campaign"


@dramatiq.actor(actor_name="campaign.run_due", queue_name=QUEUE, max_retries=3, time_limit=10 * 60_000)
def run_due() -> None:
    done = delivery.run_due()
    if any(done.values()):
        log.info("campaign sweep", extra={"fields": done})


@dramatiq.actor(actor_name="campaign.deliver_batch", queue_name=QUEUE, max_retries=20, min_backoff=1_000,
                max_backoff=5 * 60_000, time_limit=20 * 60_000)
def deliver_batch(campaign_id: int, batch: int) -> None:
    """Delivers one snapshot batch; in quiet hours it comes back when the window ends."""
    out = delivery.deliver(campaign_id, batch=batch)
    if out.held_until is not None:
        delivery.hold(campaign_id, batch, out.held_until)
        delay = max(0, int((out.held_until - datetime.now(UTC)).total_seconds() * 1000)) + 1_000
        deliver_batch.send_with_options(args=(campaign_id, batch), delay=delay)


@dramatiq.actor(actor_name="campaign.deliver_users", queue_name=QUEUE, max_retries=20, min_backoff=1_000,
                max_backoff=5 * 60_000, time_limit=20 * 60_000)
def deliver_users(campaign_id: int, user_ids: list[str]) -> None:
    """Delivers entry/event users' pending logs (held ones are picked up again by the sweep)."""
    delivery.deliver(campaign_id, user_ids=user_ids)


@dramatiq.actor(actor_name="campaign.retry_sends", queue_name=QUEUE, max_retries=3, time_limit=20 * 60_000)
def retry_sends() -> None:
    """E-mails and webhooks due again (after a failure, or left claimed by a dead worker), chunk by
    chunk until none is due or the call's time budget (well inside the time limit) is spent; the
    next run, ten seconds later, goes on."""
    delivery.send_due(limit=100_000)


@dramatiq.actor(actor_name="campaign.prune_daily_sends", queue_name=QUEUE, max_retries=3)
def prune_daily_sends() -> None:
    """The frequency cap only reads today's counters: older days are dropped."""
    delivery.prune_daily_sends()


# --- triggers ---

from services.common import events  # noqa: E402
from services.campaign import triggers  # noqa: E402


# Events get their own queue: a backlog of activity events must not hold up delivery batches, nor a
# million-user campaign the cart events.
EVENTS_QUEUE = "campaign_events"


@events.subscriber("segmentation.changed", actor_name="campaign.on_segment_changed", queue_name=EVENTS_QUEUE, max_retries=10)
def on_segment_changed(payload: dict) -> None:
    """A user entered a segment: the SEGMENT_ENTRY campaigns of that segment target them, and their
    delivery is enqueued on the "campaign" queue (nothing is delivered or sent here)."""
    triggers.on_segment_changed(payload)


@events.subscriber("activity.recorded", actor_name="campaign.on_activity_recorded", queue_name=EVENTS_QUEUE, max_retries=10,
                   accepts=lambda payload: payload.get("event_type") in triggers.CART_EVENTS)
def on_activity_recorded(payload: dict) -> None:
    """Cart events keep the user's cart; a purchase ends it and converts recent deliveries (other
    event types are never enqueued for it, and on_activity ignores them anyway)."""
    triggers.on_activity(payload)


@dramatiq.actor(actor_name="campaign.detect_abandoned_carts", queue_name=QUEUE, max_retries=3, time_limit=10 * 60_000)
def detect_abandoned_carts() -> None:
    """Every minute: idle carts become abandoned and get their recovery campaign."""
    out = triggers.detect_abandoned_carts()
    if out.carts:
        log.info("abandoned carts", extra={"fields": out.__dict__})


@dramatiq.actor(actor_name="campaign.attribute_coupon_redemptions", queue_name=QUEUE, max_retries=3, time_limit=10 * 60_000)
def attribute_coupon_redemptions() -> None:
    """Every minute: delivered logs whose personal coupon was redeemed convert."""
    n = triggers.attribute_coupon_redemptions()
    if n:
        log.info("coupon redemptions attributed", extra={"fields": {"logs": n}})


@dramatiq.actor(actor_name="campaign.report_expired_offers", queue_name=QUEUE, max_retries=3, time_limit=10 * 60_000)
def report_expired_offers() -> None:
    """Every five minutes: offer selections learn the outcome of settled logs."""
    out = triggers.report_expired_offers()
    if out.converted or out.expired:
        log.info("offer outcomes reported", extra={"fields": out.__dict__})
