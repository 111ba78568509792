"""SQL of badges: the counters events move, awards (set-based, once per member by the primary
key), the member's badge list with progress, the dashboard's recent badges, and definitions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

BADGE_COLUMNS = (
    "id, code, name, description, icon_url, condition_type, condition_value, counter, target, points_reward, is_hidden, "
    "created_at, created_by, updated_at, updated_by"
)


def recent_badges(conn: Connection, user_id: str, limit: int = 5) -> list[dict]:
    """The member's most recently earned badges, newest first, read-only in the caller's
    transaction (one query on ix_user_badges_recent): `{"code", "name", "description", "icon_url",
    "earned_at", "order_id"}`."""
    rows = conn.execute(
        sa.text(
            "SELECT b.code, b.name, b.description, b.icon_url, ub.earned_at, ub.order_id FROM loyalty.user_badges ub "
            "JOIN loyalty.badges b ON b.id = ub.badge_id WHERE ub.user_id = :u ORDER BY ub.earned_at DESC, ub.badge_id DESC LIMIT :n"
        ),
        {"u": user_id, "n": limit},
    )
    return [dict(r._mapping) for r in rows]


# Counters add, except the best streak, which only rises.
_BUMP = sa.text(
    """
INSERT INTO loyalty.user_counters AS c (user_id, counter, value)
SELECT :u, k, v FROM unnest(CAST(:keys AS text[]), CAST(:values AS bigint[])) AS t(k, v)
ON CONFLICT (user_id, counter) DO UPDATE SET value = CASE WHEN c.counter LIKE 'streak_max:%'
  THEN greatest(c.value, EXCLUDED.value) ELSE c.value + EXCLUDED.value END
"""
)


def bump(conn: Connection, user_id: str, changes: list[tuple[str, int]]) -> None:
    if changes:
        changes = sorted(changes)  # one order of row locks for every writer
        conn.execute(_BUMP, {"u": user_id, "keys": [k for k, _ in changes], "values": [v for _, v in changes]})


# Awards every badge watching one of the moved counters whose target the member's counter reached.
_AWARD_COUNTED = sa.text(
    """
INSERT INTO loyalty.user_badges (user_id, badge_id, earned_at, event_id, order_id)
SELECT :u, b.id, :now, :event_id, :order_id
FROM loyalty.badges b JOIN loyalty.user_counters c ON c.user_id = :u AND c.counter = b.counter
WHERE b.counter = ANY(:counters) AND c.value >= b.target
ORDER BY b.id
ON CONFLICT (user_id, badge_id) DO NOTHING
RETURNING badge_id
"""
)

# Collections complete when the member holds all their listed badges.
_AWARD_COLLECTIONS = sa.text(
    """
INSERT INTO loyalty.user_badges (user_id, badge_id, earned_at, event_id, order_id)
SELECT :u, b.id, :now, :event_id, :order_id
FROM loyalty.badges b
WHERE b.condition_type = 'collection'
  AND (SELECT count(*) FROM loyalty.user_badges ub JOIN loyalty.badges x ON x.id = ub.badge_id
       WHERE ub.user_id = :u AND x.code IN (SELECT jsonb_array_elements_text(b.condition_value -> 'badges'))) >= b.target
ORDER BY b.id
ON CONFLICT (user_id, badge_id) DO NOTHING
RETURNING badge_id
"""
)

_AWARD_CODE = sa.text(
    """
