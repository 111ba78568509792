"""Service layer of Segmentation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from services.common import db
from services.common.errors import FailedPrecondition
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
