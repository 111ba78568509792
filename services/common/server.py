"""Builds and runs the gRPC server: the services, health (per service), reflection, the interceptor.

Sync grpcio with a thread pool: measured here it matches grpc.aio once a handler does a database call,
and keeps the service layer plain synchronous SQLAlchemy.
"""

from __future__ import annotations

import importlib
import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
import logging
import signal
import threading
import time
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.common import auth, metrics
from services.common.config import Settings
from services.common.interceptor import EngageInterceptor, policies_for
from services.registry import SERVICES

log = logging.getLogger("engage.server")
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def build_server(
    settings: Settings, names: list[str] | None = None, port: int | None = None, reuse_port: bool = False
) -> tuple[grpc.Server, int, health.HealthServicer]:
    """Returns (server, bound port, health servicer); `port=0` picks a free port (tests).
    `reuse_port` lets several processes listen on one port (see serve_processes)."""
    names = names or list(SERVICES)
    unknown = sorted(set(names) - set(SERVICES))
    if unknown:
        raise SystemExit(f"unknown service(s) {unknown}; known: {sorted(SERVICES)}")
    policies: dict = {}
    interceptor = EngageInterceptor(auth.Authenticator(settings), policies)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.grpc_workers, thread_name_prefix="rpc"),
        interceptors=[interceptor],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", int(reuse_port)),
        ],
        maximum_concurrent_rpcs=settings.grpc_workers * 8,
    )
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    descriptors = []
    for name in names:
        descriptors += importlib.import_module(SERVICES[name]).register(server)
    policies.update(policies_for(descriptors))
    full_names = [d.full_name for d in descriptors]
    for full in full_names:
        health_servicer.set(full, health_pb2.HealthCheckResponse.SERVING)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection([*full_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    bound = server.add_insecure_port(f"{settings.grpc_host}:{settings.grpc_port if port is None else port}")
    if not bound:
        raise SystemExit(f"cannot listen on {settings.grpc_host}:{settings.grpc_port}")
    return server, bound, health_servicer


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_auth_setup(settings: Settings) -> None:
    if not settings.jwt_jwks and not _is_loopback(settings.grpc_host):
        raise SystemExit(
            f"JWT_JWKS is not set: the local dev signing key may only be trusted on a loopback address, "
            f"not {settings.grpc_host}. Set JWT_JWKS to the keys that sign your tokens."
        )


def _stop_event() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def serve(settings: Settings, names: list[str] | None = None, reuse_port: bool = False) -> None:
    """Serves until SIGINT/SIGTERM, then reports NOT_SERVING and drains in-flight RPCs (5 s grace)."""
    _check_auth_setup(settings)
    server, port, health_servicer = build_server(settings, names, reuse_port=reuse_port)
    if not settings.jwt_jwks:
        log.warning("JWT_JWKS is not set: trusting the local dev signing key in %s (development only)", settings.dev_key_path)
    metrics.serve(settings.metrics_port)
    server.start()
    log.info("gRPC listening", extra={"fields": {"address": f"{settings.grpc_host}:{port}", "services": names or list(SERVICES)}})
    _stop_event().wait()
    health_servicer.enter_graceful_shutdown()
    server.stop(grace=5).wait()
    log.info("gRPC stopped")


def _die_with_parent() -> None:
    """In a child: ask Linux to send SIGTERM when the parent dies, so no orphan keeps the port."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def serve_processes(settings: Settings, names: list[str] | None, processes: int) -> int:
    """Runs `processes` server processes on one port (SO_REUSEPORT; the kernel spreads connections).

    One Python process cannot use more than about one core for gRPC (measured: a second process
    served 20% more events on 2 cores). The parent only supervises and exposes the children's
    metrics, aggregated through prometheus_client's multiprocess mode. Children die with the parent.
    """
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    _check_auth_setup(settings)
    stop = _stop_event()
    metrics_dir = tempfile.mkdtemp(prefix="engage-metrics-")
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=metrics_dir, METRICS_PORT="0")
    argv = [sys.executable, "-m", "services.cli.main", "serve", "--processes", "1", "--reuse-port"]
    for name in names or []:
        argv += ["--service", name]
    children: list[subprocess.Popen] = []
    crashed = False
    try:
        children = [subprocess.Popen(argv, env=env, preexec_fn=_die_with_parent) for _ in range(processes)]
        if settings.metrics_port:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=metrics_dir)
            start_http_server(settings.metrics_port, addr="127.0.0.1", registry=registry)
        while not stop.wait(0.5):
            dead = [c for c in children if c.poll() is not None]
            if dead:
                log.error("server process %s exited with code %s; stopping the others", dead[0].pid, dead[0].returncode)
                crashed = True
                break
    finally:
        for c in children:
            if c.poll() is None:
                c.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for c in children:
            try:
                c.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                c.kill()
                c.wait()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 1 if crashed else 0
