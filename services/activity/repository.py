"""SQL of the Activity service. Every write is set-based: one statement per batch, whatever its size."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.activity.domain import NewEvent
from services.common import outbox

TOPIC_RECORDED = "activity.recorded"

# One statement records a whole batch (a single event is a batch of one): it claims each event_id
# in event_keys (the idempotency record), and only for the ids it claimed appends the event, writes
# the outbox row and adds to the user's counters. Duplicates fall out at the first step, so a replay
# changes nothing, even when two copies race (the unique index makes the second wait, then skip).
RECORD_EVENTS = sa.text(
    """
WITH input AS (
  -- One JSON array parameter: cheaper to send than eleven typed arrays (measured).
  SELECT * FROM json_to_recordset(CAST(:events AS json)) AS t(
    event_id uuid, user_id text, event_type text, value bigint, amount bigint, currency text,
    category text, order_id text, meta jsonb, occurred_at timestamptz, fingerprint text, recorded_by text)
),
claimed AS (
  INSERT INTO activity.event_keys (event_id, user_id, fingerprint, recorded_at)
  SELECT event_id, user_id, decode(fingerprint, 'hex'), :now FROM input
  ON CONFLICT (event_id) DO NOTHING
  RETURNING event_id
),
fresh AS (
  SELECT input.* FROM input JOIN claimed USING (event_id)
),
logged AS (
  INSERT INTO activity.events (event_id, occurred_at, user_id, event_type, value, amount, currency,
                               category, order_id, meta, recorded_at, recorded_by)
  SELECT event_id, occurred_at, user_id, event_type, value, amount, currency, category, order_id,
         meta, :now, recorded_by
  FROM fresh
),
published AS (
  INSERT INTO activity.outbox (event_id, user_id, occurred_at)
  SELECT event_id, user_id, occurred_at FROM fresh
),
counted AS (
  INSERT INTO activity.user_activity AS ua (
    user_id, roulette_plays, dice_plays, lottery_plays, total_play_duration, purchase_count,
    purchase_total, review_count, charge_total, last_bonus_used_at, last_login_at, last_active_at,
    last_charge_at, first_seen_at, updated_at)
  SELECT user_id,
    count(*) FILTER (WHERE event_type = 'ROULETTE_PLAY'),
    count(*) FILTER (WHERE event_type = 'DICE_PLAY'),
    count(*) FILTER (WHERE event_type = 'LOTTERY_PLAY'),
    coalesce(sum(value) FILTER (WHERE event_type = 'PLAY_DURATION'), 0),
    count(*) FILTER (WHERE event_type = 'PURCHASE'),
    coalesce(sum(amount) FILTER (WHERE event_type = 'PURCHASE'), 0)
      - coalesce(sum(amount) FILTER (WHERE event_type = 'PURCHASE_REFUND'), 0),
    count(*) FILTER (WHERE event_type = 'REVIEW'),
    coalesce(sum(amount) FILTER (WHERE event_type = 'CHARGE'), 0),
    max(occurred_at) FILTER (WHERE event_type = 'BONUS_USED'),
    max(occurred_at) FILTER (WHERE event_type = 'LOGIN'),
    max(occurred_at),
    max(occurred_at) FILTER (WHERE event_type = 'CHARGE'),
    min(occurred_at),
    :now
  FROM fresh
  GROUP BY user_id
  ORDER BY user_id  -- a fixed lock order, so concurrent batches cannot deadlock on counters
  ON CONFLICT (user_id) DO UPDATE SET
    roulette_plays = ua.roulette_plays + excluded.roulette_plays,
    dice_plays = ua.dice_plays + excluded.dice_plays,
    lottery_plays = ua.lottery_plays + excluded.lottery_plays,
    total_play_duration = ua.total_play_duration + excluded.total_play_duration,
    purchase_count = ua.purchase_count + excluded.purchase_count,
    purchase_total = ua.purchase_total + excluded.purchase_total,
    review_count = ua.review_count + excluded.review_count,
    charge_total = ua.charge_total + excluded.charge_total,
    -- greatest/least ignore NULLs: events may arrive out of order
    last_bonus_used_at = greatest(ua.last_bonus_used_at, excluded.last_bonus_used_at),
    last_login_at = greatest(ua.last_login_at, excluded.last_login_at),
    last_active_at = greatest(ua.last_active_at, excluded.last_active_at),
    last_charge_at = greatest(ua.last_charge_at, excluded.last_charge_at),
    first_seen_at = least(ua.first_seen_at, excluded.first_seen_at),
    updated_at = excluded.updated_at
)
-- Only the ids not recorded now come back (usually none): replays and reuses.
SELECT i.event_id FROM input i LEFT JOIN claimed c USING (event_id) WHERE c.event_id IS NULL
"""
)

EXISTING_KEYS = sa.text(
    "SELECT event_id, user_id, fingerprint, recorded_at FROM activity.event_keys "
    "WHERE event_id = ANY(CAST(:event_ids AS uuid[]))"
)


@dataclass(frozen=True)
class KeyRecord:
    user_id: str
    fingerprint: bytes
    recorded_at: datetime


def record_events(
    conn: Connection, events: list[NewEvent], fingerprints: list[bytes], recorded_by: list[str], *, now: datetime
) -> set[str]:
    """Records the events whose ids are new; returns the ids that were NOT recorded (seen before).
    `events` must have distinct ids."""
    payload = json.dumps(
        [
            {
                "event_id": e.event_id,
                "user_id": e.user_id,
                "event_type": e.event_type,
                "value": e.value,
                "amount": e.amount,
                "currency": e.currency,
                "category": e.category,
                "order_id": e.order_id,
                "meta": e.meta,
                "occurred_at": e.occurred_at.isoformat(),
                "fingerprint": f.hex(),
                "recorded_by": by,
            }
            for e, f, by in zip(events, fingerprints, recorded_by, strict=True)
        ]
    )
    rows = conn.execute(RECORD_EVENTS, {"events": payload, "now": now})
    return {str(r[0]) for r in rows}


def existing_keys(conn: Connection, event_ids: list[str]) -> dict[str, KeyRecord]:
    rows = conn.execute(EXISTING_KEYS, {"event_ids": event_ids})
    return {str(r.event_id): KeyRecord(r.user_id, bytes(r.fingerprint), r.recorded_at) for r in rows}


# The stored time of an event recorded without occurred_at (it was the first request's clock, at most
# a write timeout before recorded_at): the user index and one partition, not a scan by id.
STORED_OCCURRED_AT = sa.text(
    "SELECT occurred_at FROM activity.events WHERE user_id = :u AND event_id = CAST(:e AS uuid) "
    "AND occurred_at BETWEEN CAST(:at AS timestamptz) - interval '10 minutes' AND CAST(:at AS timestamptz) + interval '1 minute'"
)


def stored_occurred_at(conn: Connection, user_id: str, event_id: str, recorded_at: datetime) -> datetime | None:
    return conn.execute(STORED_OCCURRED_AT, {"u": user_id, "e": event_id, "at": recorded_at}).scalar()


USER_ACTIVITY = sa.text(
    """
