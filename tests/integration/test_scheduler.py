"""Several scheduler replicas fire each slot exactly once (a claim row, not luck)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dramatiq

from services.common import broker as _broker  # noqa: F401
from services.common import scheduler

SENT: list[int] = []
_lock = threading.Lock()


class _CountingActor:
    """Stands in for the actor so the count is exact; the claim and the transaction are real."""

    def send(self):
        with _lock:
            SENT.append(1)


def test_four_replicas_fire_each_of_fifty_slots_once(sql):
    job = scheduler.Job(f"test-job-{datetime.now().timestamp()}", _CountingActor(), every=timedelta(seconds=1))
    base = datetime(2026, 1, 1, tzinfo=UTC)
    slots = [base + timedelta(seconds=i) for i in range(50)]
    start = threading.Barrier(4)

    def replica(n):
        start.wait()
        return sum(scheduler.claim_and_send(job, s, f"replica-{n}") for s in slots)

    with ThreadPoolExecutor(4) as pool:
        wins = list(pool.map(replica, range(4)))
    assert sum(wins) == 50 and len(SENT) == 50
    assert sql("SELECT count(*) FROM platform.schedule_ticks WHERE job = %(j)s", j=job.name) == [(50,)]


def test_a_failed_send_releases_the_slot_for_another_replica():
    class Failing:
        def send(self):
            raise ConnectionError("broker down")

    name = f"test-fail-{datetime.now().timestamp()}"
    slot = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        scheduler.claim_and_send(scheduler.Job(name, Failing(), every=timedelta(seconds=1)), slot, "a")
    except ConnectionError:
        pass
    before = len(SENT)
    assert scheduler.claim_and_send(scheduler.Job(name, _CountingActor(), every=timedelta(seconds=1)), slot, "b")
    assert len(SENT) == before + 1


def test_cron_slots_follow_the_configured_timezone():
    job = scheduler.Job("daily", dramatiq.get_broker(), cron="0 4 * * *")
    seoul = ZoneInfo("Asia/Seoul")
    # 2026-03-01 20:30 UTC is 05:30 on 2 March in Seoul: the current slot is 04:00 Seoul = 19:00 UTC.
    assert job.slot(datetime(2026, 3, 1, 20, 30, tzinfo=UTC), seoul) == datetime(2026, 3, 1, 19, 0, tzinfo=UTC)
    # 18:59 UTC is 03:59 Seoul: still the previous day's slot.
    assert job.slot(datetime(2026, 3, 1, 18, 59, tzinfo=UTC), seoul) == datetime(2026, 2, 28, 19, 0, tzinfo=UTC)
