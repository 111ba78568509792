"""Campaign triggers on a real database: SEGMENT_ENTRY deliveries (called directly, and once through a
real worker on the broker), cart events from Activity, and cart-abandonment recovery with an offer
chosen by the learning selection. Time moves through `now` parameters and event times, never sleeps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import dramatiq
import pytest
from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as pb
from google.protobuf import timestamp_pb2

from services.campaign import actors, admin, delivery, domain, triggers
from services.reward import domain as reward_domain
from tests.integration.campaign_delivery_support import make_campaign, work
from tests.integration.grpc_failure import failure

T = 5
OFFERS = {"offers": [
    {"arm": "free_shipping", "label": "Free shipping", "reward_type": "NONE", "reward_value": {}},
    {"arm": "five_percent", "label": "5% off", "reward_type": "NONE", "reward_value": {}},
    {"arm": "double_points", "label": "2x points", "reward_type": "NONE", "reward_value": {}},
]}
ARMS = [o["arm"] for o in OFFERS["offers"]]


@pytest.fixture
def campaign(sql):
    """campaign(**fields) -> id; the campaigns a test made are canceled after it, so no other test's
    users enter them."""
    made = []

    def create(**fields) -> int:
        start = datetime.now(UTC) - timedelta(days=1)  # before the event times the tests use
        made.append(make_campaign(sql, **{"reward_type": "NONE", "reward_value": {}, "start_at": start, **fields}))
        return made[-1]

    yield create
    sql("UPDATE campaign.campaigns SET status = 'CANCELED' WHERE id = ANY(%(ids)s)", ids=made)


def entry(user_id: str, segment: str, at: datetime, from_segment: str | None = None) -> dict:
    """A segmentation.changed payload as the relay publishes it (times as ISO strings)."""
    return {"change_id": str(uuid.uuid4()), "user_id": user_id, "from_segment": from_segment, "to_segment": segment,
            "rule_id": 1, "run_id": None, "changed_at": at.isoformat()}


def cart_event(user_id: str, kind: str, at: datetime, amount: int | None = None, cart_id: str | None = "cart-1") -> dict:
    """An activity.recorded payload of a cart event or purchase."""
    return {"event_id": str(uuid.uuid4()), "user_id": user_id, "event_type": kind, "amount": amount,
            "currency": "KRW" if amount is not None else None, "order_id": cart_id, "occurred_at": at.isoformat()}


def log_of(sql, campaign_id: int, user_id: str):
    rows = sql("SELECT status, offer, selection_id, meta_json, batch FROM campaign.campaign_logs "
               "WHERE campaign_id = %(c)s AND user_id = %(u)s", c=campaign_id, u=user_id)
    return rows[0] if rows else None


def inbox(sql, campaign_id: int, user_id: str) -> list[str]:
    return [r[0] for r in sql("SELECT body FROM campaign.inbox_messages WHERE campaign_id = %(c)s AND user_id = %(u)s",
                              c=campaign_id, u=user_id)]


def cart(sql, user_id: str):
    rows = sql("SELECT state, value, cart_id, updated_at, abandoned_at FROM campaign.carts WHERE user_id = %(u)s", u=user_id)
    return rows[0] if rows else None


def segment() -> str:
    return f"SEG_{uuid.uuid4().hex[:8]}"


def join(sql, user_id: str, seg: str) -> None:
    """The user's current segment, as segmentation keeps it (one per user)."""
    sql("INSERT INTO segmentation.user_segments (user_id, segment, updated_at) VALUES (%(u)s, %(s)s, now()) "
        "ON CONFLICT (user_id) DO UPDATE SET segment = excluded.segment", u=user_id, s=seg)


def deliver(*campaign_ids: int) -> None:
    """What the deliver_users messages the triggers enqueue do, run here instead of on a worker."""
    for cid in campaign_ids:
        delivery.deliver(cid)


# ---------------------------------------------------------------------------------------------
# SEGMENT_ENTRY