SELECT ua.*, coalesce(d.deposit_amount, 0) AS deposit_amount
FROM (SELECT CAST(:user_id AS text) AS user_id) u
LEFT JOIN activity.user_activity ua ON ua.user_id = u.user_id
LEFT JOIN activity.external_deposits d ON d.user_id = u.user_id
"""
)


def user_activity(conn: Connection, user_id: str) -> sa.Row:
    return conn.execute(USER_ACTIVITY, {"user_id": user_id}).one()


LIST_EVENTS = sa.text(
    """
SELECT event_id::text AS event_id, user_id, event_type, value, amount, currency, category, order_id, meta,
       occurred_at, recorded_at
FROM activity.events
WHERE user_id = :user_id
  AND (CAST(:event_type AS text) IS NULL OR event_type = :event_type)
  AND (CAST(:after_at AS timestamptz) IS NULL OR (occurred_at, event_id) < (:after_at, CAST(:after_id AS uuid)))
ORDER BY occurred_at DESC, event_id DESC
LIMIT :limit
"""
)


def list_events(
    conn: Connection, user_id: str, event_type: str | None, after: tuple[datetime, str] | None, limit: int
) -> list[sa.Row]:
    """A page of the user's events, newest first, after the key `after` (keyset, via the user index)."""
    after_at, after_id = after if after else (None, None)
    params = {"user_id": user_id, "event_type": event_type, "after_at": after_at, "after_id": after_id, "limit": limit}
    return list(conn.execute(LIST_EVENTS, params))


