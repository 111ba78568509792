"""SQL of the Segmentation service. The batch is one statement over all users, compiled from the rules."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common import outbox
from services.segmentation import conditions
from services.segmentation.domain import FALLBACK_SEGMENT, Rule

# One run at a time, across processes and scheduler replicas (transaction-scoped advisory lock).
RUN_LOCK = 7_201_119
# Assignments: a run holds it exclusively, re-evaluations share it, so a re-evaluation never
# interleaves with a run (a run's older snapshot would overwrite it) and starts after the run commits.
ASSIGN_LOCK = 7_201_120


def try_lock_run(conn: Connection) -> bool:
    if not conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RUN_LOCK}).scalar_one():
        return False
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": ASSIGN_LOCK})  # waits for re-evaluations
    return True


def lock_users(conn: Connection, user_ids: list[str]) -> None:
    """Shares the assignment lock and takes each user's lock (in id order, so no deadlock): one
    re-evaluation of a user at a time, each seeing the previous one's result."""
    conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": ASSIGN_LOCK})
    conn.execute(
        sa.text(
            "SELECT pg_advisory_xact_lock(hashtextextended('segment:' || u, 0)) "
            "FROM (SELECT DISTINCT unnest(CAST(:ids AS text[])) AS u ORDER BY 1) s"
        ),
        {"ids": user_ids},
    )


def enabled_rules(conn: Connection) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.text(
                "SELECT id, segment, condition, version FROM segmentation.segment_rules "
                "WHERE enabled ORDER BY priority, id"
            )
        )
    )


def compile_batch(rules: list[Rule], only_listed_users: bool = False) -> tuple[str, dict[str, Any]]:
    """The statement that assigns every user (or, with `only_listed_users`, the users in :user_ids)
    their segment.

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
    source = "activity.user_facts_of(CAST(:user_ids AS text[]))" if only_listed_users else "activity.user_facts"
    statement = f"""
WITH plan AS (
  SELECT * FROM unnest(CAST(:picks AS int[]), CAST(:segments AS text[]), CAST(:rule_ids AS bigint[]),
                       CAST(:versions AS int[])) AS p(pick, segment, rule_id, rule_version)
),
decided AS MATERIALIZED (
  SELECT t.user_id, p.segment, p.rule_id, p.rule_version
  FROM (SELECT f.user_id, {case} AS pick FROM {source} f) t
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
  RETURNING id
),
published AS (
  INSERT INTO segmentation.outbox (history_id) SELECT id FROM history
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


_RULE_COLUMNS = "id, name, segment, priority, enabled, condition, version, created_at, created_by, updated_at, updated_by"


def _rule_json(row: sa.Row) -> dict:
    return {"name": row.name, "segment": row.segment, "priority": row.priority, "enabled": row.enabled, "condition": row.condition}


def insert_rule(conn: Connection, fields: dict, by: str, now: datetime) -> sa.Row:
    row = conn.execute(
        sa.text(
            "INSERT INTO segmentation.segment_rules (name, segment, priority, enabled, condition, created_at, created_by, updated_at, updated_by) "
            "VALUES (:name, :segment, :priority, :enabled, CAST(:condition AS jsonb), :now, :by, :now, :by) "
            f"RETURNING {_RULE_COLUMNS}"
        ),
        {**fields, "condition": json.dumps(fields["condition"]), "by": by, "now": now},
    ).one()
    _version(conn, row.id, row.version, "created", None, _rule_json(row), by, now)
    return row


def lock_rule(conn: Connection, rule_id: int) -> sa.Row | None:
    return conn.execute(
        sa.text(f"SELECT {_RULE_COLUMNS} FROM segmentation.segment_rules WHERE id = :id FOR UPDATE"), {"id": rule_id}
    ).one_or_none()


def update_rule(conn: Connection, before: sa.Row, fields: dict, by: str, now: datetime) -> sa.Row:
    row = conn.execute(
        sa.text(
            "UPDATE segmentation.segment_rules SET name = :name, segment = :segment, priority = :priority, "
            "enabled = :enabled, condition = CAST(:condition AS jsonb), version = version + 1, updated_at = :now, "
            f"updated_by = :by WHERE id = :id RETURNING {_RULE_COLUMNS}"
        ),
        {**fields, "condition": json.dumps(fields["condition"]), "by": by, "now": now, "id": before.id},
    ).one()
    _version(conn, row.id, row.version, "updated", _rule_json(before), _rule_json(row), by, now)
    return row


def delete_rule(conn: Connection, before: sa.Row, by: str, now: datetime) -> None:
    conn.execute(sa.text("DELETE FROM segmentation.segment_rules WHERE id = :id"), {"id": before.id})
    _version(conn, before.id, before.version + 1, "deleted", _rule_json(before), None, by, now)


def _version(conn, rule_id, version, action, before, after, by, now) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO segmentation.rule_versions (rule_id, version, action, before, after, changed_at, changed_by) "
            "VALUES (:r, :v, :a, CAST(:b AS jsonb), CAST(:af AS jsonb), :now, :by)"
        ),
        {"r": rule_id, "v": version, "a": action, "b": json.dumps(before) if before else None,
         "af": json.dumps(after) if after else None, "now": now, "by": by},
    )


