"""What starts a delivery besides the scheduler, and what a delivery led to.

- SEGMENT_ENTRY: a user entering a campaign's segment is targeted once and delivered to.
- Carts: CART_UPDATED / CHECKOUT / PURCHASE events keep each user's cart; a cart idle for
  CAMPAIGN_CART_IDLE_MINUTES is abandoned, which targets the running CART_ABANDONED campaigns.
- Attribution: a purchase within a log's conversion window, or a redemption of the personal coupon
  it granted, sets the log's redeemed_at (once: a later or repeated event never moves it). A refund
  does not un-convert a log: the purchase happened, and lift counts behaviour, not revenue.
- Outcomes: an OFFER log's reward selection is told whether the user converted, once.

Events arrive at least once and possibly late or out of order, so every write here is conditional
(on the log's primary key, a NULL column, or an event time) and safe to repeat. Writes are
set-based (one statement per message or per chunk of a job, whatever the number of campaigns),
except the outcome reports: Reward's record_outcome takes one selection at a time.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from services.campaign.domain import CONTROL_SQL
from services.common import db
from services.common.config import settings
from services.common.errors import FailedPrecondition, NotFound

log = logging.getLogger("engage.campaign")

CART_EVENTS = frozenset({"CART_UPDATED", "CHECKOUT", "PURCHASE"})  # what on_activity reacts to
CHUNK = 1000  # rows per statement in the sweeps, and users per deliver_users message
# Live campaigns that targeting writes logs for. A PAUSED campaign's logs stay PENDING (delivery
# does nothing while paused) and go out when it resumes (delivery.requeue), so no user entering
# its segment or abandoning a cart during the pause is lost.
TARGETABLE = "('RUNNING', 'PAUSED')"
# A purchase recorded late (at least once, possibly delayed) may still convert a log whose window
# has just passed; the expiry report waits this long so the selection is not told "no" first.
LATE_EVENT_GRACE = timedelta(hours=1)


def _time(raw) -> datetime:
    """An event time from a payload: JSON carries timestamps as ISO 8601 strings."""
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    at = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _enqueue(pending: dict[int, list[str]]) -> int:
    """Hands each campaign's newly pending users to the delivery workers (queue "campaign"), in
    chunks; returns the messages sent. Nothing is delivered or sent on the events queue, so a large
    entry or abandonment wave never holds up cart and purchase events. Delivery claims PENDING logs,
    so a user handed over twice gets one delivery; if a message is lost (a crash after the commit),
    the scheduler's orphan sweep (delivery.run_due) sends it again."""
    from services.campaign import actors  # the actors import this module

    sent = 0
    for campaign_id, users in sorted(pending.items()):
        for i in range(0, len(users), CHUNK):
            actors.deliver_users.send(campaign_id, users[i : i + CHUNK])
            sent += 1
    return sent


# The log row of a targeted user: held out (the control group, decided by the same hash as the
# snapshot's) or pending. {campaign} and {user} are SQL expressions of the campaign id and user id.
def _status_sql(campaign: str, user: str, percent: str) -> str:
    bucket = CONTROL_SQL.format(campaign=campaign, user=user)
    return f"CASE WHEN {bucket} < {percent} THEN 'HELD_OUT' ELSE 'PENDING' END"


# ---------------------------------------------------------------------------------------------
# SEGMENT_ENTRY

