"""The transactional outbox: written with the event, never for a rolled-back one, relayed to a real broker once."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import replace

import dramatiq
import pytest
import sqlalchemy.exc
from dramatiq import Worker
from prometheus_client import REGISTRY

from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as pb
from services.activity import service
from services.activity.domain import NewEvent
from services.common import broker as engage_broker
from services.common import events, outbox
from services.common.auth import Principal, Role

T = 5
RECEIVED: list[str] = []
_lock = threading.Lock()
QUEUE = f"test_activity_recorded_{uuid.uuid4().hex[:6]}"


@events.subscriber("activity.recorded", actor_name=f"test.on_recorded_{QUEUE}", queue_name=QUEUE, max_retries=0)
def on_recorded(payload: dict) -> None:
    with _lock:
        RECEIVED.append(payload["event_id"])


def _event(user_id: str) -> NewEvent:
    from datetime import UTC, datetime

    return NewEvent(str(uuid.uuid4()), user_id, "VISIT", None, None, None, None, None, {"k": 1}, datetime.now(UTC), False)


def test_a_failed_write_publishes_nothing(sql, user_id):
    # The counters overflow inside the one statement that also writes the key, the event and the
    # outbox row: the statement fails as a whole, and nothing of the batch remains.
    sql("INSERT INTO activity.user_activity (user_id, total_play_duration) VALUES (%(u)s, 9223372036854775800)", u=user_id)
    overflow = replace(_event(user_id), event_type="PLAY_DURATION", value=100, meta=None)
    bystander = _event(f"{user_id}-b")
    with pytest.raises(sqlalchemy.exc.DataError):
        service.record_events([overflow, bystander], Principal("svc", Role.SERVICE))
    ids = [overflow.event_id, bystander.event_id]
    for table in ("event_keys", "events", "outbox"):
        assert sql(f"SELECT count(*) FROM activity.{table} WHERE event_id = ANY(%(ids)s)", ids=ids) == [(0,)]


def test_the_outbox_delivers_each_recorded_event_once_to_a_real_broker(activity, as_user, sql):
    broker = dramatiq.get_broker()
    assert broker is engage_broker.BROKER
    broker.declare_queue(QUEUE)
    broker.flush(QUEUE)
    svc = as_user("svc", "service")
    users = [f"ob-{uuid.uuid4().hex[:8]}" for _ in range(5)]
    reqs = [pb.RecordActivityRequest(user_id=users[i % 5], event_type=a.VISIT, event_id=str(uuid.uuid4())) for i in range(60)]
    activity.RecordActivities(pb.RecordActivitiesRequest(events=reqs), metadata=svc, timeout=T)
    activity.RecordActivities(pb.RecordActivitiesRequest(events=reqs[:20]), metadata=svc, timeout=T)  # replays
    mine = {r.event_id for r in reqs}
    # Committed events wait in the outbox until a relay runs: a crash before publishing loses nothing.
    (waiting,) = sql("SELECT count(*) FROM activity.outbox WHERE event_id::text = ANY(%(ids)s)", ids=list(mine))[0]
    assert waiting == 60

    jobs_before = REGISTRY.get_sample_value("engage_job_total", {"actor": on_recorded.actor_name, "outcome": "ok"}) or 0
    outbox.relay_all()
    worker = Worker(broker, worker_threads=2, queues={QUEUE})
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not mine <= set(RECEIVED):
            time.sleep(0.1)
        time.sleep(0.5)  # let any duplicate arrive before judging
    finally:
        worker.stop()
    got = [e for e in RECEIVED if e in mine]
    assert sorted(got) == sorted(mine)  # every event, each exactly once
    jobs_after = REGISTRY.get_sample_value("engage_job_total", {"actor": on_recorded.actor_name, "outcome": "ok"})
    assert jobs_after - jobs_before >= 60  # the worker's job metrics counted them
    assert sql("SELECT count(*) FROM activity.outbox WHERE event_id::text = ANY(%(ids)s)", ids=list(mine)) == [(0,)]
