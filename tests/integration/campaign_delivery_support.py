"""Helpers of the campaign delivery tests: campaigns and segments written straight in SQL (the admin
API has its own tests), and a real in-process worker on the broker."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import dramatiq
from dramatiq import Worker

DEFAULTS = {
    "reward_type": "TOKEN",
    "reward_value": {"token_type": "DICE_TOKEN", "amount": 2},
    "message_title": "{campaign_name}",
    "message_template": "Hi {user_id}, you got {reward} from {campaign_name}",
    "channel": "IN_APP",
    "trigger": "SCHEDULED",
    "control_group_percent": 0,
    "status": "RUNNING",
}


def make_campaign(sql, segment: str | None = None, **fields) -> int:
    """A campaign row (RUNNING, SCHEDULED trigger, 2 DICE_TOKEN in-app unless told otherwise)."""
    row = {**DEFAULTS, "name": f"c-{uuid.uuid4().hex[:8]}", "segment": segment,
           "start_at": datetime.now(UTC) - timedelta(minutes=1), **fields}
    row["reward_value"] = json.dumps(row["reward_value"])
    cols = ", ".join(row)
    vals = ", ".join(f"%({k})s" for k in row)
    return sql(
        f"INSERT INTO campaign.campaigns ({cols}, created_at, created_by, updated_at, updated_by) "
        f"VALUES ({vals}, now(), 'test', now(), 'test') RETURNING id",
        **row,
    )[0][0]


def seed_segment(sql, n: int, prefix: str | None = None) -> tuple[str, list[str]]:
    """A fresh segment of n users; returns (segment, sorted user ids)."""
    segment = f"SEG_{uuid.uuid4().hex[:8]}"
    prefix = prefix or f"u{uuid.uuid4().hex[:6]}-"
    sql(
        "INSERT INTO segmentation.user_segments (user_id, segment, updated_at) "
        "SELECT %(p)s || lpad(g::text, 7, '0'), %(s)s, now() FROM generate_series(1, %(n)s) g",
        p=prefix, s=segment, n=n,
    )
    return segment, [f"{prefix}{g:07d}" for g in range(1, n + 1)]


def statuses(sql, campaign_id: int) -> dict[str, int]:
    return dict(sql("SELECT status, count(*) FROM campaign.campaign_logs WHERE campaign_id = %(c)s GROUP BY status", c=campaign_id))


def work(queues: set[str], until, seconds: float = 60, threads: int = 4) -> bool:
    """Runs a real in-process worker until `until()` holds (or `seconds` pass); whether it held."""
    broker = dramatiq.get_broker()
    for q in queues:
        broker.declare_queue(q)
    worker = Worker(broker, worker_threads=threads, queues=queues)
    worker.start()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if until():
                return True
            time.sleep(0.1)
        return until()
    finally:
        worker.stop()


def drain(queues: set[str], seconds: float = 60, threads: int = 4) -> None:
    """Runs a real in-process worker until the queues are empty and every message was processed."""
    broker = dramatiq.get_broker()
    for q in queues:
        broker.declare_queue(q)
    worker = Worker(broker, worker_threads=threads, queues=queues)
    worker.start()
    try:
        for q in queues:
            broker.join(q, timeout=int(seconds * 1000))
        worker.join()
    finally:
        worker.stop()
