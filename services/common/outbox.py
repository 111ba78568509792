"""The transactional outbox relay.

A service writes its events into its own `<schema>.outbox` table in the same transaction as the
change they describe, so a rolled-back transaction publishes nothing and a committed one is never
lost. The relay claims rows with FOR UPDATE SKIP LOCKED (relays may run side by side), publishes
them in id order, and deletes them in the same transaction: a crash between publish and commit
publishes again (at least once), which subscribers absorb by their event key.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa

from services.common import db, events

log = logging.getLogger("engage.outbox")

# Every service's outbox table; a service that publishes adds its table here.
OUTBOXES: tuple[str, ...] = ("activity.outbox",)


def _claim_sql(table: str) -> sa.TextClause:
    if table not in OUTBOXES:  # table names are never taken from input
        raise ValueError(f"unknown outbox {table}")
    return sa.text(
        f"DELETE FROM {table} WHERE id IN ("
        f"  SELECT id FROM {table} ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED"
        f") RETURNING id, topic, payload"
    )


def relay_once(table: str, batch: int = 500) -> int:
    """Publishes up to `batch` rows of `table`; returns how many."""
    with db.transaction() as conn:
        rows = sorted(conn.execute(_claim_sql(table), {"n": batch}).all(), key=lambda r: r.id)
        for row in rows:
            events.publish(row.topic, row.payload, key=row.payload.get("event_id") or str(row.id))
    return len(rows)


def relay_all(budget_seconds: float = 5.0, batch: int = 500) -> int:
    """Drains every outbox until empty or the time budget is spent; returns how many were published."""
    deadline = time.monotonic() + budget_seconds
    total = 0
    for table in OUTBOXES:
        while time.monotonic() < deadline:
            n = relay_once(table, batch)
            total += n
            if n < batch:
                break
    if total:
        log.info("outbox relayed", extra={"fields": {"published": total}})
    return total
