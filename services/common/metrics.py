"""Prometheus metrics: RPC counts and latencies here, job counts in the worker (services.common.broker)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

RPC_TOTAL = Counter("engage_rpc_total", "RPCs handled, by method and status code", ["method", "code"])
RPC_SECONDS = Histogram(
    "engage_rpc_seconds",
    "RPC handling time in seconds, by method",
    ["method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
JOB_TOTAL = Counter("engage_job_total", "Dramatiq messages processed, by actor and outcome", ["actor", "outcome"])
JOB_SECONDS = Histogram("engage_job_seconds", "Dramatiq message processing time, by actor", ["actor"])
LEADERBOARD_LATE_EVENTS = Counter(
    "engage_loyalty_leaderboard_late_events_total",
    "Order events whose purchase falls in a leaderboard period already closed (not counted there), by period",
    ["period"],
)


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Exposes /metrics on host:port (0 disables)."""
    if port:
        start_http_server(port, addr=host)
