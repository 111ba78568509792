"""`engage bench`: RecordActivity over gRPC (single, batch) and REST, beside pgbench running the same SQL.

It starts its own gRPC server and Envoy on free ports against DATABASE_URL (or an embedded PostgreSQL
under ENGAGE_HOME), loads them from this process with asyncio clients, then runs pgbench with the very
statement the service executes (repository.RECORD_EVENTS) for the floor, and prints the ratios.
The load generator shares the machine's cores with the server, Envoy and PostgreSQL, as in production
on one box; figures are for comparing runs on the same machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as pb
from engage.activity.v1 import activity_service_pb2_grpc as pb_grpc
from services.activity.repository import RECORD_EVENTS
from services.common import auth, migrate
from services.common.config import libpq_url, settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def _requests(count: int, batch: int) -> list[bytes]:
    """Serialized requests built before the clock starts, so the load generator spends little CPU."""
    if batch == 1:
        return [
            pb.RecordActivityRequest(user_id=f"bench-{i % 5000}", event_type=a.ROULETTE_PLAY, event_id=str(uuid.uuid4())).SerializeToString()
            for i in range(count)
        ]
    return [
        pb.RecordActivitiesRequest(
            events=[
                pb.RecordActivityRequest(user_id=f"bench-{i % 5000}", event_type=a.DICE_PLAY, event_id=str(uuid.uuid4()))
                for i in range(batch)
            ]
        ).SerializeToString()
        for _ in range(count)
    ]


async def _grpc_load(target: str, token: str, seconds: float, concurrency: int, batch: int, requests: list[bytes]) -> tuple[int, list[float]]:
    md = (("authorization", f"Bearer {token}"),)
    latencies: list[float] = []
    events = 0
    method = "/engage.activity.v1.ActivityService/" + ("RecordActivity" if batch == 1 else "RecordActivities")
    pending = iter(requests)
    # Several connections, as several backends would open: the kernel spreads them over the server
    # processes (GRPC_PROCESSES). A local subchannel pool keeps the channels from sharing one.
    channels = [grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) for _ in range(4)]
    calls = [ch.unary_unary(method) for ch in channels]  # bytes in, bytes out
    deadline = time.perf_counter() + seconds

    async def one_client(n: int) -> None:
        nonlocal events
        call = calls[n % len(calls)]
        for body in pending:
            if time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            await call(body, metadata=md, timeout=30)
            latencies.append(time.perf_counter() - started)
            events += batch

    try:
        await asyncio.gather(*(one_client(n) for n in range(concurrency)))
    finally:
        for ch in channels:
            await ch.close()
    if next(pending, None) is None:
        raise SystemExit("the benchmark ran out of prepared requests; raise their number")
    return events, latencies


def _serial_rest(base: str, token: str, count: int) -> list[float]:
    import http.client

    conn = http.client.HTTPConnection(base, timeout=10)
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    out = []
    for i in range(count):
        body = json.dumps({"user_id": f"rest-{i % 5000}", "event_type": "ROULETTE_PLAY", "event_id": str(uuid.uuid4())})
        started = time.perf_counter()
        conn.request("POST", "/api/activity/record", body, headers)
        resp = conn.getresponse()
        resp.read()
        out.append(time.perf_counter() - started)
        if resp.status != 200:
            raise SystemExit(f"REST call failed with {resp.status}")
    return out


def _serial_grpc(target: str, token: str, count: int) -> list[float]:
    md = (("authorization", f"Bearer {token}"),)
    with grpc.insecure_channel(target) as channel:
        stub = pb_grpc.ActivityServiceStub(channel)
        out = []
        for i in range(count):
            req = pb.RecordActivityRequest(user_id=f"serial-{i % 5000}", event_type=a.ROULETTE_PLAY, event_id=str(uuid.uuid4()))
            started = time.perf_counter()
            stub.RecordActivity(req, metadata=md, timeout=10)
            out.append(time.perf_counter() - started)
    return out


def pgbench_script(batch: int) -> str:
    """RECORD_EVENTS with its parameters replaced by SQL that generates `batch` fresh events."""
    events = (
        "(SELECT json_agg(json_build_object('event_id', gen_random_uuid(), 'user_id', 'pgb-' || (random() * 5000)::int,"
        " 'event_type', 'ROULETTE_PLAY', 'occurred_at', now(), 'fingerprint', '00', 'recorded_by', 'pgbench'))"
        f" FROM generate_series(1, {batch}))"
    )
    values = {"events": events, "now": "now()"}
    sql = RECORD_EVENTS.text
    sql = re.sub(r"--[^\n]*", "", sql)
    for name, expr in sorted(values.items(), key=lambda kv: -len(kv[0])):
        sql = re.sub(rf"(?<![:\w]):{name}\b", lambda _m, e=expr: e, sql)
    return " ".join(sql.split()) + ";\n"


def _pgbench(url: str, batch: int, clients: int, seconds: float) -> float:
    exe = shutil.which("pgbench") or next(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), None)
    if exe is None:
        raise SystemExit("pgbench not found (Debian: apt-get install postgresql-client)")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(pgbench_script(batch))
    out = subprocess.run(
        [str(exe), "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(int(seconds)), "-f", f.name, libpq_url(url)],
        capture_output=True,
        text=True,
    )
    os.unlink(f.name)
    m = re.search(r"tps = ([\d.]+)", out.stdout)
    if not m:
        raise SystemExit(f"pgbench failed:\n{out.stdout}\n{out.stderr}")
    return float(m.group(1)) * batch


def _wait(check, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise SystemExit("a benchmark process did not start")


def main(args) -> int:
    s = settings()
    url = s.database_url
    pg = None
    if not url:
        from services.cli.up import embedded_postgres

        pg, url = embedded_postgres(s.home)
    migrate.upgrade(url)
    grpc_port, edge_port, admin_port = _free_port(), _free_port(), _free_port()
    env = dict(os.environ, DATABASE_URL=url, GRPC_PORT=str(grpc_port), EDGE_PORT=str(edge_port),
               EDGE_ADMIN_PORT=str(admin_port), METRICS_PORT="0", LOG_LEVEL="WARNING", ENGAGE_HOME=str(s.home),
               GRPC_PROCESSES=str(args.processes))
    me = [sys.executable, "-m", "services.cli.main"]
    procs = [subprocess.Popen([*me, "serve"], env=env), subprocess.Popen([*me, "edge"], env=env)]
    try:
        target = f"127.0.0.1:{grpc_port}"
        health = health_pb2_grpc.HealthStub(grpc.insecure_channel(target))
        _wait(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING)
        _wait(lambda: urllib.request.urlopen(f"http://127.0.0.1:{edge_port}/healthz", timeout=1).status == 200)
        token = auth.issue_token(s, "bench", "service")
        _serial_grpc(target, token, 200)  # warm up connections and prepared statements
        d, c = args.seconds, args.concurrency
        singles, batches = _requests(int(4000 * d), 1), _requests(int(60 * d), 1000)
        n1, lat1 = asyncio.run(_grpc_load(target, token, d, c, 1, singles))
        nb, latb = asyncio.run(_grpc_load(target, token, d, 2, 1000, batches))
        g_serial = _serial_grpc(target, token, 2000)
        r_serial = _serial_rest(f"127.0.0.1:{edge_port}", token, 2000)
        floor1 = _pgbench(url, 1, c, d)
        floorb = _pgbench(url, 1000, 2, d)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        if pg is not None:
            pg.cleanup()
    single = n1 / d
    batch = nb / d
    rows = [
        ("gRPC RecordActivity, %d in flight" % c, f"{single:,.0f} events/s", f"p50 {_pct(lat1, 50):.2f} ms  p99 {_pct(lat1, 99):.2f} ms"),
        ("pgbench, same statement, 1 event, %d clients" % c, f"{floor1:,.0f} events/s", f"gRPC = {single / floor1:.0%} of it"),
        ("gRPC RecordActivities, 1000/batch, 2 in flight", f"{batch:,.0f} events/s", f"p50 {_pct(latb, 50):.1f} ms per batch"),
        ("pgbench, same statement, 1000 events, 2 clients", f"{floorb:,.0f} events/s", f"gRPC = {batch / floorb:.0%} of it"),
        ("gRPC serial (1 in flight)", f"{len(g_serial) / sum(g_serial):,.0f} events/s", f"p50 {_pct(g_serial, 50):.2f} ms  p99 {_pct(g_serial, 99):.2f} ms"),
        ("REST via Envoy serial (1 in flight)", f"{len(r_serial) / sum(r_serial):,.0f} events/s", f"p50 {_pct(r_serial, 50):.2f} ms  p99 {_pct(r_serial, 99):.2f} ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\nRecordActivity benchmark ({d:.0f} s per run, {args.processes} server processes, "
          f"{os.cpu_count()} cores shared by client, server, Envoy and PostgreSQL)")
    for name, rate, note in rows:
        print(f"  {name:<{width}}  {rate:>18}  {note}")
    print(f"  REST p50 - gRPC p50 = {_pct(r_serial, 50) - _pct(g_serial, 50):+.2f} ms; mean gRPC latency under load {statistics.mean(lat1) * 1000:.2f} ms")
    return 0
