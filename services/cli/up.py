"""`engage up`: the whole system in the foreground on embedded defaults.

Without DATABASE_URL it starts an embedded PostgreSQL (pgserver) with its data under ENGAGE_HOME
(default ./.engage), migrates, then runs the gRPC server, the Envoy edge, a Dramatiq worker and the
scheduler as child processes. Ctrl-C stops them all; the next `engage up` reuses the data.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common import auth, migrate
from services.common.config import settings

log = logging.getLogger("engage.up")


def embedded_postgres(home) -> tuple[object, str]:
    import pgserver
    import psycopg

    server = pgserver.get_server(home / "pgdata", cleanup_mode="stop")
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'engage'").fetchone():
            conn.execute("CREATE DATABASE engage")
    return server, server.get_uri("engage")


def _wait_ready(s, procs, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    channel = grpc.insecure_channel(s.grpc_target)
    stub = health_pb2_grpc.HealthStub(channel)
    grpc_ok = edge_ok = False
    while time.monotonic() < deadline:
        for name, p in procs.items():
            if p.poll() is not None:
                raise SystemExit(f"engage {name} exited with code {p.returncode} during start-up")
        if not grpc_ok:
            try:
                grpc_ok = stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1
            except grpc.RpcError:
                pass
        if not edge_ok:
            try:
                edge_ok = urllib.request.urlopen(f"http://127.0.0.1:{s.edge_port}/healthz", timeout=1).status == 200
            except OSError:
                pass
        if grpc_ok and edge_ok:
            channel.close()
            return
        time.sleep(0.2)
    raise SystemExit("engage did not become ready within 60 s; see the log above")


def _stop(procs) -> None:
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for p in procs.values():
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()


def main() -> int:
    s = settings()
    s.home.mkdir(parents=True, exist_ok=True)
    pg = None
    env = dict(os.environ, ENGAGE_HOME=str(s.home))
    if s.database_url:
        url = s.database_url
    else:
        log.info("starting embedded PostgreSQL", extra={"fields": {"data": str(s.home / "pgdata")}})
        pg, url = embedded_postgres(s.home)
        env["DATABASE_URL"] = url
    migrate.upgrade(url)
    auth.load_or_create_dev_key(s.dev_key_path)
    me = [sys.executable, "-m", "services.cli.main"]
    procs = {
        "serve": subprocess.Popen([*me, "serve"], env=env),
        "edge": subprocess.Popen([*me, "edge"], env=env),
        "worker": subprocess.Popen([*me, "worker"], env=env),
        "scheduler": subprocess.Popen([*me, "scheduler"], env=env),
    }
    stopping = False
    crashed = False

    def on_signal(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        _wait_ready(s, procs)
        token = auth.issue_token(s, "dev-admin", "admin", ttl_seconds=24 * 3600)
        print(
            f"""
Engage is up.
  REST (Envoy)  http://127.0.0.1:{s.edge_port}   e.g. GET /api/activity/me
  OpenAPI       http://127.0.0.1:{s.edge_port}/openapi.json
  gRPC          {s.grpc_target}   (reflection on; grpc.health.v1)
  metrics       http://127.0.0.1:{s.metrics_port}/metrics
  database      {url}{'  (embedded; data in ' + str(s.home / 'pgdata') + ')' if pg else ''}
  dev admin token (24 h):
{token}
  a user token:  engage token --user alice
Ctrl-C stops everything.
""",
            flush=True,
        )
        while not stopping:
            for name, p in procs.items():
                if p.poll() is not None:
                    log.error("engage %s exited with code %s; stopping", name, p.returncode)
                    stopping = crashed = True
            time.sleep(0.3)
    finally:
        _stop(procs)
        if pg is not None:
            pg.cleanup()
        log.info("stopped")
    return 1 if crashed else 0
