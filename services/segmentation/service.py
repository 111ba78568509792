"""Service layer of Segmentation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from services.common import db, pagination
from services.common.errors import Aborted, AlreadyExists, FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from services.segmentation import conditions, domain, repository

log = logging.getLogger("engage.segmentation")


@dataclass(frozen=True)
class RunResult:
    run_id: int
    evaluated: int
    changed: int
    counts: dict[str, int]


def load_rules(conn) -> list[domain.Rule]:
    """Enabled operator rules in evaluation order, then the defaults. Conditions were validated when
    saved; one that no longer parses (a field was retired) fails the run rather than being skipped."""
    rules = [
        domain.Rule(r.segment, conditions.parse(r.condition), rule_id=r.id, version=r.version)
        for r in repository.enabled_rules(conn)
    ]
    return domain.plan(rules)


def run_batch(*, now: datetime | None = None, trigger: str = "manual") -> RunResult:
    """Evaluates every user in one transaction: readers see the previous assignment or the new one,
    never half a run. Refuses with RUN_IN_PROGRESS while another run holds the lock. A failed run is
    recorded with its error and leaves the previous segments as they were."""
    now = now or datetime.now(UTC)
    try:
        with db.transaction() as conn:
            if not repository.try_lock_run(conn):
                raise FailedPrecondition("RUN_IN_PROGRESS", "a segmentation run is already in progress")
            conn.execute(sa.text("SET LOCAL statement_timeout = '30min'"))  # a run scans every user
            run_id = repository.start_run(conn, now, trigger)
            statement, params = repository.compile_batch(load_rules(conn))
            row = conn.execute(sa.text(statement), {**params, "now": now, "run_id": run_id}).one()
            finished = datetime.now(UTC)
            repository.finish_run(conn, run_id, finished, row.evaluated, row.changed, dict(row.counts))
            return RunResult(run_id, row.evaluated, row.changed, dict(row.counts))
    except FailedPrecondition:
        raise
    except Exception as e:
        log.exception("segmentation run failed")
        with db.transaction() as conn:
            repository.record_failed_run(conn, now, datetime.now(UTC), trigger, f"{type(e).__name__}: {e}")
        raise


def reevaluate_users(user_ids: list[str], *, now: datetime | None = None) -> int:
    """Re-evaluates these users now (after their activity changed); returns how many changed segment.
    The same compiled statement as the batch, limited to the users; their history rows carry no run."""
    with db.transaction() as conn:
        repository.lock_users(conn, user_ids)
        now = now or datetime.now(UTC)  # after the locks: never older than what we waited for
        statement, params = repository.compile_batch(load_rules(conn), only_listed_users=True)
        row = conn.execute(sa.text(statement), {**params, "now": now, "run_id": None, "user_ids": user_ids}).one()
    return row.changed


# ---- rules -----------------------------------------------------------------------------------

def checked_condition(raw: dict) -> tuple[conditions.Node, dict]:
    """Parses a condition from a request; refuses it naming each bad node as `condition_json.<path>`.
    Returns the tree and the condition as stored (integral numbers as integers)."""
    normalized = _integral(raw)
    try:
        return conditions.parse(normalized), normalized
    except conditions.ConditionError as e:
        violations = [FieldViolation("condition_json" + path[1:], message) for path, message in e.problems]
        raise InvalidArgument.fields(violations, reason="INVALID_CONDITION") from None


def _integral(value):
    """JSON numbers arrive as floats from a protobuf Struct: 1000000.0 is stored as 1000000."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def create_rule(name: str, segment: str, priority: int, enabled: bool, condition: dict, by: str, now: datetime | None = None):
    _, stored = checked_condition(condition)
    fields = {"name": name, "segment": segment, "priority": priority, "enabled": enabled, "condition": stored}
    try:
        with db.transaction() as conn:
            return repository.insert_rule(conn, fields, by, now or datetime.now(UTC))
    except sa.exc.IntegrityError:
        raise AlreadyExists("RULE_NAME_TAKEN", f"a rule named {name!r} exists", metadata={"name": name}) from None