INSERT INTO loyalty.user_badges (user_id, badge_id, earned_at, event_id, order_id)
SELECT :u, id, :now, :event_id, :order_id FROM loyalty.badges WHERE code = :code
ON CONFLICT (user_id, badge_id) DO NOTHING
RETURNING badge_id
"""
)


def award(conn: Connection, user_id: str, counters: list[str], *, event_id: str | None, order_id: str | None,
          now: datetime, code: str | None = None) -> list[sa.Row]:
    """Awards what the moved `counters` (or the badge `code`, for a challenge's reward) earned, then
    any collection they complete; returns the badges awarded now. Concurrent awards of one badge
    to one member insert one row: the second waits on the key and inserts nothing."""
    p = {"u": user_id, "now": now, "event_id": event_id, "order_id": order_id}
    ids = []
    if counters:
        ids += [r.badge_id for r in conn.execute(_AWARD_COUNTED, {**p, "counters": counters})]
    if code:
        ids += [r.badge_id for r in conn.execute(_AWARD_CODE, {**p, "code": code})]
    if ids:
        ids += [r.badge_id for r in conn.execute(_AWARD_COLLECTIONS, p)]
    if not ids:
        return []
    return list(conn.execute(sa.text(f"SELECT {BADGE_COLUMNS} FROM loyalty.badges WHERE id = ANY(:ids) ORDER BY id"), {"ids": ids}))


# The member's badges: earned ones (hidden or not), and visible unearned ones with progress.
_FOR_USER = sa.text(
    f"""
SELECT b.*, ub.earned_at, ub.order_id, ub.event_id,
       CASE WHEN b.condition_type = 'collection' THEN
              (SELECT count(*) FROM loyalty.user_badges e JOIN loyalty.badges x ON x.id = e.badge_id
               WHERE e.user_id = :u AND x.code IN (SELECT jsonb_array_elements_text(b.condition_value -> 'badges')))
            ELSE coalesce(c.value, 0) END AS progress
FROM (SELECT {BADGE_COLUMNS} FROM loyalty.badges) b
LEFT JOIN loyalty.user_badges ub ON ub.user_id = :u AND ub.badge_id = b.id
LEFT JOIN loyalty.user_counters c ON c.user_id = :u AND c.counter = b.counter
WHERE ub.badge_id IS NOT NULL OR NOT b.is_hidden
ORDER BY ub.earned_at DESC NULLS LAST, b.id
"""
)


def for_user(conn: Connection, user_id: str) -> list[sa.Row]:
    return list(conn.execute(_FOR_USER, {"u": user_id}))


# ---- definitions -----------------------------------------------------------------------------------

def by_code(conn: Connection, code: str, *, lock: bool = False) -> sa.Row | None:
    suffix = " FOR UPDATE" if lock else ""
    return conn.execute(sa.text(f"SELECT {BADGE_COLUMNS} FROM loyalty.badges WHERE code = :c{suffix}"), {"c": code}).one_or_none()


def page(conn: Connection, after_id: int | None, limit: int) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.text(f"SELECT {BADGE_COLUMNS} FROM loyalty.badges WHERE id > :after ORDER BY id LIMIT :n"),
            {"after": after_id or 0, "n": limit},
        )
    )


_WRITE_PARAMS = sa.bindparam("condition_value", type_=sa.JSON)


def insert(conn: Connection, values: dict, by: str, now: datetime) -> sa.Row:
    return conn.execute(
        sa.text(
            "INSERT INTO loyalty.badges (code, name, description, icon_url, condition_type, condition_value, counter, target, "
            "points_reward, is_hidden, created_at, created_by, updated_at, updated_by) VALUES (:code, :name, :description, "
            ":icon_url, :condition_type, CAST(:condition_value AS jsonb), :counter, :target, :points_reward, :is_hidden, :now, "
            f":by, :now, :by) RETURNING {BADGE_COLUMNS}"
        ).bindparams(_WRITE_PARAMS),
        {**values, "by": by, "now": now},
    ).one()


def update(conn: Connection, values: dict, by: str, now: datetime) -> sa.Row | None:
    return conn.execute(
        sa.text(
            "UPDATE loyalty.badges SET name = :name, description = :description, icon_url = :icon_url, "
            "condition_type = :condition_type, condition_value = CAST(:condition_value AS jsonb), counter = :counter, "
            "target = :target, points_reward = :points_reward, is_hidden = :is_hidden, updated_at = :now, updated_by = :by "
            f"WHERE code = :code RETURNING {BADGE_COLUMNS}"
        ).bindparams(_WRITE_PARAMS),
        {**values, "by": by, "now": now},
    ).one_or_none()


# Everyone holding all of a collection's badges gets it (when saved: later events would not look).
_AWARD_TO_HOLDERS = sa.text(
    """
INSERT INTO loyalty.user_badges (user_id, badge_id, earned_at, event_id, order_id)
SELECT ub.user_id, b.id, :now, NULL, NULL
FROM loyalty.badges b
JOIN loyalty.badges x ON x.code IN (SELECT jsonb_array_elements_text(b.condition_value -> 'badges'))
JOIN loyalty.user_badges ub ON ub.badge_id = x.id
WHERE b.id = :b AND b.condition_type = 'collection'
GROUP BY ub.user_id, b.id, b.target
HAVING count(*) >= b.target
ORDER BY ub.user_id
ON CONFLICT (user_id, badge_id) DO NOTHING
RETURNING user_id
"""
)


def award_collection_to_holders(conn: Connection, badge_id: int, now: datetime) -> list[str]:
    """Awards the collection to every member who holds all its badges; the members awarded now."""
    return list(conn.execute(_AWARD_TO_HOLDERS, {"b": badge_id, "now": now}).scalars())


def collections_naming(conn: Connection, code: str) -> list[str]:
    """Codes of the collections that list badge `code`."""
    return list(conn.execute(
        sa.text("SELECT code FROM loyalty.badges WHERE condition_type = 'collection' AND condition_value -> 'badges' @> jsonb_build_array(CAST(:c AS text)) ORDER BY id"),
        {"c": code},
    ).scalars())


def earned_by_anyone(conn: Connection, badge_id: int) -> bool:
    return conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM loyalty.user_badges WHERE badge_id = :b)"), {"b": badge_id}).scalar_one()


def delete(conn: Connection, badge_id: int) -> None:
    conn.execute(sa.text("DELETE FROM loyalty.badges WHERE id = :b"), {"b": badge_id})
