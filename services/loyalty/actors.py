"""Loyalty actors: purchases and refunds from Activity, points won in Reward pools, and the two
scheduled sweeps. Each is idempotent: events by their event or draw id, sweeps by state."""

from __future__ import annotations

import logging

import dramatiq

from services.common import broker as _broker  # noqa: F401  (the broker is set before actors)
from services.common import events
from services.loyalty import gamification, service

log = logging.getLogger("engage.loyalty")


@events.subscriber("activity.recorded", actor_name="loyalty.on_activity_recorded", queue_name="loyalty", max_retries=10)
def on_activity_recorded(payload: dict) -> None:
    """Purchases earn points and move tiers; refunds take their share back. Other events are not ours."""
    if payload.get("event_type") in service.ORDER_EVENTS and payload.get("order_id"):
        service.record_order_event(payload)


@events.subscriber("activity.recorded", actor_name="loyalty.on_activity_gamification", queue_name="loyalty", max_retries=10)
def on_activity_gamification(payload: dict) -> None:
    """Streaks, badges and challenges, once per event id (RecordActivity may have applied a visit
    or purchase already: this then finds it claimed). Other event types cost nothing."""
    if payload.get("event_type") in gamification.GAMIFIED_EVENTS and payload.get("user_id"):
        gamification.apply_event(payload)


@dramatiq.actor(actor_name="loyalty.prune_gamification_events", queue_name="loyalty", max_retries=3, time_limit=30 * 60_000)
def prune_gamification_events() -> None:
    """Daily: deletes event claims older than gamification.RETENTION (set-based batches)."""
    n = gamification.prune_events()
    if n:
        log.info("pruned gamification events", extra={"fields": {"events": n}})


@events.subscriber("reward.points_awarded", actor_name="loyalty.on_points_awarded", queue_name="loyalty", max_retries=10)
def on_points_awarded(payload: dict) -> None:
    """Points won from a Reward pool, posted once per draw."""
    service.record_pool_points(payload)


@dramatiq.actor(actor_name="loyalty.settle_points", queue_name="loyalty", max_retries=3, time_limit=5 * 60_000)
def settle_points() -> None:
    """Releases held purchase points and expires what is left of lots past their date (spends and
    reads already see both as of now; this keeps balances and the ledger current)."""
    n = service.settle_due_points()
    if n:
        log.info("settled points", extra={"fields": {"members": n}})


@dramatiq.actor(actor_name="loyalty.evaluate_tiers", queue_name="loyalty", max_retries=3, time_limit=30 * 60_000)
def evaluate_tiers() -> None:
    """Daily: rolling windows move, downgrade grace periods end, admins change thresholds."""
    n = service.evaluate_tiers()
    log.info("evaluated tiers", extra={"fields": {"changed": n}})


@dramatiq.actor(actor_name="loyalty.close_leaderboards", queue_name="loyalty", max_retries=5, time_limit=30 * 60_000)
def close_leaderboards() -> None:
    """Daily, after midnight in the platform timezone: snapshots the final standings of the months
    and weeks that ended (each once; a rerun or a second delivery copies nothing)."""
    from services.loyalty import leaderboards

    for c in leaderboards.close_due():
        if not c.already:
            log.info("closed leaderboard", extra={"fields": {"period": c.period, "period_start": c.period_start.isoformat(), "entries": c.entries}})


@dramatiq.actor(actor_name="loyalty.fold_leaderboard_bands", queue_name="loyalty", max_retries=3, time_limit=5 * 60_000)
def fold_leaderboard_bands() -> None:
    """Every minute: folds the rank ladder's appended deltas into its bands (reads are exact either
    way; folding keeps the deltas they sum few)."""
    from services.loyalty import leaderboards

    leaderboards.fold_bands()


@dramatiq.actor(actor_name="loyalty.prune_referral_attempts", queue_name="loyalty", max_retries=3, time_limit=5 * 60_000)
def prune_referral_attempts() -> None:
    """Hourly: deletes refused referral attempts older than the attempt window (one statement)."""
    from services.loyalty import referrals

    n = referrals.prune_attempts()
    if n:
        log.info("pruned referral attempts", extra={"fields": {"attempts": n}})


@dramatiq.actor(actor_name="loyalty.prune_leaderboards", queue_name="loyalty", max_retries=3, time_limit=30 * 60_000)
def prune_leaderboards() -> None:
    """Daily: deletes the live totals and rank ladder of closed periods older than
    LOYALTY_LEADERBOARD_RETAIN_MONTHS (their snapshots keep the final standings)."""
    from services.loyalty import leaderboards

    n = leaderboards.prune_closed()
    if n:
        log.info("pruned leaderboard totals", extra={"fields": {"totals": n}})
