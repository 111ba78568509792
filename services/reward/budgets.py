"""Budgets: what a coupon, a pool or a campaign may still give away, checked in the grant's own
transaction so two grants racing for the last of a budget cannot both pass.

Each counted grant leaves a charge row under the grant's key, so a rollback gives back exactly
what was counted, on the day it was counted, and nothing for a grant made before the budget existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common.config import settings
from services.common.errors import FailedPrecondition

OWNER_KINDS = ("COUPON", "POOL", "CAMPAIGN")
UNITS = ("COUNT", "TOKENS", "POINTS")


def budget_day(at: datetime) -> date:
    """Budget days follow the platform's timezone, as operators read them."""
    return at.astimezone(ZoneInfo(settings().timezone)).date()


def counted(unit: str, unit_token_type: str | None, *, tokens: int, token_type: str | None, points: int) -> int:
    """How much one grant counts against a budget of `unit`."""
    if unit == "COUNT":
        return 1
    if unit == "TOKENS":
        return tokens if token_type == unit_token_type else 0
    return points


@dataclass(frozen=True)
class Allowance:
    """What a budget still allows now (None: no cap of that kind)."""

    budget_id: int
    unit: str
    token_type: str | None
    total_left: int | None
    day_left: int | None

    def allows(self, *, tokens: int = 0, token_type: str | None = None, points: int = 0) -> bool:
        n = counted(self.unit, self.token_type, tokens=tokens, token_type=token_type, points=points)
        return all(left is None or n <= left for left in (self.total_left, self.day_left))


_ALLOWANCE = """
SELECT b.id, b.unit, b.token_type,
       b.total_limit - b.spent_total AS total_left,
       b.daily_limit - coalesce((SELECT spent FROM reward.budget_days d WHERE d.budget_id = b.id AND d.day = :day), 0) AS day_left
FROM reward.budgets b WHERE b.owner_kind = :owner_kind AND b.owner_id = :owner_id
"""


def allowance(conn: Connection, *, owner_kind: str, owner_id: str, now: datetime, lock: bool = False) -> Allowance | None:
    """The owner's budget as it stands (None without one). With `lock`, the budget row stays locked
    until commit, so what it allows cannot change before the caller's grant is counted."""
    row = conn.execute(
        sa.text(_ALLOWANCE + (" FOR UPDATE OF b" if lock else "")),
        {"owner_kind": owner_kind, "owner_id": str(owner_id), "day": budget_day(now)},
    ).one_or_none()
    if row is None:
        return None
    return Allowance(row.id, row.unit, row.token_type, row.total_left, row.day_left)


# Both limits and the charge in one statement; the caller rolls back when either limit refused.
_CONSUME = sa.text(
    """
WITH amount AS (
  SELECT id, total_limit, daily_limit,
         CASE unit WHEN 'COUNT' THEN 1
                   WHEN 'TOKENS' THEN CASE WHEN token_type = :token_type THEN :tokens ELSE 0 END
                   ELSE :points END AS n
  FROM reward.budgets WHERE owner_kind = :owner_kind AND owner_id = :owner_id
),
total AS (
  UPDATE reward.budgets b SET spent_total = b.spent_total + a.n
  FROM amount a
  WHERE b.id = a.id AND a.n > 0 AND (a.total_limit IS NULL OR b.spent_total + a.n <= a.total_limit)
  RETURNING b.id
),
daily AS (
  INSERT INTO reward.budget_days AS d (budget_id, day, spent)
  SELECT a.id, :day, a.n FROM amount a JOIN total t ON t.id = a.id
  WHERE a.daily_limit IS NULL OR a.n <= a.daily_limit
  ON CONFLICT (budget_id, day) DO UPDATE SET spent = d.spent + EXCLUDED.spent
  WHERE (SELECT daily_limit FROM amount) IS NULL OR d.spent + EXCLUDED.spent <= (SELECT daily_limit FROM amount)
  RETURNING d.budget_id
),
charge AS (
  INSERT INTO reward.budget_charges (key, budget_id, amount, day, charged_at)
  SELECT :key, a.id, a.n, :day, :now FROM amount a JOIN daily d ON d.budget_id = a.id
)
SELECT a.id, a.n, EXISTS (SELECT 1 FROM total) AS total_ok, EXISTS (SELECT 1 FROM daily) AS daily_ok
FROM amount a
"""
)

