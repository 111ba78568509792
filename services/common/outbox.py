"""The transactional outbox relay.

A service writes a row into its own outbox table in the same transaction as the change it
describes, so a rolled-back transaction publishes nothing and a committed one is never lost. Each
service registers its outbox with a claim statement that deletes a batch of rows (FOR UPDATE SKIP
LOCKED, so relays may run side by side) and returns (id, key, payload) in order. The relay publishes
them and commits the deletion afterwards: a crash between publish and commit publishes again (at
least once), which subscribers absorb by the key.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import sqlalchemy as sa

from services.common import db, events

log = logging.getLogger("engage.outbox")


@dataclass(frozen=True)
class Outbox:
    name: str
    topic: str
    claim: sa.TextClause  # takes :n, returns (id, key, payload) ordered by id


_registry: dict[str, Outbox] = {}


def register(box: Outbox) -> None:
    _registry[box.name] = box


def registered() -> list[Outbox]:
    return list(_registry.values())


def relay_once(box: Outbox, batch: int = 500) -> int:
    """Publishes up to `batch` pending events of `box`; returns how many rows it took."""
    with db.transaction() as conn:
        rows = conn.execute(box.claim, {"n": batch}).all()
        for row in rows:
            if row.payload is None:  # cannot happen: the event is written in the same statement
                log.error("outbox row %s has no event; dropped", row.id)
                continue
            events.publish(box.topic, row.payload, key=row.key)
    return len(rows)


def relay_all(budget_seconds: float = 5.0, batch: int = 500) -> int:
    """Drains every outbox until empty or the time budget is spent; returns how many were published."""
    deadline = time.monotonic() + budget_seconds
    total = 0
    pending = registered()
    # Round robin: a busy outbox cannot starve the others.
    while pending and time.monotonic() < deadline:
        still = []
        for box in pending:
            n = relay_once(box, batch)
            total += n
            if n == batch:
                still.append(box)
        pending = still
    if total:
        log.info("outbox relayed", extra={"fields": {"published": total}})
    return total
