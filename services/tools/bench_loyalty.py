"""`engage bench-loyalty`: the dashboard and the leaderboards over gRPC at N synthetic members, beside
the bare SQL each call runs.

It creates a scratch database next to DATABASE_URL's (dropped afterwards) and fills it set-based: N
members across the five tiers with a spendable lot each (every tenth with a held one too), both
streaks, badges and joined running challenges for a share of them, a monthly total for every member
and a weekly one for 40%, and referral links. Totals are skewed like real spend: log-normal (median
about 60,000 KRW monthly, 22,000 weekly, a long tail into the millions, in 10 KRW steps), so the
bands of the rank ladder are uneven. The ladder is folded for 98% of the members; the other 2% are
left as appended, unfolded deltas (a fold lagging behind), and a purchase writer running through the
real `record_order_event` (so `leaderboards.count` and its band deltas) appends more during the
timed reads. Then it starts a server and times, one call at a time for random members:
GetDashboard, GetLeaderboard monthly and weekly (top 100 and the caller's own rank) and the friends
scope; and the same statements replayed straight on PostgreSQL (captured from one real call).
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import grpc
import psycopg
from engage.loyalty.v1 import loyalty_service_pb2 as pb
from engage.loyalty.v1 import loyalty_service_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import event

from services.common import auth, db, migrate
from services.tools import scratch
from services.common.config import libpq_url, settings
from services.tools.bench import _free_port, _pct, _wait

FILL = """
INSERT INTO loyalty.members (user_id, tier_code, lifetime_spend, tier_since, updated_at)
SELECT 'u' || g, CASE WHEN s >= 1500000 THEN 'DIAMOND' WHEN s >= 700000 THEN 'PLATINUM' WHEN s >= 300000 THEN 'GOLD'
  WHEN s >= 100000 THEN 'SILVER' ELSE 'BRONZE' END, s, now(), now()
FROM (SELECT g, (random() * 2000000)::bigint AS s FROM generate_series(1, %(n)s) g) x;
INSERT INTO loyalty.lots (user_id, points, remaining, reason, source, idempotency_key, available_at, released_at, expires_at, created_at)
SELECT 'u' || g, p, p, 'PURCHASE', 'purchase', 'bench:' || g, now() - interval '10 days', now() - interval '10 days',
  now() + interval '300 days', now()
FROM (SELECT g, 1 + (random() * 20000)::bigint AS p FROM generate_series(1, %(n)s) g) x;
INSERT INTO loyalty.lots (user_id, points, remaining, reason, source, idempotency_key, available_at, released_at, expires_at, created_at)
SELECT 'u' || g, 2000, 2000, 'REFERRAL', 'referral', 'bench-held:' || g, now() + interval '7 days', NULL,
  now() + interval '372 days', now()
FROM generate_series(1, %(n)s, 10) g;
INSERT INTO loyalty.accounts (user_id, balance, updated_at)
SELECT user_id, coalesce(sum(remaining) FILTER (WHERE released_at IS NOT NULL), 0), now() FROM loyalty.lots GROUP BY user_id;
INSERT INTO loyalty.leaderboard_totals (period, period_start, user_id, total, reached_at)
SELECT 'MONTHLY', %(month)s, 'u' || g,
  greatest(100, round(exp(11 + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) / 10) * 10)::bigint,
  %(month_at)s + random() * interval '20 days'
FROM generate_series(1, %(n)s) g;
INSERT INTO loyalty.leaderboard_totals (period, period_start, user_id, total, reached_at)
SELECT 'WEEKLY', %(week)s, 'u' || g,
  greatest(100, round(exp(10 + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) / 10) * 10)::bigint,
  %(week_at)s + random() * interval '5 days'
FROM generate_series(1, %(n)s) g WHERE random() < 0.4;
INSERT INTO loyalty.leaderboard_bands (period, period_start, band, members)
SELECT period, period_start, loyalty.leaderboard_band(total), count(*) FROM loyalty.leaderboard_totals
WHERE total > 0 AND substr(user_id, 2)::bigint %% 50 <> 0
GROUP BY 1, 2, 3;
INSERT INTO loyalty.leaderboard_band_deltas (period, period_start, band, delta)
SELECT period, period_start, loyalty.leaderboard_band(total), 1 FROM loyalty.leaderboard_totals
WHERE total > 0 AND substr(user_id, 2)::bigint %% 50 = 0;
INSERT INTO loyalty.referrals (referee_id, referrer_id, code, attached_at, state)
SELECT 'u' || g, 'u' || (g / 3), 'BENCH', now(), 'ATTACHED' FROM generate_series(3, %(n)s, 2) g;
INSERT INTO loyalty.streaks (user_id, streak_type, current_count, max_count, last_day, run_start, freezes, updated_at)
SELECT 'u' || g, 'daily_visit', c, c + (random() * 10)::int, %(today)s, %(today)s - c, (random() * 2)::int, now()
FROM (SELECT g, (random() * 50)::int AS c FROM generate_series(1, %(n)s) g) x;
INSERT INTO loyalty.streaks (user_id, streak_type, current_count, max_count, last_day, run_start, freezes, updated_at)
SELECT 'u' || g, 'purchase', 1, 3, %(today)s, %(today)s, 0, now() FROM generate_series(1, %(n)s, 3) g;
INSERT INTO loyalty.badges (code, name, description, icon_url, condition_type, condition_value, counter, target, points_reward,
  is_hidden, created_at, created_by, updated_at, updated_by)
