"""The real Envoy edge in front of the test gRPC server."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest
from edge_client import Http, free_port, wait_http


@pytest.fixture(scope="session")
def edge(settings, grpc_port, tmp_path_factory):
    from services.edge import envoy

    s = dataclasses.replace(settings, grpc_port=grpc_port, edge_port=free_port(), edge_admin_port=free_port())
    config = envoy.write_config(s, tmp_path_factory.mktemp("edge") / "envoy.json")
    proc = subprocess.Popen(
        [envoy.envoy_binary(), "-c", str(config), "--concurrency", "1", "--log-level", "error", "--use-dynamic-base-id"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_http(f"http://127.0.0.1:{s.edge_port}/healthz")
    except RuntimeError:
        proc.kill()
        raise RuntimeError(proc.stderr.read().decode()[-2000:])
    yield Http(f"http://127.0.0.1:{s.edge_port}")
    proc.terminate()
    proc.wait(10)
