"""`engage bench-rewards`: coupon redemptions and pool opens over gRPC, 32 clients on one hot coupon
or pool and spread over 1,000, beside pgbench replaying the very statements one call executes.

The statements are captured from one real call (SQLAlchemy's cursor hook, rendered with psycopg),
and the user and request ids in them are replaced by pgbench variables, so pgbench runs the same
transaction the service runs, minus Python and gRPC: the floor the service is measured against.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import grpc
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import event

from engage.coupon.v1 import coupon_service_pb2 as cpb
from engage.reward.v1 import reward_service_pb2 as rpb
from services.common import auth, db, migrate
from services.common.config import libpq_url, settings
from services.tools.bench import _free_port, _pct, _wait

USER, REQUEST = "benchcapuser", "benchcapreq"  # markers replaced by pgbench variables


def capture(call: Callable[[], object]) -> str:
    """The SQL one call executes, as a pgbench script: one transaction, ids made unique per run."""
    statements: list[str] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        rendered = psycopg.ClientCursor(conn.connection.driver_connection).mogrify(statement, parameters)
        statements.append(" ".join(rendered.split()))

    event.listen(db.engine(), "before_cursor_execute", grab)
    try:
        call()
    finally:
        event.remove(db.engine(), "before_cursor_execute", grab)
    body = "\n".join(s.replace(USER, "bench-:u").replace(REQUEST, "r-:r") + ";" for s in statements)
    return "\\set u random(1, 1000000000)\n\\set r random(1, 1000000000)\nBEGIN;\n" + body + "\nCOMMIT;\n"


def pgbench(url: str, script: str, clients: int, seconds: float) -> tuple[float, float]:
    """(transactions/s, p99 ms) of `script`; runs in simple mode so the ids substitute into literals."""
    exe = shutil.which("pgbench") or next(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), None)
    if exe is None:
        raise SystemExit("pgbench not found (Debian: apt-get install postgresql-client)")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "script.sql"
        path.write_text(script)
        out = subprocess.run(
            [str(exe), "-n", "-M", "simple", "-c", str(clients), "-j", "2", "-T", str(int(seconds)), "-f", str(path), "-l",
             "--log-prefix", f"{d}/log", libpq_url(url)],
            capture_output=True, text=True, cwd=d,
        )
        m = re.search(r"tps = ([\d.]+)", out.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
        if not m or (failed and int(failed.group(1))):
            raise SystemExit(f"pgbench failed:\n{out.stdout}\n{out.stderr}")
        latencies = [int(line.split()[2]) / 1e6 for f in Path(d).glob("log*") for line in f.read_text().splitlines()]
    return float(m.group(1)), _pct(latencies, 99)


async def load(target: str, token: str, method: str, make: Callable[[int], bytes], seconds: float, clients: int) -> tuple[int, list[float], int]:
    md = (("authorization", f"Bearer {token}"),)
    channels = [grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) for _ in range(4)]
    calls = [ch.unary_unary(method) for ch in channels]
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal errors
        call = calls[n % len(calls)]
        while time.perf_counter() < deadline:
            body = make(next(counter))
            started = time.perf_counter()
            try:
                await call(body, metadata=md, timeout=30)
                latencies.append(time.perf_counter() - started)
            except grpc.aio.AioRpcError:
                errors += 1

    try:
        await asyncio.gather(*(client(n) for n in range(clients)))
    finally:
        for ch in channels:
            await ch.close()
    return len(latencies), latencies, errors


def setup(run: str):
    """One hot coupon and pool, and 1,000 of each to spread over (free pools of unlimited items,
    30% of draws crediting tokens)."""
    from services.coupon import domain as coupon_domain, service as coupons
    from services.reward import pools

    def spec():
        # A usage limit, so every redemption takes the conditional UPDATE of the coupon's counter (the
        # hot row); it is far enough not to run out during the run.
        return coupon_domain.Spec("BONUS_TOKEN", 1, "CC_COIN", None, None, None, 10**9, 1, None, None, "bench")

    codes = [f"B{run}C{i}" for i in range(1001)]
    for code in codes:
        coupons.create_coupon(code, spec(), None, "bench")
    items = [pools.NewItem("TOKEN", {"token_type": "CC_COIN", "amount": 5}, 3, None, {}), pools.NewItem("NOTHING", {}, 7, None, {})]
    pool_ids = [
        pools.create_pool(pools.PoolFields(f"bench-{run}-{i}", "", None, None, 0, True, 0), items, None, "bench").pool.id
        for i in range(1001)
    ]
    return codes, pool_ids


def main(args) -> int:
    s = settings()
    url = s.database_url
    pg = None
    if not url:
        from services.cli.up import embedded_postgres

        pg, url = embedded_postgres(s.home)
        os.environ["DATABASE_URL"] = url
    migrate.upgrade(url)
    db.use_engine(db.make_engine(url, 4))
    run = uuid.uuid4().hex[:6].upper()
    codes, pool_ids = setup(run)
    from services.coupon import service as coupons
    from services.reward import pools

    hot_code, spread_codes = codes[0], codes[1:]
    hot_pool, spread_pools = pool_ids[0], pool_ids[1:]
    scripts = {
        "redeem": capture(lambda: coupons.redeem(USER, hot_code, REQUEST)),
        "open": capture(lambda: pools.open_pool(hot_pool, USER, REQUEST)),
    }
    grpc_port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, GRPC_PORT=str(grpc_port), METRICS_PORT="0", LOG_LEVEL="WARNING",
               ENGAGE_HOME=str(s.home), GRPC_PROCESSES=str(args.processes))
    server = subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve"], env=env)
    rows = []
    try:
        target = f"127.0.0.1:{grpc_port}"
        health = health_pb2_grpc.HealthStub(grpc.insecure_channel(target))
        _wait(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING)
        token = auth.issue_token(s, "bench", "service")
        c, d = args.concurrency, args.seconds
        redeem = "/engage.coupon.v1.CouponService/RedeemCoupon"
        open_ = "/engage.reward.v1.RewardService/OpenRewardPool"
        cases = [
            ("RedeemCoupon, one hot coupon", redeem, lambda i: cpb.RedeemCouponRequest(
                user_id=f"h-{run}-{i}", code=hot_code, request_id=f"r{i}").SerializeToString(), "redeem"),
            ("RedeemCoupon, 1,000 coupons", redeem, lambda i: cpb.RedeemCouponRequest(
                user_id=f"s-{run}-{i}", code=spread_codes[i % 1000], request_id=f"r{i}").SerializeToString(), None),
            ("OpenRewardPool, one hot pool", open_, lambda i: rpb.OpenRewardPoolRequest(
                user_id=f"h-{run}-{i}", pool_id=hot_pool, request_id=f"r{i}").SerializeToString(), "open"),
            ("OpenRewardPool, 1,000 pools", open_, lambda i: rpb.OpenRewardPoolRequest(
                user_id=f"s-{run}-{i}", pool_id=spread_pools[i % 1000], request_id=f"r{i}").SerializeToString(), None),
        ]
        asyncio.run(load(target, token, redeem, cases[1][2], 2, 4))  # warm up connections and statements
        for name, method, make, script in cases:
            n, lat, errors = asyncio.run(load(target, token, method, make, d, c))
            rows.append((f"gRPC {name}, {c} clients", f"{n / d:,.0f}/s", f"p50 {_pct(lat, 50):.1f} ms  p99 {_pct(lat, 99):.1f} ms  errors {errors}"))
            if script:
                tps, p99 = pgbench(url, scripts[script], c, d)
                rows.append((f"pgbench, the same statements, {c} clients", f"{tps:,.0f}/s", f"p99 {p99:.1f} ms; gRPC = {n / d / tps:.0%} of it"))
    finally:
        server.terminate()
        server.wait(10)
        if pg is not None:
            pg.cleanup()
    width = max(len(r[0]) for r in rows)
    print(f"\nCoupon and reward benchmark ({args.seconds:.0f} s per run, {args.processes} server processes, "
          f"{os.cpu_count()} cores shared by client, server and PostgreSQL)")
    for name, rate, note in rows:
        print(f"  {name:<{width}}  {rate:>9}  {note}")
    return 0
