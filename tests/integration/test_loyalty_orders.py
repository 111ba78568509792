"""Purchases and refunds: points at the tier's multiplier, refunds taking their share back, tiers
moving with spend (upgrades at once, downgrades after a grace period, lifetime or rolling windows),
and the event path from ActivityService to the Loyalty actor, through a real broker too."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import dramatiq
import pytest
from dramatiq import Worker
from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as apb
from engage.loyalty.v1 import loyalty_pb2, loyalty_service_pb2_grpc
from engage.loyalty.v1 import loyalty_service_pb2 as pb

from services.common import outbox
from services.common.errors import AlreadyExists
from services.loyalty import actors, domain, service
from tests.integration.loyalty_support import assert_ledger_consistent, purchase, refund

T = 5


@pytest.fixture(scope="module")
def loyalty(channel):
    return loyalty_service_pb2_grpc.LoyaltyServiceStub(channel)


@pytest.fixture(autouse=True)
def ledger_consistent(sql):
    yield
    assert_ledger_consistent(sql)


def test_a_purchase_earns_the_base_rate_times_the_tier_held_when_it_is_applied(user_id):
    assert purchase(user_id, 120_000).earned == 1200  # Bronze ×1.0; this purchase lifts the member to Silver
    assert purchase(user_id, 10_000).earned == 120  # Silver ×1.2
    assert purchase(user_id, 200_000).earned == 2400  # still Silver when it is applied; now Gold
    assert purchase(user_id, 999).earned == 14  # Gold ×1.5, rounded down (14.985)
    assert service.user_tier(user_id).current.code == "GOLD"
    assert service.balance(user_id).balance == 1200 + 120 + 2400 + 14


def test_a_refund_takes_back_its_share_and_a_full_refund_all_of_it(user_id):
    purchase(user_id, 30_000, "o-1")  # 300 points
    first = refund(user_id, 10_000, "o-1")
    assert (first.taken_back, first.shortfall) == (100, 0)
    second = refund(user_id, 20_000, "o-1")
    assert second.taken_back == 200
    assert service.balance(user_id).balance == 0
    assert service.user_tier(user_id).spend == 0


def test_a_refund_after_the_points_were_spent_takes_what_is_left_and_records_the_shortfall(user_id, sql):
    purchase(user_id, 50_000, "o-spent")  # 500
    service.spend(user_id, 450, "r-1", "order", "svc")
    back = refund(user_id, 50_000, "o-spent")
    assert (back.taken_back, back.shortfall) == (50, 450)
    assert sql("SELECT points_settled, points_shortfall FROM loyalty.orders WHERE user_id = %(u)s", u=user_id) == [(500, 450)]
    rows, _ = service.list_entries(user_id, 1, "")
    assert (rows[0].reason, rows[0].delta, rows[0].meta["shortfall"]) == ("PURCHASE_REFUND", -50, 450)


def test_a_refund_that_arrives_before_its_purchase_is_applied_when_the_purchase_comes(user_id):
    assert refund(user_id, 40_000, "o-early").taken_back == 0
    late = purchase(user_id, 40_000, "o-early")
    assert (late.earned, late.taken_back) == (400, 400)
    assert service.balance(user_id).balance == 0 and service.user_tier(user_id).spend == 0


def test_upgrades_apply_at_once_and_downgrades_wait_out_the_grace_period(user_id, loyalty, as_user):
    t0 = datetime.now(UTC) - timedelta(days=100)
    rules = domain.Rules(grace_days=30)
    purchase(user_id, 350_000, "big", at=t0, rules=rules)
    assert service.user_tier(user_id, now=t0, rules=rules).current.code == "GOLD"
    # A partial refund drops the spend below Gold: the member keeps Gold for 30 days.
    refund(user_id, 100_000, "big", at=t0 + timedelta(days=1), rules=rules)
    view = service.user_tier(user_id, now=t0 + timedelta(days=2), rules=rules)
    assert (view.current.code, view.downgrade_to, view.spend) == ("GOLD", "SILVER", 250_000)
    assert view.downgrade_at == t0 + timedelta(days=31)
    # Spend that recovers inside the grace period cancels the downgrade.
    purchase(user_id, 60_000, at=t0 + timedelta(days=10), rules=rules)
    assert service.user_tier(user_id, now=t0 + timedelta(days=40), rules=rules).downgrade_at is None
    # A later fall waits again, and then drops.
    refund(user_id, 60_000, "big", at=t0 + timedelta(days=50), rules=rules)
    assert service.user_tier(user_id, now=t0 + timedelta(days=79), rules=rules).current.code == "GOLD"
    assert service.user_tier(user_id, now=t0 + timedelta(days=81), rules=rules).current.code == "SILVER"  # shown as due
    assert service.evaluate_tiers(now=t0 + timedelta(days=81), rules=rules, users=[user_id]) == 1
    assert service.evaluate_tiers(now=t0 + timedelta(days=82), rules=rules, users=[user_id]) == 0  # nothing left to change
    history = loyalty.ListTierChanges(pb.ListTierChangesRequest(user_id=user_id), metadata=as_user("ops", "admin")).changes
    kinds = [loyalty_pb2.TierChange.Kind.Name(c.kind) for c in reversed(history)]
    assert kinds == ["UPGRADE", "DOWNGRADE_SCHEDULED", "DOWNGRADE_CANCELLED", "DOWNGRADE_SCHEDULED", "DOWNGRADE"]
    assert (history[0].from_tier, history[0].to_tier, history[0].cause) == ("GOLD", "SILVER", "schedule")


def test_a_rolling_window_forgets_old_spend(user_id):
    rules = domain.Rules(window="12m", grace_days=0)
    t0 = datetime.now(UTC) - timedelta(days=400)
    purchase(user_id, 150_000, at=t0, rules=rules)
    purchase(user_id, 60_000, at=t0 + timedelta(days=300), rules=rules)
    assert service.user_tier(user_id, now=t0 + timedelta(days=300), rules=rules).spend == 210_000
    later = service.user_tier(user_id, now=t0 + timedelta(days=370), rules=rules)  # the first purchase left the window
    assert (later.spend, later.current.code) == (60_000, "BRONZE")
    # The lifetime window still counts everything.
    assert service.user_tier(user_id, now=t0 + timedelta(days=370), rules=domain.Rules()).spend == 210_000


def test_get_user_tier_shows_the_way_to_the_next_tier(loyalty, as_user, user_id):
    purchase(user_id, 400_000)
    tier = loyalty.GetUserTier(pb.GetUserTierRequest(), metadata=as_user(user_id)).tier
    assert (tier.current.code, tier.current.display_name, tier.next_tier.code) == ("GOLD", "골드", "PLATINUM")
    assert (tier.total_amount, tier.remaining_to_next, tier.progress_pct, tier.currency_code, tier.window) == (400_000, 300_000, 25.0, "KRW", "lifetime")
    assert tier.current.benefits.point_multiplier == 1.5
    admin_view = loyalty.GetMemberTier(pb.GetMemberTierRequest(user_id=user_id), metadata=as_user("ops", "admin")).tier
    assert admin_view == tier
    assert loyalty.GetUserTier(pb.GetUserTierRequest(), metadata=as_user(f"{user_id}-new")).tier.current.code == "BRONZE"


def test_a_purchase_recorded_through_activity_earns_points_when_the_actor_runs(activity, as_user, user_id, sql):
    event_id = str(uuid.uuid4())
    req = apb.RecordActivityRequest(user_id=user_id, event_type=a.PURCHASE, event_id=event_id, amount=25_000, order_id="web-1")
    activity.RecordActivity(req, metadata=as_user("shop", "service"), timeout=T)
    (payload,) = sql(
        "SELECT jsonb_build_object('event_id', event_id, 'user_id', user_id, 'event_type', event_type, 'amount', amount, "
        "'order_id', order_id, 'occurred_at', occurred_at) FROM activity.events WHERE event_id = %(e)s",
        e=event_id,
    )[0]
    actors.on_activity_recorded(payload)  # the subscriber, called as the worker would
    actors.on_activity_recorded(payload)  # redelivered: nothing more
    assert service.balance(user_id).balance == 250
    actors.on_activity_recorded({**payload, "event_id": str(uuid.uuid4()), "event_type": "VISIT"})  # not ours
    assert service.balance(user_id).balance == 250


def test_a_purchase_reaches_loyalty_through_the_outbox_and_a_real_broker(activity, as_user, user_id, sql):
    broker = dramatiq.get_broker()
    broker.flush("loyalty")
    req = apb.RecordActivityRequest(user_id=user_id, event_type=a.PURCHASE, event_id=str(uuid.uuid4()), amount=10_000, order_id="web-2")
    activity.RecordActivity(req, metadata=as_user("shop", "service"), timeout=T)
    # Relay until this event is out: earlier tests may have left a backlog longer than one relay's budget.
    deadline = time.monotonic() + 60
    while sql("SELECT 1 FROM activity.outbox WHERE event_id = %(e)s", e=req.event_id) and time.monotonic() < deadline:
        outbox.relay_all()
    worker = Worker(broker, worker_threads=2, queues={"loyalty"})
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and service.balance(user_id).balance == 0:
            time.sleep(0.1)
    finally:
        worker.stop()
    assert service.balance(user_id).balance == 100


def test_an_event_id_reused_with_another_payload_is_refused(user_id):
    event_id = str(uuid.uuid4())
    purchase(user_id, 10_000, "o-1", event_id=event_id)
    assert purchase(user_id, 10_000, "o-1", event_id=event_id).duplicate
    for other in ({"amount": 20_000}, {"order_id": "o-2"}, {"kind": "PURCHASE_REFUND"}):
        with pytest.raises(AlreadyExists) as refused:
            purchase(user_id, other.get("amount", 10_000), other.get("order_id", "o-1"), event_id=event_id,
                     kind=other.get("kind", "PURCHASE"))
        assert refused.value.reason == "EVENT_ID_REUSED"
    assert service.balance(user_id).balance == 100


def test_a_fall_no_evaluation_stored_yet_shows_as_pending_not_as_a_moving_date(user_id):
    rules = domain.Rules(window="12m", grace_days=30)
    t0 = datetime.now(UTC) - timedelta(days=400)
    purchase(user_id, 150_000, at=t0, rules=rules)  # Silver, in a 12-month window
    later = t0 + timedelta(days=370)  # the purchase left the window; no event since
    views = [service.user_tier(user_id, now=later + timedelta(days=d), rules=rules) for d in (0, 3)]
    assert [(v.current.code, v.downgrade_to, v.downgrade_at) for v in views] == [("SILVER", "BRONZE", None)] * 2
    assert service.evaluate_tiers(now=later, rules=rules, users=[user_id]) == 1  # the grace period starts now
    views = [service.user_tier(user_id, now=later + timedelta(days=d), rules=rules) for d in (0, 3)]
    assert [(v.downgrade_to, v.downgrade_at) for v in views] == [("BRONZE", later + timedelta(days=30))] * 2


def test_the_daily_evaluation_selects_only_members_whose_standing_can_change(sql):
    from services.common import db
    from services.loyalty import tiers

    rules = domain.Rules(grace_days=30)
    t0 = datetime.now(UTC) - timedelta(days=100)
    stable, waiting, due, recovered = (f"eval-{k}-{uuid.uuid4().hex[:8]}" for k in range(4))
    for u in (stable, waiting, due, recovered):
        purchase(u, 350_000, "o", at=t0, rules=rules)  # Gold
    refund(waiting, 100_000, "o", at=datetime.now(UTC) - timedelta(days=1), rules=rules)  # downgrade waits 29 more days
    refund(due, 100_000, "o", at=t0 + timedelta(days=1), rules=rules)  # its grace ended long ago
    refund(recovered, 100_000, "o", at=t0 + timedelta(days=1), rules=rules)
    sql("UPDATE loyalty.members SET lifetime_spend = 350000 WHERE user_id = %(u)s", u=recovered)  # back at Gold
    scope = [stable, waiting, due, recovered]
    with db.transaction() as conn:
        found = conn.execute(tiers._BATCH, {"after": "", "n": 100, "since": None, "now": datetime.now(UTC), "scope": scope})
        assert sorted(r.user_id for r in found) == sorted([due, recovered])
    assert service.evaluate_tiers(rules=rules, users=scope) == 2
    kinds = dict(sql("SELECT user_id, kind FROM loyalty.tier_changes WHERE user_id = ANY(%(u)s) AND cause = 'schedule'", u=scope))
    assert kinds == {due: "DOWNGRADE", recovered: "DOWNGRADE_CANCELLED"}
