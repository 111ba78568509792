"""Segmentation's jobs on a real broker: re-evaluation after activity, published segment changes,
the scheduled run, and several scheduler processes firing each slot once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid

import dramatiq
from dramatiq import Worker

from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as pb
from services.common import events, outbox
from services.segmentation import actors as seg_actors
from services.segmentation import service

CHANGES: list[dict] = []
_lock = threading.Lock()
QUEUE = f"test_segment_changes_{uuid.uuid4().hex[:6]}"


@events.subscriber("segmentation.changed", actor_name=f"test.on_segment_changed_{QUEUE}", queue_name=QUEUE, max_retries=0)
def on_changed(payload: dict) -> None:
    with _lock:
        CHANGES.append(payload)


def _work(queues: set[str], until, seconds: float = 20, linger: float = 0.0) -> None:
    """Runs a real worker until `until()` holds, then `linger` seconds more (to let duplicates show)."""
    broker = dramatiq.get_broker()
    for q in queues:
        broker.declare_queue(q)
    worker = Worker(broker, worker_threads=2, queues=queues)
    worker.start()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until():
            time.sleep(0.1)
        time.sleep(linger)
    finally:
        worker.stop()


def _segment(sql, uid):
    rows = sql("SELECT segment, rule_id FROM segmentation.user_segments WHERE user_id = %(u)s", u=uid)
    return rows[0][0] if rows else None


def test_activity_re_evaluates_the_user_within_seconds(activity, as_user, sql):
    uid = f"rt-{uuid.uuid4().hex[:8]}"
    sql("INSERT INTO activity.external_deposits (user_id, deposit_amount, updated_at, updated_by) VALUES (%(u)s, 2000000, now(), 't')", u=uid)
    activity.RecordActivity(pb.RecordActivityRequest(event_type=a.VISIT), metadata=as_user(uid), timeout=5)
    outbox.relay_all()
    _work({"segmentation"}, lambda: _segment(sql, uid) == "VIP")
    assert _segment(sql, uid) == "VIP"
    history = sql("SELECT from_segment, to_segment, run_id FROM segmentation.segment_history WHERE user_id = %(u)s", u=uid)
    assert history == [(None, "VIP", None)]


def test_a_deposit_upsert_re_evaluates_the_user(activity, as_user, sql):
    from engage.activity.v1 import activity_pb2 as ap

    uid = f"dep-{uuid.uuid4().hex[:8]}"
    entries = [ap.DepositEntry(user_id=uid, deposit_amount=1_500_000)]
    activity.UpsertExternalDeposits(pb.UpsertExternalDepositsRequest(entries=entries), metadata=as_user("ops", "admin"), timeout=5)
    outbox.relay_all()
    _work({"segmentation"}, lambda: _segment(sql, uid) == "VIP")
    assert _segment(sql, uid) == "VIP"


def test_segment_changes_are_published_once(sql):
    broker = dramatiq.get_broker()
    broker.declare_queue(QUEUE)
    broker.flush(QUEUE)
    uid = f"pub-{uuid.uuid4().hex[:8]}"
    sql("INSERT INTO activity.user_activity (user_id, first_seen_at, last_active_at) VALUES (%(u)s, now(), now())", u=uid)
    # Concurrent re-evaluations of one new user: one change, one history row, one publication.
    start = threading.Barrier(4)

    def again():
        start.wait()
        service.reevaluate_users([uid])

    threads = [threading.Thread(target=again) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sql("SELECT count(*) FROM segmentation.segment_history WHERE user_id = %(u)s", u=uid) == [(1,)]
    outbox.relay_all()
    _work({QUEUE}, lambda: any(c["user_id"] == uid for c in CHANGES), linger=1.0)
    mine = [c for c in CHANGES if c["user_id"] == uid]
    assert len(mine) == 1 and (mine[0]["from_segment"], mine[0]["to_segment"]) == (None, "NEW")


def test_the_scheduled_run_executes_on_a_worker(sql):
    (before,) = sql("SELECT coalesce(max(id), 0) FROM segmentation.segment_runs")[0]
    seg_actors.run_batch.send()
    done = lambda: sql("SELECT count(*) FROM segmentation.segment_runs WHERE id > %(i)s AND trigger = 'schedule' AND finished_at IS NOT NULL", i=before)[0][0] >= 1  # noqa: E731
    _work({"segmentation"}, done, seconds=60)
    assert done()


CLAIMER = """
import sys
from datetime import UTC, datetime, timedelta
from services.common import jobs, scheduler
job = scheduler.Job(sys.argv[1], jobs.prune_schedule_ticks, every=timedelta(seconds=1))
base = datetime(2026, 1, 1, tzinfo=UTC)
print(sum(scheduler.claim_and_send(job, base + timedelta(seconds=i), sys.argv[2]) for i in range(40)))
"""


def test_three_scheduler_processes_fire_each_slot_once(sql):
    name = f"test-procs-{uuid.uuid4().hex[:6]}"
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, name, f"p{i}"], stdout=subprocess.PIPE, text=True) for i in range(3)]
    wins = [int(p.communicate(timeout=60)[0].strip()) for p in procs]
    assert sum(wins) == 40
    assert sql("SELECT count(*) FROM platform.schedule_ticks WHERE job = %(j)s", j=name) == [(40,)]
    dramatiq.get_broker().flush("platform")
