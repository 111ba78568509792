"""The one cron table of Engage. The scheduler process fires these; workers run them."""

from __future__ import annotations

from datetime import timedelta

from services.activity import actors as activity_actors
from services.segmentation import actors as segmentation_actors
from services.coupon import actors as coupon_actors
from services.loyalty import actors as loyalty_actors
from services.campaign import actors as campaign_actors
from services.common import jobs
from services.common.config import settings
from services.common.scheduler import Job


def jobs_table() -> list[Job]:
    return [
        Job("platform.relay_outboxes", jobs.relay_outboxes, every=timedelta(seconds=settings().outbox_relay_seconds)),
        Job("platform.prune_schedule_ticks", jobs.prune_schedule_ticks, cron="17 * * * *"),
        Job("activity.ensure_event_partitions", activity_actors.ensure_event_partitions, cron="0 3 * * *"),
        Job("segmentation.run_batch", segmentation_actors.run_batch, cron=settings().segment_run_cron),
        Job("coupon.expire_reservations", coupon_actors.expire_reservations, every=timedelta(seconds=30)),
        Job("coupon.prune_failed_attempts", coupon_actors.prune_failed_attempts, cron="23 * * * *"),
        Job("loyalty.settle_points", loyalty_actors.settle_points, cron="*/15 * * * *"),
        Job("loyalty.evaluate_tiers", loyalty_actors.evaluate_tiers, cron="10 0 * * *"),
        Job("loyalty.prune_gamification_events", loyalty_actors.prune_gamification_events, cron="35 2 * * *"),
        Job("loyalty.close_leaderboards", loyalty_actors.close_leaderboards, cron=settings().loyalty_leaderboard_close_cron),
        Job("loyalty.fold_leaderboard_bands", loyalty_actors.fold_leaderboard_bands, every=timedelta(minutes=1)),
        Job("loyalty.prune_referral_attempts", loyalty_actors.prune_referral_attempts, cron="41 * * * *"),
        Job("loyalty.prune_leaderboards", loyalty_actors.prune_leaderboards, cron="50 1 * * *"),
        Job("campaign.run_due", campaign_actors.run_due, every=timedelta(seconds=settings().campaign_scheduler_seconds)),
        Job("campaign.retry_sends", campaign_actors.retry_sends, every=timedelta(seconds=10)),
        Job("campaign.prune_daily_sends", campaign_actors.prune_daily_sends, cron="45 0 * * *"),
        Job("campaign.detect_abandoned_carts", campaign_actors.detect_abandoned_carts, every=timedelta(minutes=1)),
        Job("campaign.attribute_coupon_redemptions", campaign_actors.attribute_coupon_redemptions, every=timedelta(minutes=1)),
        Job("campaign.report_expired_offers", campaign_actors.report_expired_offers, every=timedelta(minutes=5)),
    ]
