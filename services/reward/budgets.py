"""Budgets: what a coupon, a pool or a campaign may still give away, checked in the grant's own
transaction so two grants racing for the last of a budget cannot both pass."""

from __future__ import annotations

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


# How much one grant counts against the owner's budget, if it has one.
_AMOUNT = """
SELECT id, total_limit, daily_limit,
       CASE unit WHEN 'COUNT' THEN 1
                 WHEN 'TOKENS' THEN CASE WHEN token_type = :token_type THEN :tokens ELSE 0 END
                 ELSE :points END AS n
FROM reward.budgets WHERE owner_kind = :owner_kind AND owner_id = :owner_id
"""

# Both limits in one statement; the caller rolls back when either refused (so a total increase
# whose day was full is undone with everything else).
_CONSUME = sa.text(
    f"""
WITH amount AS ({_AMOUNT}),
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
)
SELECT a.id, a.n, a.total_limit, a.daily_limit,
       EXISTS (SELECT 1 FROM total) AS total_ok, EXISTS (SELECT 1 FROM daily) AS daily_ok
FROM amount a
"""
)

_RELEASE = sa.text(
    f"""
WITH amount AS ({_AMOUNT}),
total AS (
  UPDATE reward.budgets b SET spent_total = greatest(b.spent_total - a.n, 0) FROM amount a WHERE b.id = a.id AND a.n > 0
  RETURNING b.id
)
UPDATE reward.budget_days d SET spent = greatest(d.spent - a.n, 0)
FROM amount a WHERE d.budget_id = a.id AND d.day = :day AND a.n > 0
"""
)


def _params(owner_kind, owner_id, tokens, token_type, points, at) -> dict:
    return {
        "owner_kind": owner_kind,
        "owner_id": str(owner_id),
        "tokens": tokens,
        "token_type": token_type,
        "points": points,
        "day": budget_day(at),
    }


def consume(
    conn: Connection,
    *,
    owner_kind: str,
    owner_id: str,
    tokens: int = 0,
    token_type: str | None = None,
    points: int = 0,
    now: datetime,
) -> None:
    """Counts one grant (and its tokens or points) against the owner's budget, if it has one, in the
    caller's transaction. A caller whose own look-up already read `reward.has_budget(kind, owner)`
    as false may skip the call. Raises FAILED_PRECONDITION BUDGET_EXHAUSTED when the total or today's
    limit would be exceeded; the caller must roll back. Locks the budget row until commit, so call
    it last."""
    row = conn.execute(_CONSUME, _params(owner_kind, owner_id, tokens, token_type, points, now)).one_or_none()
    if row is None or row.n == 0 or (row.total_ok and row.daily_ok):
        return
    which = "total" if not row.total_ok else "daily"
    raise FailedPrecondition(
        "BUDGET_EXHAUSTED",
        f"the {owner_kind.lower()}'s {which} budget is spent",
        metadata={"budget_id": str(row.id), "limit": which},
    )


def release(
    conn: Connection,
    *,
    owner_kind: str,
    owner_id: str,
    tokens: int = 0,
    token_type: str | None = None,
    points: int = 0,
    granted_at: datetime,
) -> None:
    """Gives back what `consume` counted for a grant made at `granted_at` (a rollback)."""
    conn.execute(_RELEASE, _params(owner_kind, owner_id, tokens, token_type, points, granted_at))