def test_a_user_entering_the_segment_gets_the_campaign_once(sql, campaign, user_id):
    seg = segment()
    cid = campaign(trigger="SEGMENT_ENTRY", segment=seg, message_template="Welcome {user_id} to {campaign_name}")
    now = datetime.now(UTC)
    join(sql, user_id, seg)
    assert triggers.on_segment_changed(entry(user_id, seg, now)) == [cid]
    # The events queue only targets: delivery is a deliver_users message for the campaign workers.
    status, _, _, meta, batch = log_of(sql, cid, user_id)
    assert (status, batch, meta["trigger"]) == ("PENDING", None, "SEGMENT_ENTRY")
    assert inbox(sql, cid, user_id) == []
    deliver(cid)
    assert log_of(sql, cid, user_id)[0] == "DELIVERED"
    assert len(inbox(sql, cid, user_id)) == 1
    # The same message again, and a later second entry (after leaving), deliver nothing more.
    assert triggers.on_segment_changed(entry(user_id, seg, now)) == []
    assert triggers.on_segment_changed(entry(user_id, seg, now + timedelta(hours=1), from_segment="OTHER")) == []
    deliver(cid)
    assert len(inbox(sql, cid, user_id)) == 1


def test_entries_before_the_start_after_the_end_into_other_segments_or_already_left_are_ignored(sql, campaign):
    seg = segment()
    start = datetime.now(UTC) - timedelta(hours=1)
    cid = campaign(trigger="SEGMENT_ENTRY", segment=seg, start_at=start, end_at=start + timedelta(hours=2))
    early, late, elsewhere, left = (f"u-{uuid.uuid4().hex[:10]}" for _ in range(4))
    for u in (early, late, left):
        join(sql, u, seg)
    join(sql, elsewhere, segment())
    assert triggers.on_segment_changed(entry(early, seg, start - timedelta(seconds=1))) == []
    assert triggers.on_segment_changed(entry(late, seg, start + timedelta(hours=2))) == []
    assert triggers.on_segment_changed(entry(elsewhere, segment(), start + timedelta(minutes=5))) == []
    # The user entered, then left again before the change was processed: they are no longer a member.
    join(sql, left, segment())
    assert triggers.on_segment_changed(entry(left, seg, start + timedelta(minutes=5))) == []
    assert sql("SELECT count(*) FROM campaign.campaign_logs WHERE campaign_id = %(c)s", c=cid) == [(0,)]
    # Within the window, as a member, it does target.
    inside = f"u-{uuid.uuid4().hex[:10]}"
    join(sql, inside, seg)
    assert triggers.on_segment_changed(entry(inside, seg, start + timedelta(minutes=5))) == [cid]


def test_entries_while_the_campaign_is_paused_wait_for_its_resume(sql, campaign, user_id):
    seg = segment()
    cid = campaign(trigger="SEGMENT_ENTRY", segment=seg, status="PAUSED")
    join(sql, user_id, seg)
    assert triggers.on_segment_changed(entry(user_id, seg, datetime.now(UTC))) == []  # nothing enqueued while paused
    assert log_of(sql, cid, user_id)[0] == "PENDING"
    deliver(cid)
    assert log_of(sql, cid, user_id)[0] == "PENDING" and inbox(sql, cid, user_id) == []
    sql("UPDATE campaign.campaigns SET status = 'RUNNING' WHERE id = %(c)s", c=cid)
    deliver(cid)
    assert log_of(sql, cid, user_id)[0] == "DELIVERED" and len(inbox(sql, cid, user_id)) == 1


def test_every_matching_campaign_targets_the_entering_user_and_the_control_group_is_held_out(sql, campaign):
    seg = segment()
    treated = campaign(trigger="SEGMENT_ENTRY", segment=seg)
    control = campaign(trigger="SEGMENT_ENTRY", segment=seg, control_group_percent=50)
    users = [f"ctl-{uuid.uuid4().hex[:8]}-{i}" for i in range(40)]
    now = datetime.now(UTC)
    for u in users:
        join(sql, u, seg)
        triggers.on_segment_changed(entry(u, seg, now))
    deliver(treated, control)
    assert sql("SELECT count(*) FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND status = 'DELIVERED'", c=treated) == [(40,)]
    held = {u for (u,) in sql("SELECT user_id FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND status = 'HELD_OUT' "
                              "AND processed_at IS NOT NULL", c=control)}
    # The same deterministic bucket as the snapshot's control group; held-out users get no message.
    assert held == {u for u in users if domain.control_bucket(control, u) < 50}
    assert 0 < len(held) < 40
    assert sql("SELECT count(*) FROM campaign.inbox_messages WHERE campaign_id = %(c)s AND user_id = ANY(%(h)s)",
               c=control, h=list(held)) == [(0,)]


