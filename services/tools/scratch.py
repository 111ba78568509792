"""Scratch databases for the benchmarks: created beside DATABASE_URL's, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

from services.common.config import libpq_url, settings


def create_database(kind: str) -> tuple[str, Callable[[], None]]:
    """Creates `engage_<kind>_<random>` on DATABASE_URL's server; returns its URL and the function
    that drops it (connections still open included)."""
    base = settings().database_url
    if not base:
        raise SystemExit("set DATABASE_URL (the benchmark creates and drops a scratch database beside it)")
    name = f"engage_{kind}_{uuid.uuid4().hex[:6]}"
    admin = libpq_url(base)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop
