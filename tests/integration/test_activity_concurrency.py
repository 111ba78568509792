"""Exactly-once ingestion under concurrency, with real threads against the real server and database."""

from __future__ import annotations

import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as pb

T = 10


def test_fifty_concurrent_posts_of_one_event_id_are_counted_once(activity, as_user, user_id, sql):
    me = as_user(user_id)
    req = pb.RecordActivityRequest(event_type=a.ROULETTE_PLAY, event_id=str(uuid.uuid4()))
    start = threading.Barrier(50)

    def post(_):
        start.wait()
        return activity.RecordActivity(req, metadata=me, timeout=T)

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(post, range(50)))
    assert sum(not r.duplicate for r in results) == 1
    assert len({(r.updated_at.seconds, r.updated_at.nanos) for r in results}) == 1
    got = activity.GetUserActivity(pb.GetUserActivityRequest(), metadata=me, timeout=T).activity
    assert got.roulette_plays == 1
    assert sql("SELECT count(*) FROM activity.events WHERE event_id = %(e)s", e=req.event_id) == [(1,)]
    assert sql("SELECT count(*) FROM activity.outbox WHERE event_id = %(e)s", e=req.event_id) == [(1,)]


def test_overlapping_concurrent_batches_count_each_event_once(activity, as_user):
    users = [f"cb-{uuid.uuid4().hex[:8]}" for _ in range(20)]
    events = [
        pb.RecordActivityRequest(user_id=users[i % 20], event_type=a.DICE_PLAY, event_id=str(uuid.uuid4()))
        for i in range(400)
    ]
    svc = as_user("svc", "service")
    start = threading.Barrier(8)

    def send(seed):
        batch = events[:]
        random.Random(seed).shuffle(batch)
        start.wait()
        return activity.RecordActivities(pb.RecordActivitiesRequest(events=batch), metadata=svc, timeout=T)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(8)))
    R = pb.RecordActivitiesResponse.EventResult
    recorded = sum(r.outcome == R.RECORDED for resp in responses for r in resp.results)
    assert recorded == 400
    for u in users:
        got = activity.GetUserActivity(pb.GetUserActivityRequest(user_id=u), metadata=svc, timeout=T).activity
        assert got.dice_plays == 20


def test_concurrent_deposit_upserts_of_one_user_keep_a_consistent_audit_trail(activity, as_user, sql, user_id):
    from engage.activity.v1 import activity_pb2 as ap

    admin = as_user("ops", "admin")
    amounts = [100 * (i + 1) for i in range(12)]
    start = threading.Barrier(len(amounts))

    def upsert(amount):
        start.wait()
        entries = [ap.DepositEntry(user_id=user_id, deposit_amount=amount)]
        return activity.UpsertExternalDeposits(pb.UpsertExternalDepositsRequest(entries=entries), metadata=admin, timeout=T)

    with ThreadPoolExecutor(len(amounts)) as pool:
        list(pool.map(upsert, amounts))
    audit = sql("SELECT previous_amount, deposit_amount FROM activity.deposit_audit WHERE user_id = %(u)s ORDER BY id", u=user_id)
    # Serialized by the row lock: each change starts from the amount the previous one left.
    assert len(audit) == len(amounts) and audit[0][0] == 0
    assert all(audit[i][0] == audit[i - 1][1] for i in range(1, len(audit)))
    final = sql("SELECT deposit_amount FROM activity.external_deposits WHERE user_id = %(u)s", u=user_id)
    assert final == [(audit[-1][1],)]