def update_rule(
    rule_id: int,
    name: str,
    segment: str,
    priority: int,
    enabled: bool,
    condition: dict,
    by: str,
    now: datetime | None = None,
    expected_version: int | None = None,
):
    _, stored = checked_condition(condition)
    fields = {"name": name, "segment": segment, "priority": priority, "enabled": enabled, "condition": stored}
    try:
        with db.transaction() as conn:
            before = repository.lock_rule(conn, rule_id)
            if before is None:
                raise NotFound("RULE_NOT_FOUND", f"no rule {rule_id}", metadata={"rule_id": str(rule_id)})
            if expected_version is not None and before.version != expected_version:
                raise Aborted(
                    "RULE_VERSION_MISMATCH",
                    f"the rule is at version {before.version}, not {expected_version}; reload it and retry",
                    metadata={"version": str(before.version)},
                )
            return repository.update_rule(conn, before, fields, by, now or datetime.now(UTC))
    except sa.exc.IntegrityError:
        raise AlreadyExists("RULE_NAME_TAKEN", f"a rule named {name!r} exists", metadata={"name": name}) from None


def delete_rule(rule_id: int, by: str, now: datetime | None = None) -> None:
    with db.transaction() as conn:
        before = repository.lock_rule(conn, rule_id)
        if before is None:
            raise NotFound("RULE_NOT_FOUND", f"no rule {rule_id}", metadata={"rule_id": str(rule_id)})
        repository.delete_rule(conn, before, by, now or datetime.now(UTC))


def list_rules(size: int, token: str):
    after = pagination.decode(token, "rules", shape=(int, int))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = repository.list_rules(conn, tuple(after) if after else None, limit + 1)
    page = rows[:limit]
    more = len(rows) > limit
    return page, pagination.encode([page[-1].priority, page[-1].id], "rules") if more else ""


def preview(condition: dict, sample: int, now: datetime | None = None) -> tuple[int, list[str]]:
    node, _ = checked_condition(condition)
    sql, params = conditions.to_sql(node)
    with db.transaction() as conn:
        return repository.preview(conn, sql, params, now or datetime.now(UTC), sample or 10)


# ---- reads -----------------------------------------------------------------------------------

def segment_counts() -> list[tuple[str, int]]:
    with db.transaction() as conn:
        return [(r.segment, r.n) for r in repository.segment_counts(conn)]


def segment_users(segment: str, size: int, token: str) -> tuple[list[str], str]:
    after = pagination.decode(token, {"segment": segment}, shape=(str,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        ids = repository.segment_users(conn, segment, after[0] if after else None, limit + 1)
    return pagination.split(ids, limit, {"segment": segment}, key=lambda user_id: [user_id])


@dataclass(frozen=True)
class RuleCheck:
    rule: domain.Rule
    name: str
    failed: list[conditions.Leaf]


@dataclass(frozen=True)
class Explanation:
    segment: str
    rule_id: int | None
    rule_version: int | None
    since: datetime
    facts: dict
    checks: list[RuleCheck]
    segment_now: str
    rule_now: domain.Rule | None


def explain(user_id: str, now: datetime | None = None) -> Explanation:
    """The user's stored segment, their facts now, and for every rule tried before the one that decides
    today, the conditions that failed: the answer to "why is this user not VIP?"."""
    now = now or datetime.now(UTC)
    with db.transaction() as conn:
        assigned = repository.user_segment(conn, user_id)
        if assigned is None:
            raise NotFound("USER_NOT_SEGMENTED", "the user has not been evaluated yet", metadata={"user_id": user_id})
        facts = repository.user_facts(conn, user_id) or {"user_id": user_id}
        rules = load_rules(conn)
        names = repository.rule_names(conn)
    checks = []
    for rule in rules:
        failed = conditions.failed_leaves(rule.condition, facts, now)
        if not failed:
            break
        checks.append(RuleCheck(rule, names.get(rule.rule_id, rule.segment), failed))
    segment_now, rule_now = domain.decide(rules, facts, now)
    return Explanation(
        assigned.segment, assigned.rule_id, assigned.rule_version, assigned.updated_at, facts, checks, segment_now, rule_now
    )


def list_runs(size: int, token: str):
    after = pagination.decode(token, "runs", shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = repository.list_runs(conn, after[0] if after else None, limit + 1)
    return pagination.split(rows, limit, "runs")


def list_runs_by_id(run_ids: list[int]):
    with db.transaction() as conn:
        return list(
            conn.execute(sa.text("SELECT * FROM segmentation.segment_runs WHERE id = ANY(:ids) ORDER BY id"), {"ids": run_ids})
        )


def segment_of(conn, user_id: str) -> str | None:
    """The user's current segment (None before their first evaluation), read in the caller's
    transaction: how other services check a segment restriction."""
    row = repository.user_segment(conn, user_id)
    return row.segment if row else None
