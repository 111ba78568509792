"""The scheduler: one loop that sends each job's actor message when its time slot comes.

Any number of scheduler replicas may run. Each (job, slot) is claimed with
`INSERT ... ON CONFLICT DO NOTHING RETURNING` in platform.schedule_ticks, and the message is sent
inside the claiming transaction, so one replica fires each slot: if the send fails, the claim rolls
back and another replica may take it. If the commit fails after a successful send, the slot can fire
again, so delivery is at least once, like everything in Dramatiq, and every actor is idempotent.
Missed slots are not replayed: after downtime only the current slot fires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dramatiq
import sqlalchemy as sa
from croniter import croniter

from services.common import db

log = logging.getLogger("engage.scheduler")

CLAIM = sa.text(
    "INSERT INTO platform.schedule_ticks (job, slot, claimed_by) VALUES (:job, :slot, :by) "
    "ON CONFLICT DO NOTHING RETURNING job"
)


@dataclass(frozen=True)
class Job:
    name: str
    actor: dramatiq.Actor
    every: timedelta | None = None
    cron: str | None = None  # evaluated in the configured timezone

    def slot(self, now: datetime, tz: ZoneInfo) -> datetime:
        """The start of the slot `now` falls in (UTC)."""
        if self.every is not None:
            step = self.every.total_seconds()
            return datetime.fromtimestamp(now.timestamp() // step * step, UTC)
        assert self.cron is not None
        local = now.astimezone(tz)
        return croniter(self.cron, local + timedelta(microseconds=1)).get_prev(datetime).astimezone(UTC)


def claim_and_send(job: Job, slot: datetime, replica: str) -> bool:
    """Fires `job` for `slot` unless another replica already did; returns whether this one fired."""
    with db.transaction() as conn:
        won = conn.execute(CLAIM, {"job": job.name, "slot": slot, "by": replica}).first() is not None
        if won:
            job.actor.send()
    if won:
        # Interval jobs fire every few seconds: log them at DEBUG to keep the log readable.
        log.log(logging.DEBUG if job.every else logging.INFO, "fired", extra={"fields": {"job": job.name, "slot": slot.isoformat()}})
    return won


def run(jobs: list[Job], tz: ZoneInfo, stop: threading.Event, poll_seconds: float = 0.25) -> None:
    replica = f"{socket.gethostname()}:{os.getpid()}"
    fired: dict[str, datetime] = {}
    # A newly started scheduler counts the current slot of cron jobs as seen: it fires from the next
    # one (interval jobs fire at once).
    now = datetime.now(UTC)
    for job in jobs:
        if job.cron:
            fired[job.name] = job.slot(now, tz)
    log.info("scheduler started", extra={"fields": {"replica": replica, "jobs": [j.name for j in jobs]}})
    while not stop.is_set():
        now = datetime.now(UTC)
        for job in jobs:
            slot = job.slot(now, tz)
            if fired.get(job.name) == slot:
                continue
            try:
                claim_and_send(job, slot, replica)
                fired[job.name] = slot
            except Exception:
                log.exception("could not fire %s; will retry", job.name)
        stop.wait(poll_seconds)
