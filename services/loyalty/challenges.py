"""SQL of challenges: definitions, joining, progress from events (one conditional UPDATE per event),
the claim (once, by a conditional UPDATE), and the dashboard's read."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common.config import settings
from services.loyalty import gamification_domain as gd

CHALLENGE_COLUMNS = (
    "id, title, description, challenge_type, target_value, target, category, reward, start_date, end_date, is_active, "
    "created_at, created_by, updated_at, updated_by"
)
MAX_RUNNING = 200  # running challenges are a handful; the cap keeps the unpaginated list bounded

_RUNNING = "c.is_active AND CAST(:today AS date) BETWEEN c.start_date AND c.end_date"


def _today(now: datetime) -> date:
    return gd.StreakRules(timezone=settings().timezone).day(now)


def active_challenges(conn: Connection, user_id: str, now: datetime) -> list[dict]:
    """The running challenges the member joined (claimed ones included), soonest end first,
    read-only in the caller's transaction, one query: `{"challenge_id", "title", "challenge_type",
    "progress", "target", "completed", "claimed", "end_date", "days_left"}`. `days_left` counts
    today: 1 on the last day."""
    today = _today(now)
    rows = conn.execute(
        sa.text(
            "SELECT c.id, c.title, c.challenge_type, c.target, c.end_date, uc.progress, uc.completed_at, uc.claimed_at "
            "FROM loyalty.user_challenges uc JOIN loyalty.challenges c ON c.id = uc.challenge_id "
            f"WHERE uc.user_id = :u AND {_RUNNING} ORDER BY c.end_date, c.id LIMIT {MAX_RUNNING}"
        ),
        {"u": user_id, "today": today},
    )
    return [
        {
            "challenge_id": r.id,
            "title": r.title,
            "challenge_type": r.challenge_type,
            "progress": r.progress,
            "target": r.target,
            "completed": r.completed_at is not None,
            "claimed": r.claimed_at is not None,
            "end_date": r.end_date,
            "days_left": gd.days_left(r.end_date, today),
        }
        for r in rows
    ]


_WITH_PART = (
    f"SELECT {', '.join('c.' + c.strip() for c in CHALLENGE_COLUMNS.split(','))}, uc.progress, uc.joined_at, "
    "uc.completed_at, uc.claimed_at FROM loyalty.challenges c "
    "LEFT JOIN loyalty.user_challenges uc ON uc.user_id = :u AND uc.challenge_id = c.id "
)


def running_for_user(conn: Connection, user_id: str, today: date) -> list[sa.Row]:
    """Every running challenge, with the member's part when they joined."""
    return list(
        conn.execute(
            sa.text(_WITH_PART + f"WHERE {_RUNNING} ORDER BY c.end_date, c.id LIMIT {MAX_RUNNING}"),
            {"u": user_id, "today": today},
        )
    )


def with_part(conn: Connection, user_id: str, challenge_id: int) -> sa.Row | None:
    """One challenge with the member's part, as `running_for_user` shows it."""
    return conn.execute(sa.text(_WITH_PART + "WHERE c.id = :id"), {"u": user_id, "id": challenge_id}).one_or_none()


# ---- progress ------------------------------------------------------------------------------------

# One event moves every open challenge of the member it can affect: counting challenges add the
# order's step (1 when the order starts counting as a purchase; its net amount's increase),
# streak challenges follow the streak (its days since joining). Only events on a day inside the
# window and at or after the join count. A completed challenge keeps moving (its completion time stays
# the first one), so a refund compares the target with the true progress. What an order added is kept
# per challenge (challenge_orders), so its refund takes exactly that back. Every writer of a member's
# challenge rows holds the member's points account first (see gamification.py), so `was` reads the
# rows as this UPDATE finds them: `completed` is true only for the challenges this event completed.
_NEW_PROGRESS = """CASE WHEN c.challenge_type = 'streak'
    THEN greatest(uc.progress, least(CAST(:streak AS bigint), CAST(:day AS date) - CAST((uc.joined_at AT TIME ZONE :tz) AS date) + 1))
    WHEN c.challenge_type = 'purchase_amount' THEN uc.progress + CAST(:amount AS bigint) ELSE uc.progress + CAST(:count AS bigint) END"""
_PROGRESS = sa.text(
    f"""
WITH was AS (
  SELECT challenge_id, completed_at FROM loyalty.user_challenges WHERE user_id = :u
), moved AS (
  UPDATE loyalty.user_challenges uc
  SET progress = {_NEW_PROGRESS},
      completed_at = CASE WHEN uc.completed_at IS NOT NULL THEN uc.completed_at
                          WHEN {_NEW_PROGRESS} >= c.target THEN CAST(:now AS timestamptz) END
  FROM loyalty.challenges c, was
  WHERE uc.user_id = :u AND c.id = uc.challenge_id AND was.challenge_id = uc.challenge_id AND uc.joined_at <= :occurred_at
    AND c.is_active AND CAST(:day AS date) BETWEEN c.start_date AND c.end_date
    AND c.challenge_type = ANY(:types) AND (c.challenge_type <> 'category' OR c.category = :category)
  RETURNING uc.challenge_id, uc.progress, was.completed_at IS NULL AND uc.completed_at IS NOT NULL AS completed, c.challenge_type
), contributed AS (
  INSERT INTO loyalty.challenge_orders AS co (user_id, challenge_id, order_id, amount, counted)
  SELECT :u, challenge_id, :order_id, CASE WHEN challenge_type = 'purchase_amount' THEN CAST(:amount AS bigint) ELSE 0 END,
         challenge_type <> 'purchase_amount'
  FROM moved WHERE challenge_type <> 'streak' AND CAST(:order_id AS text) IS NOT NULL
  ON CONFLICT (user_id, challenge_id, order_id) DO UPDATE SET amount = co.amount + excluded.amount, counted = co.counted OR excluded.counted
)
SELECT challenge_id, progress, completed FROM moved
"""
)


def progress(conn: Connection, user_id: str, *, types: list[str], day: date, occurred_at: datetime, amount: int = 0,
             count: int = 0, category: str | None = None, order_id: str | None = None, streak: int = 0,
             now: datetime) -> list[sa.Row]:
    """Applies one event to the member's challenges of `types`; returns those it moved (`completed`:
    this event completed it)."""
    if not types:
        return []
    return list(
        conn.execute(
            _PROGRESS,
            {"u": user_id, "types": types, "day": day, "occurred_at": occurred_at, "amount": amount, "count": count,
             "category": category, "order_id": order_id, "streak": streak, "now": now, "tz": settings().timezone},
        )
    )


# ---- refunds ---------------------------------------------------------------------------------------

def contributions(conn: Connection, user_id: str, order_id: str) -> list[sa.Row]:
    """What the order added to the member's challenges, the member's parts locked (challenge order)."""
    return list(conn.execute(
        sa.text(
            "SELECT co.challenge_id, co.amount, co.counted, c.challenge_type, c.target, c.title, uc.progress, uc.completed_at, "
            "uc.claimed_at, uc.reversed_at, uc.reversals, uc.claim FROM loyalty.challenge_orders co "
            "JOIN loyalty.user_challenges uc ON uc.user_id = co.user_id AND uc.challenge_id = co.challenge_id "
            "JOIN loyalty.challenges c ON c.id = co.challenge_id "
            "WHERE co.user_id = :u AND co.order_id = :o ORDER BY co.challenge_id FOR UPDATE OF uc, co"
        ),
        {"u": user_id, "o": order_id},
    ))


def take_back(conn: Connection, user_id: str, challenge_id: int, order_id: str, n: int, target: int) -> sa.Row:
    """Takes `n` off the member's progress (and off the order's contribution). An unclaimed
    completion that falls under the target is undone; a claimed one stays claimed (the caller claws
    its reward back)."""
    conn.execute(
        sa.text("UPDATE loyalty.challenge_orders SET amount = greatest(amount - :n, 0), counted = counted AND amount - :n > 0 "
                "WHERE user_id = :u AND challenge_id = :id AND order_id = :o"),
        {"u": user_id, "id": challenge_id, "o": order_id, "n": n},
    )
    return conn.execute(
        sa.text(
            "UPDATE loyalty.user_challenges SET progress = progress - :n, completed_at = CASE WHEN claimed_at IS NULL "
            "AND progress - :n < :target THEN NULL ELSE completed_at END WHERE user_id = :u AND challenge_id = :id "
            "RETURNING progress, completed_at, claimed_at, reversed_at"
        ),
        {"u": user_id, "id": challenge_id, "n": n, "target": target},
    ).one()


def mark_reversed(conn: Connection, user_id: str, challenge_id: int, clawback: dict, now: datetime) -> None:
    """Records a clawback and reopens the challenge: no longer completed nor claimed, so a later
    qualifying event inside the window completes it again and a new claim (keyed by `reversals`)
    pays again."""
    conn.execute(
        sa.text("UPDATE loyalty.user_challenges SET reversed_at = :now, clawback = CAST(:c AS jsonb), completed_at = NULL, "
                "claimed_at = NULL, claim = NULL, reversals = reversals + 1 "
                "WHERE user_id = :u AND challenge_id = :id").bindparams(sa.bindparam("c", type_=sa.JSON)),
        {"u": user_id, "id": challenge_id, "c": clawback, "now": now},
    )


def reward_key(challenge_id: int, user_id: str, reversals: int) -> str:
    """The idempotency key of a claim's grants (and, prefixed, of its clawback): the first claim's
    key as ever; a claim after `reversals` clawbacks gets its own."""
    return f"challenge:{challenge_id}:{user_id}" + (f":r{reversals}" if reversals else "")


# ---- joining and claiming ----------------------------------------------------------------------------

def join(conn: Connection, user_id: str, challenge_id: int, today: date, now: datetime) -> bool:
    """Joins a running challenge; False when it is not running or the member already joined."""
    return (
        conn.execute(
            sa.text(
                "INSERT INTO loyalty.user_challenges (user_id, challenge_id, joined_at) SELECT :u, c.id, :now "
                f"FROM loyalty.challenges c WHERE c.id = :id AND {_RUNNING} ON CONFLICT DO NOTHING RETURNING challenge_id"
            ),
            {"u": user_id, "id": challenge_id, "today": today, "now": now},
        ).first()
        is not None
    )


def part(conn: Connection, user_id: str, challenge_id: int) -> sa.Row | None:
    return conn.execute(
        sa.text("SELECT progress, joined_at, completed_at, claimed_at, claim, reversed_at FROM loyalty.user_challenges "
                "WHERE user_id = :u AND challenge_id = :id"),
        {"u": user_id, "id": challenge_id},
    ).one_or_none()


def set_claim(conn: Connection, user_id: str, challenge_id: int, claim: dict) -> None:
    """Completes the stored answer of a claim (the badges it awarded), which a repeated claim answers."""
    conn.execute(
        sa.text("UPDATE loyalty.user_challenges SET claim = CAST(:claim AS jsonb) WHERE user_id = :u AND challenge_id = :id")
        .bindparams(sa.bindparam("claim", type_=sa.JSON)),
        {"u": user_id, "id": challenge_id, "claim": claim},
    )


def mark_claimed(conn: Connection, user_id: str, challenge_id: int, claim: dict, now: datetime) -> int | None:
    """Claims a completed challenge's reward: the clawbacks before it (for its keys); None when not
    completed or already claimed. A concurrent claim waits on the row and then finds it claimed."""
    return conn.execute(
        sa.text(
            "UPDATE loyalty.user_challenges SET claimed_at = :now, claim = CAST(:claim AS jsonb) WHERE user_id = :u "
            "AND challenge_id = :id AND completed_at IS NOT NULL AND claimed_at IS NULL RETURNING reversals"
        ).bindparams(sa.bindparam("claim", type_=sa.JSON)),
        {"u": user_id, "id": challenge_id, "claim": claim, "now": now},
    ).scalar_one_or_none()


# ---- definitions -----------------------------------------------------------------------------------

def get(conn: Connection, challenge_id: int) -> sa.Row | None:
    return conn.execute(sa.text(f"SELECT {CHALLENGE_COLUMNS} FROM loyalty.challenges WHERE id = :id"), {"id": challenge_id}).one_or_none()


def page(conn: Connection, after_id: int | None, limit: int) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.text(f"SELECT {CHALLENGE_COLUMNS} FROM loyalty.challenges WHERE id > :after ORDER BY id LIMIT :n"),
            {"after": after_id or 0, "n": limit},
        )
    )


_JSON = (sa.bindparam("target_value", type_=sa.JSON), sa.bindparam("reward", type_=sa.JSON))


def insert(conn: Connection, values: dict, by: str, now: datetime) -> sa.Row:
    return conn.execute(
        sa.text(
            "INSERT INTO loyalty.challenges (title, description, challenge_type, target_value, target, category, reward, "
            "start_date, end_date, is_active, created_at, created_by, updated_at, updated_by) VALUES (:title, :description, "
            ":challenge_type, CAST(:target_value AS jsonb), :target, :category, CAST(:reward AS jsonb), :start_date, :end_date, "
            f":is_active, :now, :by, :now, :by) RETURNING {CHALLENGE_COLUMNS}"
        ).bindparams(*_JSON),
        {**values, "by": by, "now": now},
    ).one()


def update(conn: Connection, challenge_id: int, values: dict, by: str, now: datetime) -> sa.Row | None:
    return conn.execute(
        sa.text(
            "UPDATE loyalty.challenges SET title = :title, description = :description, challenge_type = :challenge_type, "
            "target_value = CAST(:target_value AS jsonb), target = :target, category = :category, reward = CAST(:reward AS jsonb), "
            "start_date = :start_date, end_date = :end_date, is_active = :is_active, updated_at = :now, updated_by = :by "
            f"WHERE id = :id RETURNING {CHALLENGE_COLUMNS}"
        ).bindparams(*_JSON),
        {**values, "id": challenge_id, "by": by, "now": now},
    ).one_or_none()


def joined_by_anyone(conn: Connection, challenge_id: int) -> bool:
    return conn.execute(
        sa.text("SELECT EXISTS (SELECT 1 FROM loyalty.user_challenges WHERE challenge_id = :id)"), {"id": challenge_id}
    ).scalar_one()


def reward_badge_users(conn: Connection, code: str) -> list[int]:
    """Challenges whose reward names the badge `code`."""
    return list(conn.execute(
        sa.text("SELECT id FROM loyalty.challenges WHERE reward ->> 'badge_code' = :c ORDER BY id"), {"c": code}
    ).scalars())


def delete(conn: Connection, challenge_id: int) -> bool:
    return conn.execute(sa.text("DELETE FROM loyalty.challenges WHERE id = :id RETURNING id"), {"id": challenge_id}).first() is not None
