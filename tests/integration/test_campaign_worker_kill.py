"""Killing the worker process mid-delivery (SIGKILL: no cleanup, unacknowledged messages, open
transactions) and starting a new one still yields exactly one log, one reward and one inbox message
per user."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import dramatiq

from campaign_delivery_support import make_campaign, seed_segment, statuses
from services.campaign import delivery


def _worker() -> subprocess.Popen:
    env = {**os.environ, "CAMPAIGN_BATCH_SIZE": "5", "METRICS_PORT": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "services.actors", "--processes", "1", "--threads", "2", "--queues", "campaign"],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _kill(proc: subprocess.Popen, sig: int) -> None:
    """Signals the worker's own process group (the dramatiq parent and its worker process)."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    proc.wait(30)


def _delivered(sql, cid) -> int:
    return statuses(sql, cid).get("DELIVERED", 0)


def test_a_killed_worker_leaves_exactly_one_delivery_per_user(sql, ledger_matches_wallets):
    broker = dramatiq.get_broker()
    broker.declare_queue("campaign")
    broker.flush("campaign")
    segment, users = seed_segment(sql, 1000)
    cid = make_campaign(sql, segment)
    assert delivery.launch(cid, batch_size=5) == 1000
    assert delivery.enqueue(cid) == 200
    first = _worker()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _delivered(sql, cid) == 0:
            time.sleep(0.005)
        time.sleep(0.3)  # mid-way through the batches
    finally:
        _kill(first, signal.SIGKILL)
    before = _delivered(sql, cid)
    print(f"\ndelivered before the kill: {before} of 1000")
    assert 0 < before < 1000, "the kill should land mid-delivery"
    second = _worker()
    try:
        # The broker hands the dead worker's unacknowledged messages to the new one; a claimed
        # batch whose transaction died with it was rolled back and is simply delivered again.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and _delivered(sql, cid) < 1000:
            time.sleep(0.2)
    finally:
        _kill(second, signal.SIGTERM)
    assert statuses(sql, cid) == {"DELIVERED": 1000}
    key = f"campaign:{cid}:%"
    assert sql("SELECT count(*), count(DISTINCT user_id) FROM reward.ledger WHERE idempotency_key LIKE %(k)s", k=key) == [(1000, 1000)]
    assert sql("SELECT count(*), count(DISTINCT user_id) FROM campaign.inbox_messages WHERE campaign_id = %(c)s", c=cid) == [(1000, 1000)]
    assert sql("SELECT sum(balance) FROM reward.wallets WHERE user_id = ANY(%(u)s) AND token_type = 'DICE_TOKEN'", u=users) == [(2000,)]
    assert sql("SELECT count(*) FROM campaign.batches WHERE campaign_id = %(c)s AND status = 'DONE'", c=cid) == [(200,)]
