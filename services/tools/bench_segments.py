"""`engage bench-segments`: the segmentation batch over N synthetic users with 10 rules.

It creates a scratch database next to DATABASE_URL's (dropped afterwards), fills it with set-based
SQL, then times: the bare statement the rules compile to (run once in a rolled-back transaction),
the first real run, and a re-run with nothing changed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import psycopg
import sqlalchemy as sa

from services.common import db, migrate
from services.tools import scratch
from services.common.config import libpq_url

FILL = """
INSERT INTO activity.user_activity (user_id, roulette_plays, dice_plays, lottery_plays, total_play_duration,
  purchase_count, purchase_total, last_login_at, last_active_at, last_charge_at, first_seen_at)
SELECT 'u' || g, (random()*50)::int, (random()*50)::int, (random()*20)::int, (random()*10000)::int,
  (random()*10)::int, (random()*500000)::int, now() - random() * interval '60 days',
  now() - random() * interval '30 days',
  CASE WHEN random() < 0.3 THEN NULL ELSE now() - random() * interval '40 days' END,
  now() - random() * interval '400 days'
FROM generate_series(1, %(n)s) g;
INSERT INTO activity.external_deposits (user_id, deposit_amount, updated_at, updated_by)
SELECT 'u' || g, (random()*2000000)::int, now(), 'bench' FROM generate_series(1, %(n)s, 2) g;
INSERT INTO segmentation.segment_rules (name, segment, priority, condition, created_by, updated_by)
SELECT 'r' || i, 'SEG' || i, i, json_build_object('all', json_build_array(
  json_build_object('field', 'dice_plays', 'op', '>=', 'value', 40 + i),
  json_build_object('field', 'days_since_last_active', 'op', '<', 'value', 3 + i)))::jsonb, 'bench', 'bench'
FROM generate_series(1, 10) i;
ANALYZE;
"""


def main(args) -> int:
    url, drop_database = scratch.create_database("segbench")
    try:
        migrate.upgrade(url)
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            started = time.perf_counter()
            for statement in filter(str.strip, FILL.split(";")):
                conn.execute(statement, {"n": args.users} if "%(n)s" in statement else None)
            print(f"filled {args.users:,} users in {time.perf_counter() - started:.1f} s")
        engine = db.make_engine(url)
        db.use_engine(engine)
        from services.segmentation import repository, service

        with engine.connect() as conn:
            statement, params = repository.compile_batch(service.load_rules(conn))
            started = time.perf_counter()
            conn.execute(sa.text(statement), {**params, "now": datetime.now(UTC), "run_id": None})
            bare = time.perf_counter() - started
            conn.rollback()
        started = time.perf_counter()
        first = service.run_batch(trigger="bench")
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = service.run_batch(trigger="bench")
        again_s = time.perf_counter() - started
        started = time.perf_counter()
        for i in range(1, 201):
            service.reevaluate_users([f"u{i * 4999}"])
        single_ms = (time.perf_counter() - started) / 200 * 1000
        engine.dispose()
    finally:
        drop_database()
    print(f"bare compiled statement      {bare:6.2f} s")
    print(f"first run ({first.evaluated:,} users)  {first_s:6.2f} s  {first.evaluated / first_s:,.0f} users/s  "
          f"{first_s / bare:.2f}x the bare statement, {first.changed:,} changes")
    print(f"re-run, nothing to change    {again_s:6.2f} s  {again.changed:,} changes")
    print(f"re-evaluating one user       {single_ms:6.2f} ms (mean of 200, as after an event)")
    return 0