def test_a_segment_entry_is_delivered_by_real_workers_once_despite_a_duplicate_message(sql, campaign, user_id):
    seg = segment()
    cid = campaign(trigger="SEGMENT_ENTRY", segment=seg)
    join(sql, user_id, seg)
    payload = entry(user_id, seg, datetime.now(UTC))
    actors.on_segment_changed.send(payload)
    actors.on_segment_changed.send(payload)  # at-least-once delivery: the same change twice

    def done() -> bool:
        return sql("SELECT count(*) FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND status = 'DELIVERED'", c=cid) == [(1,)]

    # The events queue targets and enqueues; the campaign queue delivers.
    assert work({"campaign_events", "campaign"}, done, seconds=60)
    work({"campaign_events", "campaign"}, lambda: False, seconds=1.5)  # let the duplicate be processed too
    assert len(inbox(sql, cid, user_id)) == 1


# ---------------------------------------------------------------------------------------------
# Cart events from Activity


def stored_payload(sql, event_id: str) -> dict:
    """The activity.recorded payload the relay builds for this event (same columns as CLAIM_OUTBOX)."""
    return sql(
        "SELECT jsonb_build_object('event_id', event_id, 'user_id', user_id, 'event_type', event_type, 'value', value, "
        "'amount', amount, 'currency', currency, 'category', category, 'order_id', order_id, 'meta', meta, "
        "'occurred_at', occurred_at, 'recorded_at', recorded_at, 'recorded_by', recorded_by) "
        "FROM activity.events WHERE event_id = %(e)s", e=event_id,
    )[0][0]


def test_a_backend_sends_cart_events_that_reach_the_cart_but_not_the_purchase_counters(activity, as_user, sql, user_id):
    svc = as_user("shop-backend", "service")
    eid = str(uuid.uuid4())
    when = timestamp_pb2.Timestamp()
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    when.FromDatetime(at)
    activity.RecordActivity(pb.RecordActivityRequest(user_id=user_id, event_type=a.CART_UPDATED, event_id=eid, amount=45_000,
                                                     order_id="cart-77", occurred_at=when), metadata=svc, timeout=T)
    checkout = str(uuid.uuid4())
    activity.RecordActivity(pb.RecordActivityRequest(user_id=user_id, event_type=a.CHECKOUT, event_id=checkout), metadata=svc, timeout=T)
    got = activity.GetUserActivity(pb.GetUserActivityRequest(user_id=user_id), metadata=svc, timeout=T).activity
    assert (got.purchase_count, got.purchase_total) == (0, 0)
    assert got.HasField("last_active_at")

    triggers.on_activity(stored_payload(sql, eid))
    assert cart(sql, user_id)[:4] == ("OPEN", 45_000, "cart-77", at)
    assert sql("SELECT currency FROM campaign.carts WHERE user_id = %(u)s", u=user_id) == [("KRW",)]
    triggers.on_activity(stored_payload(sql, checkout))
    assert cart(sql, user_id)[:3] == ("CHECKED_OUT", 45_000, "cart-77")


