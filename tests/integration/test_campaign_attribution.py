"""Conversion attribution on a real database: purchases within a log's window (DELIVERED and HELD_OUT),
personal-coupon redemptions, and the outcomes reported once to the learning selection."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.campaign import delivery, triggers
from services.coupon import service as coupons
from services.coupon.domain import Spec
from services.reward import domain as reward_domain
from services.reward import selection
from tests.integration.campaign_delivery_support import make_campaign

ARMS = ["free_shipping", "five_percent", "double_points"]
GRACE = triggers.LATE_EVENT_GRACE


@pytest.fixture
def campaign(sql):
    made = []

    def create(**fields) -> int:
        start = datetime.now(UTC) - timedelta(days=10)
        made.append(make_campaign(sql, **{"reward_type": "NONE", "reward_value": {}, "trigger": "SEGMENT_ENTRY",
                                          "segment": f"SEG_{uuid.uuid4().hex[:8]}", "start_at": start, **fields}))
        return made[-1]

    yield create
    sql("UPDATE campaign.campaigns SET status = 'CANCELED' WHERE id = ANY(%(ids)s)", ids=made)


def add_log(sql, campaign_id: int, user_id: str, status: str, at: datetime, selection_id: str | None = None) -> None:
    """A settled log as delivery leaves it: delivered (processed_at = delivered_at) or held out."""
    sql(
        "INSERT INTO campaign.campaign_logs (campaign_id, user_id, status, created_at, processed_at, delivered_at, selection_id) "
        "VALUES (%(c)s, %(u)s, %(s)s, %(at)s, %(at)s, CASE WHEN %(s)s = 'DELIVERED' THEN %(at)s::timestamptz END, %(sel)s)",
        c=campaign_id, u=user_id, s=status, at=at, sel=selection_id,
    )


def purchase(user_id: str, at: datetime, event_id: str | None = None, kind: str = "PURCHASE") -> list[int]:
    return triggers.on_activity({"event_id": event_id or str(uuid.uuid4()), "user_id": user_id, "event_type": kind,
                                 "amount": 30_000, "currency": "KRW", "order_id": f"o-{uuid.uuid4().hex[:6]}",
                                 "occurred_at": at.isoformat()})


def redeemed(sql, campaign_id: int, user_id: str):
    return sql("SELECT redeemed_at FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND user_id = %(u)s",
               c=campaign_id, u=user_id)[0][0]


def new_user() -> str:
    return f"u-{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------------------------------------
# Purchases


def test_a_purchase_within_the_window_converts_every_handled_log_in_its_window(sql, campaign, user_id):
    """Delivered and held-out users, and (for the intent-to-treat rate) users the cap or the channel
    kept the message from."""
    day, hour = campaign(conversion_window_hours=24), campaign(conversion_window_hours=1)
    held, failed, later = campaign(conversion_window_hours=24), campaign(conversion_window_hours=24), campaign(conversion_window_hours=24)
    t = datetime.now(UTC) - timedelta(hours=1)
    add_log(sql, day, user_id, "DELIVERED", t - timedelta(hours=2))
    add_log(sql, hour, user_id, "DELIVERED", t - timedelta(hours=2))  # its 1-hour window has passed
    add_log(sql, held, user_id, "HELD_OUT", t - timedelta(hours=23, minutes=59))
    add_log(sql, failed, user_id, "FAILED", t - timedelta(hours=2))
    add_log(sql, later, user_id, "DELIVERED", t + timedelta(minutes=1))  # delivered after the purchase
    other = new_user()
    add_log(sql, day, other, "DELIVERED", t - timedelta(hours=2))

    assert purchase(user_id, t) == sorted([day, held, failed])
    assert [redeemed(sql, c, user_id) for c in (day, held, failed)] == [t, t, t]
    assert [redeemed(sql, c, user_id) for c in (hour, later)] == [None, None]
    assert redeemed(sql, day, other) is None


def test_without_its_own_window_a_campaign_uses_the_configured_one(sql, campaign, user_id, settings):
    window = timedelta(hours=settings.campaign_conversion_window_hours)
    inside, outside = campaign(), campaign()
    t = datetime.now(UTC)
    add_log(sql, inside, user_id, "DELIVERED", t - window + timedelta(minutes=1))
    add_log(sql, outside, user_id, "DELIVERED", t - window)  # the window's end is exclusive
    assert purchase(user_id, t) == [inside]


def test_late_repeated_purchases_and_refunds_do_not_move_or_undo_a_conversion(sql, campaign, user_id):
    cid = campaign(conversion_window_hours=24)
    t = datetime.now(UTC) - timedelta(hours=3)
    add_log(sql, cid, user_id, "DELIVERED", t - timedelta(hours=1))
    eid = str(uuid.uuid4())
    assert purchase(user_id, t, eid) == [cid]
    assert purchase(user_id, t, eid) == []  # the same event redelivered
    assert purchase(user_id, t - timedelta(minutes=30)) == []  # an earlier purchase recorded late
    assert purchase(user_id, t + timedelta(hours=1)) == []
    # A refund does not un-convert: the purchase happened within the window.
    purchase(user_id, t + timedelta(hours=2), kind="PURCHASE_REFUND")
    assert redeemed(sql, cid, user_id) == t


# ---------------------------------------------------------------------------------------------
# Coupon redemptions


def test_a_redeemed_personal_coupon_converts_its_log_and_a_rolled_back_one_does_not(sql, campaign):
    template = coupons.create_coupon(
        f"CAMP{uuid.uuid4().hex[:8].upper()}",
        Spec(type="BONUS_TOKEN", value=5, token_type="DICE_TOKEN", max_value=None, starts_at=None, expires_at=None,
             usage_limit=None, per_user_limit=1, segment=None, campaign=None, description="campaign coupon"),
        None, "test",
    )
    seg = f"SEG_{uuid.uuid4().hex[:8]}"
    cid = campaign(segment=seg, reward_type="COUPON", reward_value={"coupon_id": template.id},
                   message_template="Your code {coupon_code}")
    redeems, rolls_back, keeps = new_user(), new_user(), new_user()
    for u in (redeems, rolls_back, keeps):
        sql("INSERT INTO segmentation.user_segments (user_id, segment, updated_at) VALUES (%(u)s, %(s)s, now())", u=u, s=seg)
        triggers.on_segment_changed({"user_id": u, "to_segment": seg, "changed_at": datetime.now(UTC).isoformat()})
    delivery.deliver(cid)  # what the deliver_users messages the entries enqueued do
    logs = dict(sql("SELECT user_id, (meta_json->>'coupon_code') FROM campaign.campaign_logs WHERE campaign_id = %(c)s "
                    "AND status = 'DELIVERED' AND coupon_id IS NOT NULL", c=cid))
    assert set(logs) == {redeems, rolls_back, keeps}

    first = coupons.redeem(redeems, logs[redeems], "r-1")
    coupons.redeem(rolls_back, logs[rolls_back], "r-2")
    coupons.rollback(rolls_back, "r-2", "order canceled")
    assert triggers.attribute_coupon_redemptions() >= 1
    assert redeemed(sql, cid, redeems) == first.redemption.redeemed_at
    assert (redeemed(sql, cid, rolls_back), redeemed(sql, cid, keeps)) == (None, None)
    assert sql("SELECT count(*) FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND redeemed_at IS NOT NULL", c=cid) == [(1,)]
    # Running again changes nothing.
    triggers.attribute_coupon_redemptions()
    assert redeemed(sql, cid, redeems) == first.redemption.redeemed_at


# ---------------------------------------------------------------------------------------------
# Offer outcomes


def arm_counts(sql, campaign_id: int) -> tuple[int, int]:
    """Successes and failures over the campaign's context bucket (one bucket per campaign)."""
    return sql("SELECT coalesce(sum(successes), 0)::int, coalesce(sum(failures), 0)::int FROM reward.bandit_arms "
               "WHERE bucket = %(b)s", b=reward_domain.bucket({"campaign": str(campaign_id)}))[0]