# One statement targets the user in every matching campaign, if they are still in the segment
# (the change may be processed after they left it again). The second half returns logs left
# PENDING by an earlier attempt that committed but did not enqueue (the message is redelivered).
ENTER_SEGMENT = sa.text(
    f"""
WITH matching AS (
  SELECT id, status, control_group_percent FROM campaign.campaigns
  WHERE status IN {TARGETABLE} AND trigger = 'SEGMENT_ENTRY' AND segment = :segment
    AND start_at <= :at AND (end_at IS NULL OR :at < end_at)
    AND EXISTS (SELECT 1 FROM segmentation.user_segments us WHERE us.user_id = :user_id AND us.segment = :segment)
),
targeted AS (
  INSERT INTO campaign.campaign_logs (campaign_id, user_id, status, created_at, processed_at, meta_json)
  SELECT m.id, :user_id, s.status, :now, CASE WHEN s.status = 'HELD_OUT' THEN :now END,
         jsonb_build_object('trigger', 'SEGMENT_ENTRY', 'entered_at', CAST(:at AS timestamptz))
  FROM matching m, LATERAL (SELECT {_status_sql("m.id", "CAST(:user_id AS text)", "m.control_group_percent")} AS status) s
  ORDER BY m.id
  ON CONFLICT (campaign_id, user_id) DO NOTHING
  RETURNING campaign_id, status
)
SELECT t.campaign_id FROM targeted t JOIN matching m ON m.id = t.campaign_id
WHERE t.status = 'PENDING' AND m.status = 'RUNNING'
UNION
SELECT l.campaign_id FROM campaign.campaign_logs l JOIN matching m ON m.id = l.campaign_id
WHERE l.user_id = :user_id AND l.status = 'PENDING' AND m.status = 'RUNNING'
"""
)


def on_segment_changed(payload: dict, now: datetime | None = None) -> list[int]:
    """Targets the user in each RUNNING or PAUSED SEGMENT_ENTRY campaign of the segment they
    entered (if they are still in it and the change falls within the campaign's start and end),
    then enqueues the delivery of the running ones. Returns the campaigns a delivery was enqueued
    for. A user entering again finds their log and gets nothing more."""
    segment, user_id = payload.get("to_segment"), payload.get("user_id")
    if not segment or not user_id:
        return []
    now = now or datetime.now(UTC)
    params = {"segment": segment, "user_id": user_id, "at": _time(payload["changed_at"]), "now": now}
    campaigns = db.retrying(lambda conn: [r[0] for r in conn.execute(ENTER_SEGMENT, params)])
    _enqueue({c: [user_id] for c in campaigns})
    return sorted(campaigns)


# ---------------------------------------------------------------------------------------------
# Carts

# Each event applies only if it is newer than the one the cart reflects: by event time, then a
# closing event (checkout, purchase, emptied cart) over a CART_UPDATED of the same time (so a cart
# checked out in the same instant it was updated never ends OPEN and gets a recovery message), then
# event id. A late or repeated event never moves a cart back. A checkout or purchase without a cart
# still writes the row, so an older CART_UPDATED arriving after it cannot open one.
_CLOSING = "CASE WHEN {state} IN ('OPEN', 'ABANDONED') THEN 0 ELSE 1 END"
APPLY_CART_EVENT = sa.text(
    f"""
INSERT INTO campaign.carts AS c (user_id, cart_id, value, currency, state, updated_at, last_event_id)
VALUES (:user_id, :cart_id, :value, :currency, :state, :at, :event_id)
ON CONFLICT (user_id) DO UPDATE SET
  cart_id = coalesce(excluded.cart_id, c.cart_id),
  value = CASE WHEN excluded.state = 'OPEN' THEN excluded.value ELSE coalesce(excluded.value, c.value) END,
  currency = CASE WHEN excluded.state = 'OPEN' THEN excluded.currency ELSE coalesce(excluded.currency, c.currency) END,
  state = excluded.state,
  updated_at = excluded.updated_at,
  abandoned_at = NULL,
  last_event_id = excluded.last_event_id
WHERE (c.updated_at, {_CLOSING.format(state="c.state")}, c.last_event_id)
    < (excluded.updated_at, {_CLOSING.format(state="excluded.state")}, excluded.last_event_id)
"""
)

# The logs a purchase at :at converts: the buyer's deliveries and hold-outs whose window contains
# it, through ix_campaign_logs_convertible. Only unconverted logs: a repeated purchase changes nothing.
ATTRIBUTE_PURCHASE = sa.text(
    """
UPDATE campaign.campaign_logs l SET redeemed_at = :at
FROM campaign.campaigns c
WHERE l.user_id = :user_id AND l.redeemed_at IS NULL
  AND l.status IN ('DELIVERED', 'SENDING', 'SUPPRESSED', 'FAILED', 'HELD_OUT')
  AND c.id = l.campaign_id
  AND coalesce(l.delivered_at, l.processed_at) <= :at
  AND :at < coalesce(l.delivered_at, l.processed_at) + make_interval(hours => coalesce(c.conversion_window_hours, :window))
RETURNING l.campaign_id, l.user_id, l.selection_id, l.status
"""
)


def _cart_state(kind: str, amount) -> str:
    """A CART_UPDATED with a value of 0 is an emptied cart: closed, never abandoned."""
    if kind != "CART_UPDATED":
        return "CHECKED_OUT"
    return "EMPTY" if amount is not None and int(amount) == 0 else "OPEN"


def on_activity(payload: dict) -> list[int]:
    """Applies a cart event; a purchase also ends the cart and converts the buyer's recent logs.
    Returns the campaigns whose logs the purchase converted."""
    kind, user_id = payload.get("event_type"), payload.get("user_id")
    if kind not in CART_EVENTS or not user_id:
        return []
    at = _time(payload["occurred_at"])
    cart = {
        "user_id": user_id,
        "cart_id": payload.get("order_id") if kind != "PURCHASE" else None,
        "value": payload.get("amount") if kind != "PURCHASE" else None,
        "currency": payload.get("currency") if kind != "PURCHASE" else None,
        "state": _cart_state(kind, payload.get("amount")),
        "at": at,
        "event_id": str(payload["event_id"]),
    }
    window = settings().campaign_conversion_window_hours

    def work(conn) -> list[sa.Row]:
        conn.execute(APPLY_CART_EVENT, cart)
        if kind != "PURCHASE":
            return []
        return list(conn.execute(ATTRIBUTE_PURCHASE, {"user_id": user_id, "at": at, "window": window}))

    converted = db.retrying(work)
    # Only an offer the user received converted it (suppressed or failed users count for the
    # intent-to-treat rate, not for the selection).
    report([(r.campaign_id, r.user_id, r.selection_id) for r in converted if r.selection_id and r.status == "DELIVERED"], True)
    return sorted(r.campaign_id for r in converted)


# Carts idle past the cut-off become ABANDONED, and in the same statement their users are targeted
# by every running CART_ABANDONED campaign (within its segment, if it has one). SKIP LOCKED lets
# two runs overlap without waiting or taking the same carts.
ABANDON_CARTS = sa.text(
    f"""
WITH due AS (
  SELECT user_id FROM campaign.carts WHERE state = 'OPEN' AND updated_at <= :cutoff
  ORDER BY updated_at LIMIT :n FOR UPDATE SKIP LOCKED
),
abandoned AS (
  UPDATE campaign.carts c SET state = 'ABANDONED', abandoned_at = :now
  FROM due WHERE c.user_id = due.user_id
  RETURNING c.user_id, c.cart_id, c.value, c.currency, c.updated_at
),
campaigns AS (
  SELECT id, status, segment, control_group_percent FROM campaign.campaigns
  WHERE status IN {TARGETABLE} AND trigger = 'EVENT' AND event = 'CART_ABANDONED'
    AND start_at <= :now AND (end_at IS NULL OR :now < end_at)
),
targeted AS (
  INSERT INTO campaign.campaign_logs (campaign_id, user_id, status, created_at, processed_at, meta_json)
  SELECT k.id, a.user_id, s.status, :now, CASE WHEN s.status = 'HELD_OUT' THEN :now END,
         jsonb_strip_nulls(jsonb_build_object('trigger', 'CART_ABANDONED', 'cart_id', a.cart_id,
           'cart_value', a.value, 'currency', a.currency, 'cart_updated_at', a.updated_at))
  FROM abandoned a CROSS JOIN campaigns k,
       LATERAL (SELECT {_status_sql("k.id", "a.user_id", "k.control_group_percent")} AS status) s
  WHERE k.segment IS NULL OR EXISTS (
    SELECT 1 FROM segmentation.user_segments us WHERE us.user_id = a.user_id AND us.segment = k.segment)
  ORDER BY k.id, a.user_id
  ON CONFLICT (campaign_id, user_id) DO NOTHING
  RETURNING campaign_id, user_id, status
)
SELECT (SELECT count(*) FROM abandoned) AS carts, t.campaign_id, t.user_id, t.status, k.status AS campaign_status
FROM (SELECT 1) one LEFT JOIN targeted t ON true LEFT JOIN campaigns k ON k.id = t.campaign_id
"""
)