# Gives back exactly the charges made under the key, once.
_RELEASE = sa.text(
    """
WITH released AS (
  UPDATE reward.budget_charges SET released_at = :now
  WHERE key = :key AND released_at IS NULL
  RETURNING budget_id, amount, day
),
total AS (
  UPDATE reward.budgets b SET spent_total = b.spent_total - r.amount FROM released r WHERE b.id = r.budget_id
)
UPDATE reward.budget_days d SET spent = d.spent - r.amount FROM released r WHERE d.budget_id = r.budget_id AND d.day = r.day
"""
)


def consume(
    conn: Connection,
    *,
    owner_kind: str,
    owner_id: str,
    key: str,
    now: datetime,
    tokens: int = 0,
    token_type: str | None = None,
    points: int = 0,
) -> None:
    """Counts one grant (and its tokens or points) against the owner's budget, if it has one, in the
    caller's transaction, recording the charge under `key` (the grant's idempotency key). Raises
    FAILED_PRECONDITION BUDGET_EXHAUSTED when the total or today's limit would be exceeded; the
    caller must roll back. Locks the budget row until commit, so call it late. A caller whose own
    look-up already read `reward.has_budget(kind, owner)` as false may skip the call."""
    params = {
        "owner_kind": owner_kind,
        "owner_id": str(owner_id),
        "key": key,
        "tokens": tokens,
        "token_type": token_type,
        "points": points,
        "day": budget_day(now),
        "now": now,
    }
    row = conn.execute(_CONSUME, params).one_or_none()
    if row is None or row.n == 0 or (row.total_ok and row.daily_ok):
        return
    which = "total" if not row.total_ok else "daily"
    raise FailedPrecondition(
        "BUDGET_EXHAUSTED",
        f"the {owner_kind.lower()}'s {which} budget is spent",
        metadata={"budget_id": str(row.id), "limit": which},
    )


def release(conn: Connection, *, key: str, now: datetime) -> None:
    """Gives back what `consume` counted under `key` (a rollback): every budget it was counted
    against, on the day it was counted; a second call gives nothing."""
    conn.execute(_RELEASE, {"key": key, "now": now})


def consume_many(
    conn: Connection,
    *,
    owner_kind: str,
    owner_id: str,
    keys: list[str],
    now: datetime,
    tokens: int = 0,
    token_type: str | None = None,
    points: int = 0,
) -> list[str]:
    """`consume` for many equal grants at once (a campaign batch): locks the owner's budget, counts
    as many of them as it still allows, in `keys` order, with one charge row each, and returns
    their keys (all of them when the owner has no budget or the grant does not count against it).
    The rest are refused; the caller grants only the returned ones. Set-based: a fixed number of
    statements whatever the number of keys."""
    if not keys or allowance(conn, owner_kind=owner_kind, owner_id=owner_id, now=now, lock=True) is None:
        return list(keys)
    # Read again once the lock is held: the locking statement's snapshot predates the commit of the
    # batch it waited for, so its day total could be stale (a new statement sees that commit).
    allowed = allowance(conn, owner_kind=owner_kind, owner_id=owner_id, now=now)
    n = counted(allowed.unit, allowed.token_type, tokens=tokens, token_type=token_type, points=points)
    if n == 0:
        return list(keys)
    lefts = [left for left in (allowed.total_left, allowed.day_left) if left is not None]
    k = min([len(keys)] + [max(0, left // n) for left in lefts])
    if k == 0:
        return []
    taken, day = keys[:k], budget_day(now)
    conn.execute(
        sa.text(
            """
WITH total AS (
  UPDATE reward.budgets SET spent_total = spent_total + :amount WHERE id = :id
), daily AS (
  INSERT INTO reward.budget_days AS d (budget_id, day, spent) VALUES (:id, :day, :amount)
  ON CONFLICT (budget_id, day) DO UPDATE SET spent = d.spent + EXCLUDED.spent
)
INSERT INTO reward.budget_charges (key, budget_id, amount, day, charged_at)
SELECT key, :id, :n, :day, :now FROM unnest(CAST(:keys AS text[])) key
"""
        ),
        {"id": allowed.budget_id, "amount": k * n, "n": n, "day": day, "now": now, "keys": taken},
    )
    return taken