def test_only_trusted_callers_send_cart_events_and_a_cart_update_carries_its_value(activity, as_user, sql, user_id):
    for kind in (a.CART_UPDATED, a.CHECKOUT):
        code, reason, _ = failure(lambda: activity.RecordActivity(
            pb.RecordActivityRequest(event_type=kind, amount=1000, order_id="c"), metadata=as_user(user_id), timeout=T))
        assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "TRUSTED_CALLER_REQUIRED")
    svc = as_user("shop-backend", "service")
    code, _, fields = failure(lambda: activity.RecordActivity(
        pb.RecordActivityRequest(user_id=user_id, event_type=a.CART_UPDATED, order_id="c"), metadata=svc, timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and set(fields) == {"amount"}
    code, _, fields = failure(lambda: activity.RecordActivity(
        pb.RecordActivityRequest(user_id=user_id, event_type=a.CART_UPDATED, amount=10, category="shoes"), metadata=svc, timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and set(fields) == {"category"}
    assert sql("SELECT count(*) FROM activity.events WHERE user_id = %(u)s", u=user_id) == [(0,)]


def test_an_emptied_cart_may_carry_amount_0_but_money_that_moves_is_at_least_1(activity, as_user, sql, user_id):
    svc = as_user("shop-backend", "service")
    eid = str(uuid.uuid4())
    activity.RecordActivity(pb.RecordActivityRequest(user_id=user_id, event_type=a.CART_UPDATED, event_id=eid, amount=0,
                                                     order_id="cart-5"), metadata=svc, timeout=T)
    triggers.on_activity(stored_payload(sql, eid))
    assert cart(sql, user_id)[:3] == ("EMPTY", 0, "cart-5")
    checkout = activity.RecordActivity(pb.RecordActivityRequest(user_id=user_id, event_type=a.CHECKOUT, amount=0),
                                       metadata=svc, timeout=T)
    assert not checkout.duplicate
    for kind in (a.PURCHASE, a.PURCHASE_REFUND, a.CHARGE):
        code, _, fields = failure(lambda: activity.RecordActivity(
            pb.RecordActivityRequest(user_id=user_id, event_type=kind, amount=0, order_id="o-1" if kind != a.CHARGE else ""),
            metadata=svc, timeout=T))
        assert code == grpc.StatusCode.INVALID_ARGUMENT and fields == {"amount": "must be at least 1"}, kind
    code, _, fields = failure(lambda: activity.RecordActivities(pb.RecordActivitiesRequest(events=[
        pb.RecordActivityRequest(user_id=user_id, event_type=a.CART_UPDATED, amount=0),
        pb.RecordActivityRequest(user_id=user_id, event_type=a.PURCHASE, amount=0, order_id="o-2"),
    ]), metadata=svc, timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and fields == {"events[1].amount": "must be at least 1"}
    code, _, fields = failure(lambda: activity.RecordActivity(
        pb.RecordActivityRequest(user_id=user_id, event_type=a.CART_UPDATED, amount=-1), metadata=svc, timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and set(fields) == {"amount"}
    assert sql("SELECT event_type, amount FROM activity.events WHERE user_id = %(u)s ORDER BY event_type", u=user_id) == [
        ("CART_UPDATED", 0), ("CHECKOUT", 0)]


# ---------------------------------------------------------------------------------------------
# Cart abandonment


def test_an_idle_cart_is_recovered_once_with_an_offer_chosen_by_the_selection(sql, campaign, user_id):
    cid = campaign(trigger="EVENT", event="CART_ABANDONED", reward_type="OFFER", reward_value=OFFERS,
                   message_template="Still thinking? {offer} on your cart")
    t0 = datetime.now(UTC) - timedelta(hours=2)
    triggers.on_activity(cart_event(user_id, "CART_UPDATED", t0, amount=59_000, cart_id="cart-9"))

    triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=29))
    assert cart(sql, user_id)[0] == "OPEN" and log_of(sql, cid, user_id) is None

    out = triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=30))
    assert out.carts >= 1 and out.pending >= 1
    state, _, _, _, abandoned_at = cart(sql, user_id)
    assert (state, abandoned_at) == ("ABANDONED", t0 + timedelta(minutes=30))
    assert log_of(sql, cid, user_id)[0] == "PENDING"  # enqueued for the campaign workers, not delivered inline
    deliver(cid)
    status, offer, selection_id, meta, _ = log_of(sql, cid, user_id)
    assert status == "DELIVERED" and offer in ARMS
    assert (meta["trigger"], meta["cart_id"], meta["cart_value"]) == ("CART_ABANDONED", "cart-9", 59_000)
    label = next(o["label"] for o in OFFERS["offers"] if o["arm"] == offer)
    assert inbox(sql, cid, user_id) == [f"Still thinking? {label} on your cart"]
    # The learning selection recorded the choice among the campaign's arms, outcome still open.
    chosen = sql("SELECT arm, candidates, bucket, converted FROM reward.bandit_selections WHERE id = %(s)s::uuid", s=selection_id)
    assert chosen == [(offer, sorted(ARMS), reward_domain.bucket({"campaign": str(cid)}), None)]

    # Later runs, and the same cart abandoned again, recover nothing more.
    triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=31))
    triggers.on_activity(cart_event(user_id, "CART_UPDATED", t0 + timedelta(minutes=40), amount=10_000))
    triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=71))
    deliver(cid)
    assert cart(sql, user_id)[0] == "ABANDONED"
    assert len(inbox(sql, cid, user_id)) == 1
    assert sql("SELECT count(*) FROM reward.bandit_selections WHERE user_id = %(u)s", u=user_id) == [(1,)]