@dataclass(frozen=True)
class Abandoned:
    carts: int  # carts that became abandoned
    targeted: int  # logs written for their users (pending and held out)
    pending: int  # of which handed to the delivery workers (those of running campaigns)


def detect_abandoned_carts(now: datetime | None = None) -> Abandoned:
    """Abandons the carts idle for CAMPAIGN_CART_IDLE_MINUTES, targets their users and enqueues
    the delivery of the pending ones (a paused campaign's wait for its resume). If the messages are
    lost (a crash after the commit), the scheduler's orphan sweep (delivery.run_due) sends them."""
    now = now or datetime.now(UTC)
    params = {"now": now, "cutoff": now - timedelta(minutes=settings().campaign_cart_idle_minutes), "n": CHUNK}
    carts = targeted = 0
    pending: dict[int, list[str]] = defaultdict(list)
    while True:
        rows = db.retrying(lambda conn: conn.execute(ABANDON_CARTS, params).all())
        carts += rows[0].carts
        for r in rows:
            if r.campaign_id is not None:
                targeted += 1
                if r.status == "PENDING" and r.campaign_status == "RUNNING":
                    pending[r.campaign_id].append(r.user_id)
        if rows[0].carts < CHUNK:
            break
    _enqueue(pending)
    return Abandoned(carts, targeted, sum(len(v) for v in pending.values()))


# ---------------------------------------------------------------------------------------------
# Coupon redemptions

# Delivered logs whose personal coupon has a redemption that was not rolled back
# (ix_campaign_logs_coupon, then the redemptions' coupon index).
ATTRIBUTE_COUPONS = sa.text(
    """
UPDATE campaign.campaign_logs l SET redeemed_at = r.redeemed_at
FROM (
  SELECT l2.campaign_id, l2.user_id, min(x.redeemed_at) AS redeemed_at
  FROM campaign.campaign_logs l2
  JOIN coupon.coupon_redemptions x ON x.coupon_id = l2.coupon_id AND x.user_id = l2.user_id AND x.state = 'REDEEMED'
  WHERE l2.coupon_id IS NOT NULL AND l2.redeemed_at IS NULL AND l2.status = 'DELIVERED'
  GROUP BY l2.campaign_id, l2.user_id
) r
WHERE l.campaign_id = r.campaign_id AND l.user_id = r.user_id AND l.redeemed_at IS NULL
RETURNING l.campaign_id, l.user_id, l.selection_id
"""
)


def attribute_coupon_redemptions() -> int:
    """Converts the delivered logs whose coupon was redeemed; returns how many."""
    rows = db.retrying(lambda conn: conn.execute(ATTRIBUTE_COUPONS).all())
    report([(r.campaign_id, r.user_id, r.selection_id) for r in rows if r.selection_id], True)
    return len(rows)


# ---------------------------------------------------------------------------------------------
# Outcomes of offer selections

CLOSE_OUTCOMES = sa.text(
    """
UPDATE campaign.campaign_logs l SET outcome_at = :now
FROM unnest(CAST(:campaigns AS bigint[]), CAST(:users AS text[])) AS t(campaign_id, user_id)
WHERE l.campaign_id = t.campaign_id AND l.user_id = t.user_id AND l.outcome_at IS NULL
"""
)


