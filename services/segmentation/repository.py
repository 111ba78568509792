"""SQL of the Segmentation service. The batch is one statement over all users, compiled from the rules."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.segmentation import conditions
from services.segmentation.domain import FALLBACK_SEGMENT, Rule

# One run at a time, across processes and scheduler replicas (transaction-scoped advisory lock).
RUN_LOCK = 7_201_119


def try_lock_run(conn: Connection) -> bool:
    return conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RUN_LOCK}).scalar_one()


def enabled_rules(conn: Connection) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.text(
                "SELECT id, segment, condition, version FROM segmentation.segment_rules "
                "WHERE enabled ORDER BY priority, id"
            )
        )
    )


def compile_batch(rules: list[Rule]) -> tuple[str, dict[str, Any]]:
    """The statement that assigns every user their segment.

    Each user's facts are tested against the rules in order once (a CASE yielding the index of the
    first rule that holds); the index picks segment, rule and version from a small plan table. Only
    rows whose assignment changed are written (IS DISTINCT FROM), and a history row is written only
    where the segment itself changed. Returns the statement and its parameters.
    """
    params: dict[str, Any] = {}
    whens = []
    for i, rule in enumerate(rules, start=1):
        sql, p = conditions.to_sql(rule.condition, prefix=f"r{i}_")
        params.update(p)
        whens.append(f"WHEN {sql} THEN {i}")
    case = f"CASE {' '.join(whens)} ELSE 0 END" if whens else "0"
    params.update(
        picks=[0, *range(1, len(rules) + 1)],
        segments=[FALLBACK_SEGMENT, *(r.segment for r in rules)],
        rule_ids=[None, *(r.rule_id for r in rules)],
        versions=[None, *(r.version for r in rules)],
    )
    statement = f"""
WITH plan AS (
  SELECT * FROM unnest(CAST(:picks AS int[]), CAST(:segments AS text[]), CAST(:rule_ids AS bigint[]),
                       CAST(:versions AS int[])) AS p(pick, segment, rule_id, rule_version)
),
decided AS MATERIALIZED (
  SELECT t.user_id, p.segment, p.rule_id, p.rule_version
  FROM (SELECT f.user_id, {case} AS pick FROM activity.user_facts f) t
  JOIN plan p USING (pick)
),
changes AS MATERIALIZED (
  SELECT d.*, us.segment AS from_segment
  FROM decided d LEFT JOIN segmentation.user_segments us USING (user_id)
  WHERE us.user_id IS NULL
     OR (us.segment, us.rule_id, us.rule_version) IS DISTINCT FROM (d.segment, d.rule_id, d.rule_version)
),
written AS (
  INSERT INTO segmentation.user_segments AS us (user_id, segment, rule_id, rule_version, updated_at)
  SELECT user_id, segment, rule_id, rule_version, :now FROM changes
  ON CONFLICT (user_id) DO UPDATE SET segment = excluded.segment, rule_id = excluded.rule_id,
    rule_version = excluded.rule_version, updated_at = excluded.updated_at
),
history AS (
  INSERT INTO segmentation.segment_history (run_id, user_id, from_segment, to_segment, rule_id, changed_at)
  SELECT :run_id, user_id, from_segment, segment, rule_id, :now FROM changes
  WHERE from_segment IS DISTINCT FROM segment
)
SELECT (SELECT count(*) FROM decided) AS evaluated,
       (SELECT count(*) FROM changes WHERE from_segment IS DISTINCT FROM segment) AS changed,
       (SELECT coalesce(json_object_agg(segment, n), '{{}}') FROM
          (SELECT segment, count(*) AS n FROM decided GROUP BY segment) s) AS counts
"""
    return statement, params


def start_run(conn: Connection, now: datetime, trigger: str) -> int:
    return conn.execute(
        sa.text("INSERT INTO segmentation.segment_runs (started_at, trigger) VALUES (:now, :t) RETURNING id"),
        {"now": now, "t": trigger},
    ).scalar_one()


def finish_run(conn: Connection, run_id: int, finished: datetime, evaluated: int, changed: int, counts: dict) -> None:
    conn.execute(
        sa.text(
            "UPDATE segmentation.segment_runs SET finished_at = :f, users_evaluated = :e, changes = :c, "
            "counts = CAST(:counts AS jsonb) WHERE id = :id"
        ),
        {"f": finished, "e": evaluated, "c": changed, "counts": json.dumps(counts), "id": run_id},
    )


def record_failed_run(conn: Connection, started: datetime, finished: datetime, trigger: str, error: str) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO segmentation.segment_runs (started_at, finished_at, trigger, error) "
            "VALUES (:s, :f, :t, :e) RETURNING id"
        ),
        {"s": started, "f": finished, "t": trigger, "e": error[:2000]},
    ).scalar_one()