def offer_log(sql, campaign_id: int, status: str, at: datetime) -> tuple[str, str]:
    user = new_user()
    chosen = selection.select(user, {"campaign": str(campaign_id)}, ARMS, request_id=f"campaign:{campaign_id}:{user}", now=at)
    add_log(sql, campaign_id, user, status, at, str(chosen.id))
    return user, str(chosen.id)


def converted(sql, selection_id: str):
    return sql("SELECT converted FROM reward.bandit_selections WHERE id = %(s)s::uuid", s=selection_id)[0][0]


def outcome_at(sql, campaign_id: int, user_id: str):
    return sql("SELECT outcome_at FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND user_id = %(u)s",
               c=campaign_id, u=user_id)[0][0]


def test_offer_outcomes_are_reported_once_true_on_conversion_and_false_after_the_window(sql, campaign):
    cid = campaign(conversion_window_hours=2)
    sent = datetime.now(UTC) - timedelta(hours=4)
    buyer, buyer_sel = offer_log(sql, cid, "DELIVERED", sent)
    idle, idle_sel = offer_log(sql, cid, "DELIVERED", sent)
    capped, capped_sel = offer_log(sql, cid, "SUPPRESSED", sent)  # chosen, then never sent

    purchase(buyer, sent + timedelta(hours=1))
    assert converted(sql, buyer_sel) is True and outcome_at(sql, cid, buyer) is not None
    assert arm_counts(sql, cid) == (1, 0)
    purchase(buyer, sent + timedelta(hours=1, minutes=5))  # another purchase: nothing more to report
    assert arm_counts(sql, cid) == (1, 0)
    # The capped user buys too: that counts for the intent-to-treat rate, but the offer they never
    # received is not credited with it.
    purchase(capped, sent + timedelta(hours=1))
    assert redeemed(sql, cid, capped) is not None and converted(sql, capped_sel) is None
    assert arm_counts(sql, cid) == (1, 0)

    # Before the window and its grace for late events have passed, the idle offer stays open.
    triggers.report_expired_offers(now=sent + timedelta(hours=2) + GRACE - timedelta(seconds=1))
    assert converted(sql, idle_sel) is None
    assert converted(sql, capped_sel) is None and outcome_at(sql, cid, capped) is not None  # closed unreported

    triggers.report_expired_offers(now=sent + timedelta(hours=2) + GRACE)
    assert (converted(sql, idle_sel), converted(sql, buyer_sel)) == (False, True)
    assert arm_counts(sql, cid) == (1, 1)
    first = outcome_at(sql, cid, idle)
    triggers.report_expired_offers(now=sent + timedelta(hours=9))
    assert arm_counts(sql, cid) == (1, 1) and outcome_at(sql, cid, idle) == first
    assert converted(sql, capped_sel) is None


def test_a_conversion_left_unreported_by_a_crash_is_reported_by_the_sweep(sql, campaign):
    cid = campaign(conversion_window_hours=2)
    sent = datetime.now(UTC) - timedelta(hours=1)
    user, sel = offer_log(sql, cid, "DELIVERED", sent)
    # The purchase's conversion committed, the process died before telling the selection.
    sql("UPDATE campaign.campaign_logs SET redeemed_at = %(t)s WHERE campaign_id = %(c)s", t=sent + timedelta(minutes=10), c=cid)
    out = triggers.report_expired_offers(now=sent + timedelta(minutes=20))
    assert out.converted >= 1
    assert converted(sql, sel) is True and arm_counts(sql, cid) == (1, 0)
    # A report already made (say, before the crash) is answered alike and moves nothing twice.
    triggers.report([(cid, user, sel)], True)
    assert arm_counts(sql, cid) == (1, 0)


def test_a_purchase_recorded_after_the_expiry_report_converts_the_log_but_the_selection_keeps_its_outcome(sql, campaign):
    cid = campaign(conversion_window_hours=2)
    sent = datetime.now(UTC) - timedelta(hours=6)
    user, sel = offer_log(sql, cid, "DELIVERED", sent)
    triggers.report_expired_offers(now=sent + timedelta(hours=2) + GRACE)
    assert converted(sql, sel) is False
    assert purchase(user, sent + timedelta(hours=1, minutes=59)) == [cid]  # within the window, recorded very late
    assert redeemed(sql, cid, user) == sent + timedelta(hours=1, minutes=59)
    assert converted(sql, sel) is False and arm_counts(sql, cid) == (0, 1)
