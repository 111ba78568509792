"""The database: one SQLAlchemy engine per process, and the transaction helper service functions use.

A service function owns its transaction: `with db.transaction() as conn:` commits on success and
rolls back on any exception. `db.retrying(fn)` runs `fn(conn)` in a transaction and retries it when
PostgreSQL reports a deadlock or a serialization failure, so callers never see a lost race.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.common.config import settings, sqlalchemy_url

log = logging.getLogger(__name__)
T = TypeVar("T")
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_engine: Engine | None = None


def make_engine(url: str, pool_size: int = 16) -> Engine:
    return sa.create_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={
            # Server-side prepared statements after the 2nd execution: the hot statements are few.
            "prepare_threshold": 2,
            "application_name": "engage",
            "connect_timeout": 5,
            # No request waits on a lock or runs a statement without bound.
            "options": "-c lock_timeout=5s -c statement_timeout=30s",
        },
    )


def engine() -> Engine:
    global _engine
    if _engine is None:
        s = settings()
        if not s.database_url:
            raise RuntimeError("DATABASE_URL is not set (engage up sets it for the processes it starts)")
        _engine = make_engine(s.database_url, s.db_pool_size)
    return _engine


def use_engine(e: Engine) -> None:
    """Points this process at another engine (tests)."""
    global _engine
    _engine = e


@contextmanager
def transaction() -> Iterator[Connection]:
    with engine().begin() as conn:
        yield conn


@contextmanager
def autocommit() -> Iterator[Connection]:
    """A connection where each statement commits on its own: one round trip for a one-statement write
    (no BEGIN/COMMIT). Use it only where every statement is atomic by itself."""
    with engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


def _sqlstate(e: BaseException) -> str | None:
    orig = getattr(e, "orig", None)
    return getattr(orig, "sqlstate", None)


def is_transient(e: BaseException) -> bool:
    """Whether running the same work again may succeed: a deadlock, a serialization failure, or a
    lost connection (not a constraint violation nor a bug)."""
    return isinstance(e, (sa.exc.OperationalError, sa.exc.InterfaceError)) or _sqlstate(e) in _RETRYABLE_SQLSTATES


def retrying(fn: Callable[[Connection], T], attempts: int = 5, *, single_statements: bool = False) -> T:
    """Runs fn(conn) in a transaction (or, with single_statements, in autocommit mode) and retries it
    on deadlock or serialization failure."""
    for attempt in range(1, attempts + 1):
        try:
            with autocommit() if single_statements else transaction() as conn:
                return fn(conn)
        except sa.exc.DBAPIError as e:
            if _sqlstate(e) not in _RETRYABLE_SQLSTATES or attempt == attempts:
                raise
            log.info("retrying after %s (attempt %d)", _sqlstate(e), attempt)
            time.sleep(random.uniform(0, 0.005 * attempt))
    raise AssertionError("unreachable")
