"""`engage bench-campaign`: how fast a SCHEDULED campaign reaches its segment.

It creates a scratch database next to DATABASE_URL's (dropped afterwards), seeds N users into a
segment with one set-based statement, and creates a RUNNING TOKEN/IN_APP campaign over it. Then it
times the launch (the segment snapshot into logs and batches) and the enqueue (one message per
batch), starts 2 worker processes (`dramatiq services.actors --queues campaign`) and reports
deliveries per second until no log is pending. Last it times the launch and enqueue of a
`--enqueue-users` campaign without delivering it (the queue is purged afterwards).

The broker is the scratch database's own PostgreSQL queue unless `--broker-url` names one (use a
private RabbitMQ vhost): an inherited BROKER_URL is ignored, since the benchmark purges the
`campaign` queue and its workers would consume other processes' messages. `--reward points` grants
loyalty points instead of tokens and `--reward coupon` a personal coupon code, `--reward offer` one of
two token offers chosen by the learning selection (each set-based per batch, like tokens).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg

from services.common import migrate
from services.tools import scratch
from services.common.config import libpq_url, settings

SEED = (
    "INSERT INTO segmentation.user_segments (user_id, segment, updated_at) "
    "SELECT %(p)s || g, %(s)s, now() FROM generate_series(1, %(n)s) g"
)
CAMPAIGN = (
    "INSERT INTO campaign.campaigns (name, segment, start_at, reward_type, reward_value, message_title, message_template, "
    "channel, trigger, status, created_at, created_by, updated_at, updated_by) VALUES (%(name)s, %(s)s, now(), %(type)s, "
    "%(value)s, '{campaign_name}', 'Hi {user_id}, {reward} for you', 'IN_APP', "
    "'SCHEDULED', 'RUNNING', now(), 'bench', now(), 'bench') RETURNING id"
)
REWARDS = {
    "tokens": ("TOKEN", '{"token_type": "DICE_TOKEN", "amount": 1}'),
    "points": ("POINTS", '{"points": 10}'),
    "coupon": ("COUPON", None),  # a personal code per user from a template made by _seed
    "offer": ("OFFER", '{"offers": [{"arm": "dice", "label": "1 dice", "reward_type": "TOKEN", "reward_value": '
              '{"token_type": "DICE_TOKEN", "amount": 1}}, {"arm": "coin", "label": "1 coin", "reward_type": "TOKEN", '
              '"reward_value": {"token_type": "CC_COIN", "amount": 1}}]}'),
}
TEMPLATE = (
    "INSERT INTO coupon.coupons (code, type, value, token_type, created_at, created_by, updated_at, updated_by) "
    "VALUES ('BENCH-TEMPLATE', 'FIXED', 5, 'CC_COIN', now(), 'bench', now(), 'bench') RETURNING id"
)


def _seed(url: str, n: int, prefix: str, segment: str, reward: str = "tokens") -> tuple[int, float]:
    started = time.perf_counter()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(SEED, {"p": prefix, "s": segment, "n": n})
        conn.execute("ANALYZE segmentation.user_segments")
        kind, value = REWARDS[reward]
        if kind == "COUPON":
            value = '{"coupon_id": "%d"}' % conn.execute(TEMPLATE).fetchone()[0]  # type: ignore[index]
        cid = conn.execute(CAMPAIGN, {"name": f"bench {segment}", "s": segment, "type": kind, "value": value}).fetchone()[0]  # type: ignore[index]
    return cid, time.perf_counter() - started


def _pending(url: str, cid: int) -> tuple[int, int]:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'PENDING'), count(*) FILTER (WHERE status = 'DELIVERED') "
            "FROM campaign.campaign_logs WHERE campaign_id = %(c)s",
            {"c": cid},
        ).fetchone()
    return row[0], row[1]  # type: ignore[index]


def _launch(cid: int, batch_size: int) -> tuple[int, float, int, float]:
    from services.campaign import delivery

    t0 = time.perf_counter()
    targeted = delivery.launch(cid, batch_size=batch_size)
    t1 = time.perf_counter()
    messages = delivery.enqueue(cid)
    return targeted, t1 - t0, messages, time.perf_counter() - t1


def _purge(broker) -> None:
    """Empties the benchmark's queue (a private RabbitMQ vhost); the PostgreSQL queue lives in the
    scratch database, fresh and dropped afterwards, and has no purge."""
    try:
        broker.flush("campaign")
    except NotImplementedError:
        pass


def main(args) -> int:
    url, drop_database = scratch.create_database("campbench")
    # This process and the workers it starts use the scratch database (and, without BROKER_URL, its queue).
    os.environ["DATABASE_URL"] = url
    os.environ["BROKER_URL"] = getattr(args, "broker_url", "") or url
    settings.cache_clear()
    workers: list[subprocess.Popen] = []
    try:
        migrate.upgrade(url)
        import dramatiq

        from services.campaign import actors  # noqa: F401  (configures the broker, declares the queue)
        from services.common import db

        broker = dramatiq.get_broker()
        _purge(broker)
        size = args.batch_size or settings().campaign_batch_size
        reward = getattr(args, "reward", "tokens")
        cid, seeded = _seed(url, args.users, "b", "BENCH", reward)
        broker_name = os.environ["BROKER_URL"].rsplit("@", 1)[-1] if getattr(args, "broker_url", "") else "the scratch database's queue"
        print(f"seeded {args.users:,} users in {seeded:.1f} s; batch size {size:,}; reward {reward}; broker {broker_name}")
        targeted, launch_s, messages, enqueue_s = _launch(cid, size)
        print(f"launch: {targeted:,} logs and their batches in {launch_s:.2f} s; enqueue: {messages:,} messages in {enqueue_s:.2f} s")
        env = {**os.environ, "METRICS_PORT": "0"}
        started = time.perf_counter()
        for _ in range(args.workers):
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "dramatiq", "services.actors", "--processes", "1", "--threads", str(args.threads),
                 "--queues", "campaign"],
                env=env, start_new_session=True,
            ))
        first = None
        deadline = started + args.timeout
        pending, delivered = targeted, 0
        while time.perf_counter() < deadline:
            pending, delivered = _pending(url, cid)
            if first is None and delivered:
                first = time.perf_counter()
            if pending == 0:
                break
            time.sleep(0.2)
        total = time.perf_counter() - started
        busy = time.perf_counter() - (first or started)
        print(f"delivered {delivered:,} of {targeted:,} with {args.workers} worker processes x {args.threads} threads: "
              f"{total:.1f} s from worker start ({busy:.1f} s from the first delivery), "
              f"{delivered / busy if busy else 0:,.0f} deliveries/s; still pending: {pending:,}")
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(30)
        workers.clear()
        if args.enqueue_users:
            cid, seeded = _seed(url, args.enqueue_users, "e", "BENCH_ENQUEUE")
            print(f"seeded {args.enqueue_users:,} users in {seeded:.1f} s")
            targeted, launch_s, messages, enqueue_s = _launch(cid, size)
            print(f"enqueue of a {targeted:,}-user campaign: launch {launch_s:.2f} s + enqueue of {messages:,} messages "
                  f"{enqueue_s:.2f} s = {launch_s + enqueue_s:.2f} s")
            _purge(broker)
        db.engine().dispose()
    finally:
        for w in workers:
            try:
                os.killpg(w.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            w.wait(10)
        drop_database()
    return 0
