"""The Dramatiq broker, configured from BROKER_URL before any actor module is imported.

- amqp://  RabbitMQ (production), with publisher confirms;
- redis:// Redis;
- postgresql:// (or BROKER_URL unset: the database itself) dramatiq-postgres, whose queue is a table
  in the same database, so `engage up` needs nothing but PostgreSQL.

Import this module first (services.actors does); StubBroker belongs only in unit tests.
"""

from __future__ import annotations

import logging
import time

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware

from services.common import metrics
from services.common.config import libpq_url, settings

log = logging.getLogger("engage.broker")


class JobMetrics(Middleware):
    """Counts processed messages by actor and outcome; exposes /metrics from the worker process."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._started: dict[str, float] = {}

    def after_process_boot(self, broker):
        try:
            metrics.serve(self.port)
        except OSError:  # a second worker process on this machine: the first one reports
            log.warning("worker metrics port %s is taken", self.port)

    def before_process_message(self, broker, message):
        self._started[message.message_id] = time.perf_counter()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        started = self._started.pop(message.message_id, None)
        metrics.JOB_TOTAL.labels(message.actor_name, "failed" if exception else "ok").inc()
        if started is not None:
            metrics.JOB_SECONDS.labels(message.actor_name).observe(time.perf_counter() - started)

    def after_skip_message(self, broker, message):
        self._started.pop(message.message_id, None)
        metrics.JOB_TOTAL.labels(message.actor_name, "skipped").inc()


def make_broker(url: str) -> dramatiq.Broker:
    if url.startswith(("amqp://", "amqps://")):
        return RabbitmqBroker(url=url, confirm_delivery=True)
    if url.startswith(("redis://", "rediss://")):
        return RedisBroker(url=url)
    if url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        from dramatiq_postgres import PostgresBroker

        # The queue schema is created by the migrations; results are not used.
        return PostgresBroker(url=libpq_url(url), results=False)
    raise SystemExit(f"BROKER_URL must be amqp://, redis:// or postgresql://, got {url.split('://')[0]}://...")


def broker_url() -> str:
    s = settings()
    url = s.broker_url or s.database_url
    if not url:
        raise SystemExit("set BROKER_URL or DATABASE_URL (engage up sets both for the processes it starts)")
    return url


def configure(url: str | None = None) -> dramatiq.Broker:
    broker = make_broker(url or broker_url())
    port = settings().metrics_port
    broker.add_middleware(JobMetrics(port + 1 if port else 0))
    dramatiq.set_broker(broker)
    return broker


BROKER = configure()
