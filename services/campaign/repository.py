"""Campaign rows and their status moves, shared by the admin API and the delivery engine: every
move goes through `move`, which checks it against the status machine and records who made it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.campaign import domain
from services.common.errors import FailedPrecondition, NotFound

SCHEDULER = "scheduler"  # who automatic moves are recorded as


def not_found(campaign_id: int) -> NotFound:
    return NotFound("CAMPAIGN_NOT_FOUND", f"no campaign has id {campaign_id}", metadata={"campaign_id": str(campaign_id)})


def get(conn: Connection, campaign_id: int, *, lock: bool = False) -> sa.Row | None:
    """The campaign row; `lock` takes it FOR UPDATE (every status move does, so moves serialize)."""
    suffix = " FOR UPDATE" if lock else ""
    return conn.execute(sa.text(f"SELECT * FROM campaign.campaigns WHERE id = :id{suffix}"), {"id": campaign_id}).one_or_none()


def get_or_raise(conn: Connection, campaign_id: int, *, lock: bool = False) -> sa.Row:
    row = get(conn, campaign_id, lock=lock)
    if row is None:
        raise not_found(campaign_id)
    return row


def record_change(
    conn: Connection, campaign_id: int, *, action: str, from_status: str | None, to_status: str | None,
    by: str, now: datetime, detail: dict | None = None,
) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO campaign.campaign_changes (campaign_id, action, from_status, to_status, changed_by, changed_at, detail) "
            "VALUES (:c, :a, :f, :t, :by, :now, CAST(:d AS jsonb))"
        ).bindparams(sa.bindparam("d", type_=sa.JSON)),
        {"c": campaign_id, "a": action, "f": from_status, "t": to_status, "by": by, "now": now, "d": detail or {}},
    )


PAST_TENSE = {"schedule": "scheduled", "start": "started", "pause": "paused", "resume": "resumed",
              "complete": "completed", "cancel": "canceled"}


def move(
    conn: Connection, campaign_id: int, action: str, *, by: str, now: datetime, detail: dict | None = None,
    guard: Callable[[Connection, sa.Row], bool] | None = None,
) -> sa.Row | None:
    """Applies a status move to the locked campaign and records it; returns the updated row.
    Raises NOT_FOUND, or FAILED_PRECONDITION INVALID_TRANSITION (metadata `from`, `to`).
    `guard(conn, row)` is checked on the locked row first: when it no longer holds (the scheduler
    read a due list without locks and an operator changed the campaign since), nothing moves and
    None is returned."""
    row = get_or_raise(conn, campaign_id, lock=True)
    if guard is not None and domain.next_status(row.status, action) is not None and not guard(conn, row):
        return None
    target = domain.next_status(row.status, action)
    if target is None:
        wanted = domain.ACTION_TARGET[action]
        raise FailedPrecondition(
            "INVALID_TRANSITION",
            f"a {row.status} campaign cannot be moved to {wanted}",
            metadata={"from": row.status, "to": wanted, "campaign_id": str(campaign_id)},
        )
    updated = conn.execute(
        sa.text(
            """
UPDATE campaign.campaigns SET status = :to, version = version + 1, updated_at = :now, updated_by = :by,
  started_at = CASE WHEN :to = 'RUNNING' THEN coalesce(started_at, :now) ELSE started_at END,
  finished_at = CASE WHEN :to IN ('COMPLETED', 'CANCELED') THEN :now ELSE finished_at END
WHERE id = :id RETURNING *
"""
        ),
        {"to": target, "now": now, "by": by, "id": campaign_id},
    ).one()
    record_change(conn, campaign_id, action=PAST_TENSE[action], from_status=row.status, to_status=target, by=by, now=now, detail=detail)
    if target in ("COMPLETED", "CANCELED"):
        # Users not yet handled are never sent to; their logs say so (stats count them as canceled).
        conn.execute(
            sa.text(
                "UPDATE campaign.campaign_logs SET status = 'CANCELED', processed_at = :now "
                "WHERE campaign_id = :id AND status = 'PENDING'"
            ),
            {"id": campaign_id, "now": now},
        )
        conn.execute(
            sa.text("UPDATE campaign.batches SET status = 'DONE', done_at = :now WHERE campaign_id = :id AND status = 'PENDING'"),
            {"id": campaign_id, "now": now},
        )
    return updated
