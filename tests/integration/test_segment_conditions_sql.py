"""The compiled SQL and the Python evaluator agree on every row, nulls included, on real PostgreSQL."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import psycopg

from services.common.config import libpq_url
from services.segmentation import conditions as c

NOW = datetime(2026, 11, 21, 3, tzinfo=UTC)
INT_FIELDS = [n for n, f in c.FIELDS.items() if f.kind == "int"]
TIME_FIELDS = [n for n, f in c.FIELDS.items() if f.kind == "datetime"]


def random_leaf(rng: random.Random) -> dict:
    name = rng.choice(INT_FIELDS + TIME_FIELDS)
    kind = c.FIELDS[name].kind
    op = rng.choice(sorted(c.OPS))

    def value():
        if kind == "int":
            return rng.randint(-2, 40)
        return (NOW - timedelta(days=rng.randint(0, 40))).isoformat()

    if op in c.NULL_OPS:
        return {"field": name, "op": op}
    if op in c.LIST_OPS:
        return {"field": name, "op": op, "value": [value() for _ in range(rng.randint(1, 3))]}
    if op == "between":
        a, b = sorted([value(), value()], key=lambda v: v if kind == "int" else datetime.fromisoformat(v))
        return {"field": name, "op": op, "value": [a, b]}
    return {"field": name, "op": op, "value": value()}


def random_condition(rng: random.Random, depth: int = 0) -> dict:
    roll = rng.random()
    if depth >= 3 or roll < 0.4:
        return random_leaf(rng)
    if roll < 0.55:
        return {"not": random_condition(rng, depth + 1)}
    return {rng.choice(["all", "any"]): [random_condition(rng, depth + 1) for _ in range(rng.randint(1, 3))]}


def random_facts(rng: random.Random) -> dict:
    facts: dict = {n: (None if rng.random() < 0.2 else rng.randint(0, 40)) for n in INT_FIELDS if not n.startswith("days_since_")}
    for n in TIME_FIELDS:
        facts[n] = None if rng.random() < 0.25 else NOW - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 23))
    return facts


def test_sql_and_python_agree_on_random_conditions(settings):
    rng = random.Random(20261121)
    rows = [random_facts(rng) for _ in range(300)]
    stored = [n for n in rows[0]]
    with psycopg.connect(libpq_url(settings.database_url)) as conn:
        cols = ", ".join(f"{n} {'timestamptz' if n.endswith('_at') else 'bigint'}" for n in stored)
        conn.execute(f"CREATE TEMP TABLE f (id int, {cols})")
        with conn.cursor().copy(f"COPY f (id, {', '.join(stored)}) FROM STDIN") as copy:
            for i, r in enumerate(rows):
                copy.write_row([i, *(r[n] for n in stored)])
        for _ in range(200):
            raw = random_condition(rng)
            node = c.parse(raw)
            sql, params = c.to_sql(node)
            named = re.sub(r":(c\d+|now)\b", r"%(\1)s", sql)
            got = {i for (i,) in conn.execute(f"SELECT id FROM f WHERE {named}", {**params, "now": NOW})}
            expected = {i for i, r in enumerate(rows) if c.evaluate(node, r, NOW)}
            assert got == expected, raw