def test_a_checkout_or_purchase_before_the_idle_time_means_no_recovery(sql, campaign):
    cid = campaign(trigger="EVENT", event="CART_ABANDONED", message_template="Come back")
    t0 = datetime.now(UTC) - timedelta(hours=2)
    checks_out, buys, idle = (f"u-{uuid.uuid4().hex[:10]}" for _ in range(3))
    for u in (checks_out, buys, idle):
        triggers.on_activity(cart_event(u, "CART_UPDATED", t0, amount=20_000))
    triggers.on_activity(cart_event(checks_out, "CHECKOUT", t0 + timedelta(minutes=10), cart_id=None))
    triggers.on_activity(cart_event(buys, "PURCHASE", t0 + timedelta(minutes=12), amount=20_000, cart_id="o-1"))
    triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=45))
    deliver(cid)
    assert [cart(sql, u)[0] for u in (checks_out, buys, idle)] == ["CHECKED_OUT", "CHECKED_OUT", "ABANDONED"]
    # The checkout keeps the cart's id and value; the purchase's order id is not a cart id.
    assert cart(sql, buys)[1:3] == (20_000, "cart-1")
    logs = dict(sql("SELECT user_id, status FROM campaign.campaign_logs WHERE campaign_id = %(c)s", c=cid))
    assert logs == {idle: "DELIVERED"}


def test_a_newer_cart_update_resets_idleness_and_a_late_older_one_does_not(sql, campaign):
    cid = campaign(trigger="EVENT", event="CART_ABANDONED", message_template="Come back")
    t0 = datetime.now(UTC) - timedelta(hours=3)
    active, reordered, late_after_checkout = (f"u-{uuid.uuid4().hex[:10]}" for _ in range(3))

    triggers.on_activity(cart_event(active, "CART_UPDATED", t0, amount=1_000))
    triggers.on_activity(cart_event(active, "CART_UPDATED", t0 + timedelta(minutes=20), amount=3_000))
    triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=31))
    assert cart(sql, active)[:2] == ("OPEN", 3_000)

    # The newer update arrives first; the older one, delivered late, changes nothing.
    newer = cart_event(reordered, "CART_UPDATED", t0 + timedelta(minutes=20), amount=8_000, cart_id="new")
    triggers.on_activity(newer)
    triggers.on_activity(cart_event(reordered, "CART_UPDATED", t0, amount=5_000, cart_id="old"))
    triggers.on_activity(newer)  # a redelivered duplicate changes nothing either
    assert cart(sql, reordered)[:4] == ("OPEN", 8_000, "new", t0 + timedelta(minutes=20))

    # An update older than the checkout cannot reopen the cart.
    triggers.on_activity(cart_event(late_after_checkout, "CHECKOUT", t0 + timedelta(minutes=5)))
    triggers.on_activity(cart_event(late_after_checkout, "CART_UPDATED", t0, amount=2_000))
    assert cart(sql, late_after_checkout)[0] == "CHECKED_OUT"

    triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=49))
    assert [cart(sql, u)[0] for u in (active, reordered)] == ["OPEN", "OPEN"]
    triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=50))
    deliver(cid)
    assert [cart(sql, u)[0] for u in (active, reordered)] == ["ABANDONED", "ABANDONED"]
    logs = dict(sql("SELECT user_id, status FROM campaign.campaign_logs WHERE campaign_id = %(c)s", c=cid))
    assert logs == {active: "DELIVERED", reordered: "DELIVERED"}


def test_a_recovery_campaign_with_a_segment_reaches_only_its_members(sql, campaign):
    seg = segment()
    cid = campaign(trigger="EVENT", event="CART_ABANDONED", segment=seg, message_template="Come back")
    member, outsider = (f"u-{uuid.uuid4().hex[:10]}" for _ in range(2))
    sql("INSERT INTO segmentation.user_segments (user_id, segment, updated_at) VALUES (%(u)s, %(s)s, now())", u=member, s=seg)
    t0 = datetime.now(UTC) - timedelta(hours=1)
    for u in (member, outsider):
        triggers.on_activity(cart_event(u, "CART_UPDATED", t0, amount=5_000))
    triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=30))
    deliver(cid)
    assert [cart(sql, u)[0] for u in (member, outsider)] == ["ABANDONED", "ABANDONED"]
    assert dict(sql("SELECT user_id, status FROM campaign.campaign_logs WHERE campaign_id = %(c)s", c=cid)) == {member: "DELIVERED"}


