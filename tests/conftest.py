"""Test environment: a real PostgreSQL database and a real broker, created for this run.

- PostgreSQL: TEST_DATABASE_URL (default: the local server at 127.0.0.1:5432); when none answers, an
  embedded one (pgserver) is started. A fresh database is created, migrated, and dropped at the end.
- Broker: TEST_BROKER_URL (default: RabbitMQ at 127.0.0.1:5672 when it answers, else the PostgreSQL
  broker in the test database).
The environment is set here, before any test module imports the services.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest

_state: dict = {}


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _admin_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        psycopg.connect(url, connect_timeout=2).close()
        return url
    except psycopg.OperationalError:
        import pgserver

        home = Path(tempfile.gettempdir()) / "engage-test-pg"
        server = pgserver.get_server(home, cleanup_mode="stop")
        _state["pgserver"] = server
        return server.get_uri()


def _with_db(url: str, name: str) -> str:
    conninfo = psycopg.conninfo.conninfo_to_dict(url)
    conninfo["dbname"] = name
    return psycopg.conninfo.make_conninfo(**conninfo)


def pytest_configure(config):
    if hasattr(config, "workerinput"):
        return
    admin = _admin_url()
    name = f"engage_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = _with_db(admin, name)
    _state.update(admin=admin, name=name)
    # A libpq key=value DSN is turned into a URL the services accept.
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    host = params.get("host", "127.0.0.1")
    if host.startswith("/"):
        url = f"postgresql://{params.get('user', 'postgres')}@/{name}?host={host}"
        if params.get("port"):
            url += f"&port={params['port']}"
    else:
        url = f"postgresql://{params.get('user', 'postgres')}@{host}:{params.get('port', 5432)}/{name}"
    os.environ["DATABASE_URL"] = url
    broker = os.environ.get("TEST_BROKER_URL")
    if not broker:
        broker = "amqp://guest:guest@127.0.0.1:5672/%2F" if _port_open("127.0.0.1", 5672) else url
    os.environ["BROKER_URL"] = broker
    os.environ["ENGAGE_HOME"] = tempfile.mkdtemp(prefix="engage-test-home-")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["METRICS_PORT"] = "0"
    from services.common import migrate

    migrate.upgrade(url)


def pytest_unconfigure(config):
    if "name" not in _state:
        return
    from services.common import db

    if db._engine is not None:
        db._engine.dispose()
    with psycopg.connect(_state["admin"], autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_state["name"]}" WITH (FORCE)')
    if "pgserver" in _state:
        _state["pgserver"].cleanup()


@pytest.fixture(scope="session")
def settings():
    from services.common.config import settings as load

    return load()


@pytest.fixture(scope="session")
def grpc_port(settings):
    from services.common.server import build_server

    server, port, _ = build_server(settings, port=0)
    server.start()
    yield port
    server.stop(grace=1).wait()


@pytest.fixture(scope="session")
def channel(grpc_port):
    import grpc

    ch = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
    yield ch
    ch.close()


@pytest.fixture(scope="session")
def activity(channel):
    from engage.activity.v1 import activity_service_pb2_grpc

    return activity_service_pb2_grpc.ActivityServiceStub(channel)


@pytest.fixture(scope="session")
def token(settings):
    """token(subject, role="user") -> a signed dev JWT."""
    from services.common import auth

    key = auth.load_or_create_dev_key(settings.dev_key_path)  # loading the PEM costs ~80 ms: once
    return lambda subject, role="user", **kw: auth.issue_token(settings, subject, role, **{"key": key, **kw})


@pytest.fixture(scope="session")
def as_user(token):
    """as_user(subject, role="user") -> gRPC call metadata carrying that caller's token."""
    return lambda subject, role="user": (("authorization", f"Bearer {token(subject, role)}"),)


@pytest.fixture
def user_id():
    return f"u-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def sql(settings):
    """sql(statement, **params) -> rows, on a fresh autocommit connection to the test database."""
    from services.common.config import libpq_url

    conn = psycopg.connect(libpq_url(settings.database_url), autocommit=True)

    def run(statement: str, **params):
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []

    yield run
    conn.close()


@pytest.fixture(scope="session")
def segmentation(channel):
    from engage.segmentation.v1 import segmentation_service_pb2_grpc

    return segmentation_service_pb2_grpc.SegmentationServiceStub(channel)


@pytest.fixture(scope="session")
def coupons(channel):
    from engage.coupon.v1 import coupon_service_pb2_grpc

    return coupon_service_pb2_grpc.CouponServiceStub(channel)


@pytest.fixture(scope="session")
def reward(channel):
    from engage.reward.v1 import reward_service_pb2_grpc

    return reward_service_pb2_grpc.RewardServiceStub(channel)


@pytest.fixture
def admin(as_user):
    """Call metadata of an operator (tests that check who did something name their own)."""
    return as_user("ops-1", "admin")


@pytest.fixture(scope="session")
def campaigns(channel):
    from engage.campaign.v1 import campaign_service_pb2_grpc

    return campaign_service_pb2_grpc.CampaignServiceStub(channel)