def report(logs: list[tuple[int, str, str]], converted: bool, now: datetime | None = None) -> int:
    """Tells each log's selection whether it converted, then marks the logs reported. Reporting
    first and marking after means a crash in between reports again, which record_outcome answers
    as before (it moves the posterior once per selection): at least once here, exactly once there.
    A selection already told the opposite (a late purchase after the expiry report) keeps its
    first outcome. Returns the reports that moved a posterior or confirmed one."""
    now = now or datetime.now(UTC)
    if not logs:
        return 0
    from services.reward import selection

    told = 0
    for _, _, selection_id in logs:
        try:
            selection.record_outcome(selection_id, converted, now=now)
            told += 1
        except (FailedPrecondition, NotFound) as e:
            log.warning("offer outcome not recorded", extra={"fields": {"selection_id": selection_id, "reason": e.reason}})
    close(logs, now)
    return told


def close(logs: list[tuple[int, str, str | None]], now: datetime) -> None:
    params = {"campaigns": [c for c, _, _ in logs], "users": [u for _, u, _ in logs], "now": now}
    db.retrying(lambda conn: conn.execute(CLOSE_OUTCOMES, params))


# Open selections (ix_campaign_logs_open_selections): converted ones the purchase or coupon path did
# not get to report, delivered ones whose window (plus LATE_EVENT_GRACE) passed without conversion,
# and ones never delivered (failed, canceled, suppressed, held out), which are closed unreported:
# the user never saw the offer, so it says nothing about the arm.
OPEN_SELECTIONS = sa.text(
    """
SELECT l.campaign_id, l.user_id, l.selection_id,
  CASE WHEN l.status <> 'DELIVERED' THEN 'UNSEEN'
       WHEN l.redeemed_at IS NOT NULL THEN 'CONVERTED'
       ELSE 'EXPIRED' END AS outcome
FROM campaign.campaign_logs l JOIN campaign.campaigns c ON c.id = l.campaign_id
WHERE l.selection_id IS NOT NULL AND l.outcome_at IS NULL AND l.processed_at <= :now
  AND ((l.status = 'DELIVERED' AND l.redeemed_at IS NOT NULL)
       OR l.status IN ('FAILED', 'CANCELED', 'SUPPRESSED', 'HELD_OUT')
       OR (l.status = 'DELIVERED' AND l.delivered_at
           + make_interval(hours => coalesce(c.conversion_window_hours, :window)) + :grace <= :now))
ORDER BY l.processed_at
LIMIT :n
"""
)


@dataclass(frozen=True)
class Reported:
    converted: int
    expired: int
    unseen: int


def report_expired_offers(now: datetime | None = None) -> Reported:
    """Reports the outcomes of offer logs that are settled: False when the window passed without a
    conversion, True for conversions not yet reported; closes the never-delivered ones."""
    now = now or datetime.now(UTC)
    params = {"now": now, "window": settings().campaign_conversion_window_hours, "grace": LATE_EVENT_GRACE, "n": CHUNK}
    counts = {"CONVERTED": 0, "EXPIRED": 0, "UNSEEN": 0}
    while True:
        with db.transaction() as conn:
            rows = conn.execute(OPEN_SELECTIONS, params).all()
        by_outcome: dict[str, list] = defaultdict(list)
        for r in rows:
            by_outcome[r.outcome].append((r.campaign_id, r.user_id, r.selection_id))
        report(by_outcome["CONVERTED"], True, now)
        report(by_outcome["EXPIRED"], False, now)
        if by_outcome["UNSEEN"]:
            close(by_outcome["UNSEEN"], now)
        for k, v in by_outcome.items():
            counts[k] += len(v)
        if len(rows) < CHUNK:
            break
    return Reported(counts["CONVERTED"], counts["EXPIRED"], counts["UNSEEN"])