def test_a_checkout_at_the_same_time_as_a_cart_update_closes_the_cart_whatever_the_order(sql, campaign):
    cid = campaign(trigger="EVENT", event="CART_ABANDONED", message_template="Come back")
    t0 = datetime.now(UTC) - timedelta(hours=2)
    users = [f"u-{uuid.uuid4().hex[:10]}" for _ in range(8)]
    for i, u in enumerate(users):
        closing = cart_event(u, "CHECKOUT" if i % 2 else "PURCHASE", t0, amount=7_000)
        update = cart_event(u, "CART_UPDATED", t0, amount=7_000)
        # Event ids are random: both orders of arrival, and both orders of id, are covered.
        closing["event_id"], update["event_id"] = sorted([closing["event_id"], update["event_id"]], reverse=i % 4 < 2)
        for event in ([closing, update] if i < 4 else [update, closing]):
            triggers.on_activity(event)
    assert {cart(sql, u)[0] for u in users} == {"CHECKED_OUT"}
    triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=45))
    assert sql("SELECT count(*) FROM campaign.campaign_logs WHERE campaign_id = %(c)s", c=cid) == [(0,)]


def test_an_emptied_cart_is_closed_and_never_abandoned(sql, campaign, user_id):
    cid = campaign(trigger="EVENT", event="CART_ABANDONED", message_template="Come back")
    t0 = datetime.now(UTC) - timedelta(hours=2)
    triggers.on_activity(cart_event(user_id, "CART_UPDATED", t0, amount=12_000))
    triggers.on_activity(cart_event(user_id, "CART_UPDATED", t0 + timedelta(minutes=5), amount=0))
    assert cart(sql, user_id)[:2] == ("EMPTY", 0)
    triggers.on_activity(cart_event(user_id, "CART_UPDATED", t0 + timedelta(minutes=1), amount=9_000))  # late, older
    assert cart(sql, user_id)[0] == "EMPTY"
    triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=60))
    assert cart(sql, user_id)[0] == "EMPTY" and log_of(sql, cid, user_id) is None
    # Filling it again opens it: that cart can be abandoned.
    triggers.on_activity(cart_event(user_id, "CART_UPDATED", t0 + timedelta(minutes=61), amount=3_000))
    assert cart(sql, user_id)[:2] == ("OPEN", 3_000)


def test_a_cart_abandoned_while_the_recovery_campaign_is_paused_is_recovered_after_the_resume(sql, campaign, user_id):
    cid = campaign(trigger="EVENT", event="CART_ABANDONED", message_template="Come back", status="PAUSED",
                   started_at=datetime.now(UTC) - timedelta(hours=3))
    t0 = datetime.now(UTC) - timedelta(hours=2)
    triggers.on_activity(cart_event(user_id, "CART_UPDATED", t0, amount=4_000))
    out = triggers.detect_abandoned_carts(now=t0 + timedelta(minutes=30))
    assert cart(sql, user_id)[0] == "ABANDONED"
    assert log_of(sql, cid, user_id)[0] == "PENDING" and out.targeted >= 1
    admin.resume(cid, "ops-ana")  # commits RUNNING, then requeues the pending entry/event logs

    def delivered() -> bool:
        return log_of(sql, cid, user_id)[0] == "DELIVERED"

    assert work({"campaign"}, delivered, seconds=60)
    assert inbox(sql, cid, user_id) == ["Come back"]



def test_only_cart_and_purchase_events_are_enqueued_for_campaigns():
    """The campaign subscriber of activity.recorded declares what it accepts: plays and visits are
    never put on its queue (no broker traffic for events it would ignore)."""
    import time

    from services.common import events

    broker = dramatiq.get_broker()
    if not hasattr(broker, "get_queue_message_counts"):
        pytest.skip("queue counts need the RabbitMQ broker")
    broker.declare_queue("campaign_events")
    broker.flush("campaign_events")
    for kind in ("ROULETTE_PLAY", "VISIT", "CART_UPDATED", "PURCHASE"):
        events.publish("activity.recorded", {"event_id": str(uuid.uuid4()), "user_id": "u-filter", "event_type": kind},
                       key=str(uuid.uuid4()))
    time.sleep(0.3)
    ready = broker.get_queue_message_counts("campaign_events")[0]
    broker.flush("campaign_events")
    assert ready == 2