SELECT 'BENCH' || i, 'badge ' || i, '', '', 'review_count', jsonb_build_object('count', i), 'reviews', i, 0, false, now(), 'bench',
  now(), 'bench'
FROM generate_series(1, 20) i;
INSERT INTO loyalty.user_badges (user_id, badge_id, earned_at)
SELECT 'u' || g, b.id, now() - random() * interval '100 days'
FROM generate_series(1, %(n)s, 3) g CROSS JOIN (SELECT id FROM loyalty.badges ORDER BY id LIMIT 6) b;
INSERT INTO loyalty.challenges (title, description, challenge_type, target_value, target, reward, start_date, end_date, is_active,
  created_at, created_by, updated_at, updated_by)
SELECT 'challenge ' || i, '', 'purchase_count', jsonb_build_object('count', 5), 5, '{"points": 100}', %(today)s - 5, %(today)s + 20,
  true, now(), 'bench', now(), 'bench'
FROM generate_series(1, 5) i;
INSERT INTO loyalty.user_challenges (user_id, challenge_id, progress, joined_at)
SELECT 'u' || g, c.id, (random() * 4)::int, now() FROM generate_series(1, %(n)s, 5) g CROSS JOIN (SELECT id FROM loyalty.challenges) c;
VACUUM ANALYZE
"""

PROBE = "u12345"  # the member whose call is captured; others are substituted into the statements


def fill(url: str, n: int) -> float:
    from services.loyalty import leaderboards

    now = datetime.now(UTC)
    today = leaderboards.today(now)
    month, week = leaderboards.period_start("MONTHLY", today), leaderboards.period_start("WEEKLY", today)
    params = {"n": n, "today": today, "month": month, "week": week,
              "month_at": datetime.combine(month, datetime.min.time(), UTC), "week_at": datetime.combine(week, datetime.min.time(), UTC)}
    started = time.perf_counter()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for statement in filter(str.strip, FILL.split(";")):
            conn.execute(statement, {k: v for k, v in params.items() if f"%({k})s" in statement})  # type: ignore[arg-type]
    return time.perf_counter() - started


def capture(call: Callable[[], object]) -> list[str]:
    """The statements one service call runs, rendered with their parameters."""
    statements: list[str] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        statements.append(psycopg.ClientCursor(conn.connection.driver_connection).mogrify(statement, parameters))

    event.listen(db.engine(), "before_cursor_execute", grab)
    try:
        call()
    finally:
        event.remove(db.engine(), "before_cursor_execute", grab)
    return statements


def bare(url: str, statements: list[str], users: list[str]) -> list[float]:
    """Latency of the captured statements, as one transaction per member, straight on PostgreSQL."""
    out = []
    with psycopg.connect(libpq_url(url)) as conn:
        for u in users:
            started = time.perf_counter()
            with conn.transaction():
                for s in statements:
                    conn.execute(s.replace(f"'{PROBE}'", f"'{u}'")).fetchall()
            out.append(time.perf_counter() - started)
    return out


class Writer(threading.Thread):
    """Purchases for random members through the real event path (`record_order_event`: points,
    tiers, referrals and the leaderboard totals with their band deltas), at about `rate` a second,
    while the reads are timed."""

    def __init__(self, n: int, rate: float) -> None:
        super().__init__(daemon=True)
        self.n, self.rate, self.stop = n, rate, threading.Event()
        self.latencies: list[float] = []
        self.errors = 0

    def run(self) -> None:
        from services.loyalty import service

        rng = random.Random(99)
        while not self.stop.is_set():
            started = time.perf_counter()
            amount = max(100, round(math.exp(rng.gauss(10.5, 1.2)) / 10) * 10)
            try:
                service.record_order_event({"event_id": str(uuid.uuid4()), "user_id": f"u{rng.randint(1, self.n)}", "event_type": "PURCHASE",
                                            "amount": amount, "order_id": f"bench-{uuid.uuid4().hex[:12]}",
                                            "occurred_at": datetime.now(UTC)})
                self.latencies.append(time.perf_counter() - started)
            except Exception:  # noqa: BLE001 (counted and reported: a benchmark keeps going)
                self.errors += 1
            self.stop.wait(max(0.0, 1 / self.rate - (time.perf_counter() - started)))


def timed(call: Callable[[str], object], users: list[str]) -> list[float]:
    out = []
    for u in users:
        started = time.perf_counter()
        call(u)
        out.append(time.perf_counter() - started)
    return out


def main(args) -> int:
    s = settings()
    url, drop_database = scratch.create_database("loybench")
    rows: list[tuple[str, list[float]]] = []
    server = None
    try:
        migrate.upgrade(url)
        filled = fill(url, args.users)
        print(f"filled {args.users:,} members in {filled:.1f} s")
        db.use_engine(db.make_engine(url, 4))
        from services.loyalty import dashboard, leaderboards

        scripts = {
            "dashboard": capture(lambda: dashboard.dashboard(PROBE)),
            "monthly": capture(lambda: leaderboards.board(PROBE, "monthly")),
            "weekly": capture(lambda: leaderboards.board(PROBE, "weekly")),
            "friends": capture(lambda: leaderboards.board(PROBE, "monthly", "friends")),
        }
        port = _free_port()
        env = dict(os.environ, DATABASE_URL=url, GRPC_PORT=str(port), METRICS_PORT="0", LOG_LEVEL="WARNING", ENGAGE_HOME=str(s.home),
                   GRPC_PROCESSES="1")
        server = subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve", "--service", "loyalty"], env=env)
        target = f"127.0.0.1:{port}"
        channel = grpc.insecure_channel(target)
        health = health_pb2_grpc.HealthStub(channel)
        _wait(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING)
        stub = loyalty_service_pb2_grpc.LoyaltyServiceStub(channel)
        key = auth.load_or_create_dev_key(s.dev_key_path)
        tokens: dict[str, tuple] = {}

        def md(u: str) -> tuple:
            if u not in tokens:
                tokens[u] = (("authorization", f"Bearer {auth.issue_token(s, u, 'user', key=key)}"),)
            return tokens[u]

        rng = random.Random(7)
        users = [f"u{rng.randint(1, args.users)}" for _ in range(args.requests)]
        # The bare replay takes other members: the same ones would find their pages cached by the call.
        others = [f"u{rng.randint(1, args.users)}" for _ in range(args.requests)]
        for u in users:
            md(u)  # tokens signed before the clock starts
        calls = {
            "dashboard": lambda u: stub.GetDashboard(pb.GetDashboardRequest(), metadata=md(u), timeout=10),
            "monthly": lambda u: stub.GetLeaderboard(pb.GetLeaderboardRequest(period="monthly"), metadata=md(u), timeout=10),
            "weekly": lambda u: stub.GetLeaderboard(pb.GetLeaderboardRequest(period="weekly"), metadata=md(u), timeout=10),
            "friends": lambda u: stub.GetLeaderboard(pb.GetLeaderboardRequest(period="monthly", scope="friends"), metadata=md(u), timeout=10),
        }
        labels = {"dashboard": "GetDashboard", "monthly": "GetLeaderboard monthly (top 100 + own rank)",
                  "weekly": "GetLeaderboard weekly (top 100 + own rank)", "friends": "GetLeaderboard monthly, friends"}
        rate = getattr(args, "writer_rate", 20.0)
        writer = Writer(args.users, rate) if rate > 0 else None
        if writer is not None:
            writer.start()
        for what, call in calls.items():
            timed(call, users[:50])  # warm up
            rows.append((f"gRPC {labels[what]}", timed(call, users)))
            rows.append((f"  bare SQL, the same {len(scripts[what])} statements", bare(url, scripts[what], others)))
        # The worst case: the lowest totals, whose rank counts (nearly) every ranked member.
        with psycopg.connect(libpq_url(url)) as conn:
            worst = [r[0] for r in conn.execute(
                "SELECT user_id FROM loyalty.leaderboard_totals WHERE period = 'MONTHLY' ORDER BY total, reached_at DESC LIMIT 50")]
        rows.append(("gRPC monthly, the 50 lowest-ranked callers", timed(calls["monthly"], worst)))
        if writer is not None:
            writer.stop.set()
            writer.join(30)
            rows.append((f"purchase writer alongside ({len(writer.latencies):,} events, {writer.errors} errors, ~{rate:g}/s)",
                         writer.latencies))
        with psycopg.connect(libpq_url(url)) as conn:
            pending = conn.execute("SELECT count(*) FROM loyalty.leaderboard_band_deltas").fetchone()[0]  # type: ignore[index]
        print(f"unfolded band deltas at the end: {pending:,}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        if db._engine is not None:
            db._engine.dispose()
        drop_database()
    width = max(len(r[0]) for r in rows)
    print(f"\nLoyalty reads at {args.users:,} members, {args.requests:,} calls each, one at a time (random members; "
          f"{os.cpu_count()} cores shared by client, server and PostgreSQL)")
    for label, lat in rows:
        print(f"  {label:<{width}}  p50 {_pct(lat, 50):6.2f} ms  p99 {_pct(lat, 99):6.2f} ms")
    return 0