def lock_deposits(conn: Connection, user_ids: list[str]) -> dict[str, int]:
    """Creates missing deposit rows at 0, then locks all of them (in user order) and returns the amounts."""
    conn.execute(
        sa.text(
            "INSERT INTO activity.external_deposits (user_id, deposit_amount, updated_at, updated_by) "
            "SELECT u, 0, now(), 'system' FROM unnest(CAST(:ids AS text[])) AS u ORDER BY u "
            "ON CONFLICT (user_id) DO NOTHING"
        ),
        {"ids": user_ids},
    )
    rows = conn.execute(
        sa.text(
            "SELECT user_id, deposit_amount FROM activity.external_deposits "
            "WHERE user_id = ANY(CAST(:ids AS text[])) ORDER BY user_id FOR UPDATE"
        ),
        {"ids": user_ids},
    )
    return {r.user_id: r.deposit_amount for r in rows}


SET_DEPOSITS = sa.text(
    """
WITH input AS (
  SELECT * FROM unnest(CAST(:user_ids AS text[]), CAST(:amounts AS bigint[]), CAST(:previous AS bigint[]))
    AS t(user_id, amount, previous)
  WHERE amount <> previous
),
updated AS (
  UPDATE activity.external_deposits d SET deposit_amount = i.amount, updated_at = :now, updated_by = :by
  FROM input i WHERE d.user_id = i.user_id
),
audited AS (
  INSERT INTO activity.deposit_audit (user_id, previous_amount, deposit_amount, changed_at, changed_by)
  SELECT user_id, previous, amount, :now, :by FROM input
  RETURNING id
),
published AS (
  INSERT INTO activity.deposit_outbox (audit_id) SELECT id FROM audited
)
INSERT INTO activity.user_activity AS ua (user_id, last_charge_at, updated_at)
SELECT user_id, :now, :now FROM input WHERE amount > previous ORDER BY user_id
ON CONFLICT (user_id) DO UPDATE SET
  last_charge_at = greatest(ua.last_charge_at, excluded.last_charge_at), updated_at = excluded.updated_at
"""
)


def set_deposits(
    conn: Connection, user_ids: list[str], amounts: list[int], previous: list[int], *, now: datetime, by: str
) -> None:
    conn.execute(SET_DEPOSITS, {"user_ids": user_ids, "amounts": amounts, "previous": previous, "now": now, "by": by})


# The relay's claim: takes a batch of outbox rows (SKIP LOCKED, so relays can run side by side) and
# reads each event's payload from the log through the (user_id, occurred_at) index.
CLAIM_OUTBOX = sa.text(
    """
WITH claimed AS (
  DELETE FROM activity.outbox WHERE id IN (
    SELECT id FROM activity.outbox ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED)
  RETURNING id, event_id, user_id, occurred_at
)
SELECT c.id, c.event_id::text AS key, jsonb_build_object(
    'event_id', e.event_id, 'user_id', e.user_id, 'event_type', e.event_type, 'value', e.value,
    'amount', e.amount, 'currency', e.currency, 'category', e.category, 'order_id', e.order_id,
    'meta', e.meta, 'occurred_at', e.occurred_at, 'recorded_at', e.recorded_at,
    'recorded_by', e.recorded_by) AS payload
FROM claimed c
LEFT JOIN activity.events e
  ON e.user_id = c.user_id AND e.occurred_at = c.occurred_at AND e.event_id = c.event_id
ORDER BY c.id
"""
)

outbox.register(outbox.Outbox(name="activity.outbox", topic=TOPIC_RECORDED, claim=CLAIM_OUTBOX))

TOPIC_DEPOSIT_CHANGED = "activity.deposit_changed"
CLAIM_DEPOSIT_OUTBOX = sa.text(
    """
WITH claimed AS (
  DELETE FROM activity.deposit_outbox WHERE id IN (
    SELECT id FROM activity.deposit_outbox ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED)
  RETURNING id, audit_id
)
SELECT c.id, 'deposit-' || c.audit_id AS key, jsonb_build_object(
    'user_id', a.user_id, 'previous_amount', a.previous_amount, 'deposit_amount', a.deposit_amount,
    'changed_at', a.changed_at, 'changed_by', a.changed_by) AS payload
FROM claimed c LEFT JOIN activity.deposit_audit a ON a.id = c.audit_id
ORDER BY c.id
"""
)

outbox.register(outbox.Outbox(name="activity.deposit_outbox", topic=TOPIC_DEPOSIT_CHANGED, claim=CLAIM_DEPOSIT_OUTBOX))


def ensure_event_partition(conn: Connection, month: datetime) -> bool:
    """Creates the partition of `month` unless it exists (moving its rows out of the default one)."""
    return conn.execute(sa.text("SELECT activity.ensure_event_partition(CAST(:m AS date))"), {"m": month}).scalar_one()