def list_rules(conn: Connection, after: tuple[int, int] | None, limit: int) -> list[sa.Row]:
    prio, rid = after if after else (None, None)
    return list(
        conn.execute(
            sa.text(
                f"SELECT {_RULE_COLUMNS} FROM segmentation.segment_rules "
                "WHERE CAST(:p AS int) IS NULL OR (priority, id) > (:p, :i) ORDER BY priority, id LIMIT :n"
            ),
            {"p": prio, "i": rid, "n": limit},
        )
    )


def preview(conn: Connection, condition_sql: str, params: dict, now: datetime, sample: int) -> tuple[int, list[str]]:
    where = {**params, "now": now}
    count = conn.execute(sa.text(f"SELECT count(*) FROM activity.user_facts f WHERE {condition_sql}"), where).scalar_one()
    ids = conn.execute(
        sa.text(f"SELECT f.user_id FROM activity.user_facts f WHERE {condition_sql} ORDER BY f.user_id LIMIT :n"),
        {**where, "n": sample},
    ).scalars()
    return count, list(ids)


def segment_counts(conn: Connection) -> list[sa.Row]:
    return list(conn.execute(sa.text("SELECT segment, count(*) AS n FROM segmentation.user_segments GROUP BY segment ORDER BY segment")))


def segment_users(conn: Connection, segment: str, after: str | None, limit: int) -> list[str]:
    return list(
        conn.execute(
            sa.text(
                "SELECT user_id FROM segmentation.user_segments WHERE segment = :s "
                "AND (CAST(:a AS text) IS NULL OR user_id > :a) ORDER BY user_id LIMIT :n"
            ),
            {"s": segment, "a": after, "n": limit},
        ).scalars()
    )


def user_segment(conn: Connection, user_id: str) -> sa.Row | None:
    return conn.execute(
        sa.text("SELECT segment, rule_id, rule_version, updated_at FROM segmentation.user_segments WHERE user_id = :u"),
        {"u": user_id},
    ).one_or_none()


def user_facts(conn: Connection, user_id: str) -> dict | None:
    row = conn.execute(sa.text("SELECT * FROM activity.user_facts_of(ARRAY[CAST(:u AS text)])"), {"u": user_id}).one_or_none()
    return None if row is None else dict(row._mapping)


def rule_names(conn: Connection) -> dict[int, str]:
    return {r.id: r.name for r in conn.execute(sa.text("SELECT id, name FROM segmentation.segment_rules"))}


def list_runs(conn: Connection, after: int | None, limit: int) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.text(
                "SELECT * FROM segmentation.segment_runs WHERE CAST(:a AS bigint) IS NULL OR id < :a ORDER BY id DESC LIMIT :n"
            ),
            {"a": after, "n": limit},
        )
    )


TOPIC_CHANGED = "segmentation.changed"
CLAIM_OUTBOX = sa.text(
    """
WITH claimed AS (
  DELETE FROM segmentation.outbox WHERE id IN (
    SELECT id FROM segmentation.outbox ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED)
  RETURNING id, history_id
)
SELECT c.id, c.history_id::text AS key, jsonb_build_object(
    'change_id', h.id, 'user_id', h.user_id, 'from_segment', h.from_segment, 'to_segment', h.to_segment,
    'rule_id', h.rule_id, 'run_id', h.run_id, 'changed_at', h.changed_at) AS payload
FROM claimed c LEFT JOIN segmentation.segment_history h ON h.id = c.history_id
ORDER BY c.id
"""
)

outbox.register(outbox.Outbox(name="segmentation.outbox", topic=TOPIC_CHANGED, claim=CLAIM_OUTBOX))
