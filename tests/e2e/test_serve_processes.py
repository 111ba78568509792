"""`engage serve --processes 2`: two server processes on one port, one /metrics for both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import grpc
import pytest
from edge_client import free_port
from grpc_health.v1 import health_pb2, health_pb2_grpc

from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as pb
from engage.activity.v1 import activity_service_pb2_grpc

pytestmark = pytest.mark.e2e
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_two_processes_share_the_port_and_report_metrics_together(as_user, user_id):
    grpc_port, metrics_port = free_port(), free_port()
    env = dict(os.environ, GRPC_PORT=str(grpc_port), METRICS_PORT=str(metrics_port))
    proc = subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve", "--processes", "2"], cwd=ROOT, env=env)
    try:
        target = f"127.0.0.1:{grpc_port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with grpc.insecure_channel(target) as ch:
                    if health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                        break
            except grpc.RpcError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
            assert len(f.read().split()) == 2
        # Separate connections (local subchannel pools) land on either process; all are served.
        served = 0
        for _ in range(12):
            with grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
                stub = activity_service_pb2_grpc.ActivityServiceStub(ch)
                stub.RecordActivity(pb.RecordActivityRequest(event_type=a.VISIT), metadata=as_user(user_id), timeout=5)
                served += 1
        with grpc.insecure_channel(target) as ch:
            got = activity_service_pb2_grpc.ActivityServiceStub(ch).GetUserActivity(
                pb.GetUserActivityRequest(), metadata=as_user(user_id), timeout=5
            )
        assert served == 12 and got.activity.last_active_at.seconds > 0
        text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
        line = next(l for l in text.splitlines() if l.startswith("engage_rpc_total{") and "RecordActivity" in l and 'code="OK"' in l)
        assert float(line.rsplit(" ", 1)[1]) == 12.0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
