"""SQL of streaks: the member's row per type, locked while one active day moves it, and the read
the dashboard makes. Rules live in gamification_domain.py."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common.config import settings
from services.loyalty import gamification_domain as gd

_COLUMNS = "streak_type, current_count, max_count, last_day, run_start, freezes, run_freezes_used"


def _state(row) -> gd.StreakState:
    return gd.StreakState(row.current_count, row.max_count, row.last_day, row.run_start, row.freezes, row.run_freezes_used)


def rules() -> gd.StreakRules:
    return gd.StreakRules.from_settings(settings())


def lock(conn: Connection, user_id: str, streak_type: str, now: datetime) -> gd.StreakState:
    """Locks the member's streak row of that type (created empty on first sight): concurrent events
    of one member and type are applied one after the other."""
    conn.execute(
        sa.text(
            "INSERT INTO loyalty.streaks (user_id, streak_type, updated_at) VALUES (:u, :t, :now) ON CONFLICT DO NOTHING"
        ),
        {"u": user_id, "t": streak_type, "now": now},
    )
    row = conn.execute(
        sa.text(f"SELECT {_COLUMNS} FROM loyalty.streaks WHERE user_id = :u AND streak_type = :t FOR UPDATE"),
        {"u": user_id, "t": streak_type},
    ).one()
    return _state(row)


def save(conn: Connection, user_id: str, streak_type: str, s: gd.StreakState, now: datetime) -> None:
    conn.execute(
        sa.text(
            "UPDATE loyalty.streaks SET current_count = :c, max_count = :m, last_day = :d, run_start = :r, freezes = :f, "
            "run_freezes_used = :ru, updated_at = :now WHERE user_id = :u AND streak_type = :t"
        ),
        {"u": user_id, "t": streak_type, "c": s.current, "m": s.max, "d": s.last_day, "r": s.run_start, "f": s.freezes,
         "ru": s.run_freezes_used, "now": now},
    )


def add_day(conn: Connection, user_id: str, streak_type: str, day: date, bridged: int = 0) -> bool:
    """Stores an active day with the freezes spent on the missed days before it; False when it was
    already counted."""
    return conn.execute(
        sa.text("INSERT INTO loyalty.streak_days (user_id, streak_type, day, bridged) VALUES (:u, :t, :d, :b) "
                "ON CONFLICT DO NOTHING RETURNING day"),
        {"u": user_id, "t": streak_type, "d": day, "b": bridged},
    ).first() is not None


def days_until(conn: Connection, user_id: str, streak_type: str, last: date) -> tuple[list[date], dict[date, int]]:
    """The member's active days up to `last`, newest first, and the freezes already paid for the gap
    before each (a late day's rebuild: rare)."""
    rows = conn.execute(
        sa.text("SELECT day, bridged FROM loyalty.streak_days WHERE user_id = :u AND streak_type = :t AND day <= :d "
                "ORDER BY day DESC"),
        {"u": user_id, "t": streak_type, "d": last},
    ).all()
    return [r.day for r in rows], {r.day: r.bridged for r in rows if r.bridged}


def mark_run_paid(conn: Connection, user_id: str, streak_type: str, start: date, last: date) -> None:
    """After a rebuild: every gap inside the run from `start` to `last` is now paid by freezes."""
    conn.execute(
        sa.text(
            "UPDATE loyalty.streak_days d SET bridged = g.gap FROM (SELECT day, day - lag(day) OVER (ORDER BY day) - 1 AS gap "
            "FROM loyalty.streak_days WHERE user_id = :u AND streak_type = :t AND day BETWEEN :s AND :l) g "
            "WHERE d.user_id = :u AND d.streak_type = :t AND d.day = g.day AND d.day > :s AND d.bridged <> g.gap"
        ),
        {"u": user_id, "t": streak_type, "s": start, "l": last},
    )


# The read-only answer to a visit or login: its stored outcome when the event id was applied, else
# whether its day is already counted, with the streak row. One primary-key read, no lock, no write.
_PEEK = sa.text(
    f"""
SELECT (SELECT outcome FROM loyalty.gamification_events WHERE event_id = CAST(:e AS uuid)) AS outcome,
       EXISTS (SELECT 1 FROM loyalty.streak_days WHERE user_id = :u AND streak_type = :t AND day = :d) AS counted,
       s.{_COLUMNS.replace(", ", ", s.")}
FROM (SELECT 1) one LEFT JOIN loyalty.streaks s ON s.user_id = :u AND s.streak_type = :t
"""
)


def peek(conn: Connection, event_id: str, user_id: str, streak_type: str, day: date) -> sa.Row:
    return conn.execute(_PEEK, {"e": event_id, "u": user_id, "t": streak_type, "d": day}).one()


def state_of(row) -> gd.StreakState:
    return _state(row) if row.current_count is not None else gd.StreakState()


def add_freezes(conn: Connection, user_id: str, streak_type: str, n: int, cap: int, now: datetime) -> int:
    """Adds up to `n` freezes without passing `cap`; returns the freezes held after."""
    lock(conn, user_id, streak_type, now)
    return conn.execute(
        sa.text(
            "UPDATE loyalty.streaks SET freezes = greatest(freezes, least(freezes + :n, :cap)), updated_at = :now "
            "WHERE user_id = :u AND streak_type = :t RETURNING freezes"
        ),
        {"u": user_id, "t": streak_type, "n": n, "cap": cap, "now": now},
    ).scalar_one()


def states(conn: Connection, user_id: str) -> dict[str, gd.StreakState]:
    """Every streak type of the member (empty state where none yet), primary-key look-up."""
    rows = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM loyalty.streaks WHERE user_id = :u"), {"u": user_id})
    have = {r.streak_type: _state(r) for r in rows}
    return {t: have.get(t, gd.StreakState()) for t in gd.STREAK_TYPES}


def view(s: gd.StreakState, today, r: gd.StreakRules) -> dict:
    current = gd.alive(s, today)
    return {
        "current": current,
        "max": s.max,
        "next_milestone": gd.next_milestone(current, r.milestones),
        "freezes": s.freezes,
        "last_day": s.last_day,
    }


def streak_summary(conn: Connection, user_id: str, now: datetime) -> dict:
    """The dashboard's streaks, read-only in the caller's transaction, one query:
    `{"daily_visit": {"current", "max", "next_milestone", "freezes", "last_day"}, "purchase": {...}}`.
    `current` is 0 once the streak is broken as of `now` (more missed days than freezes), even
    before the next visit rewrites the row; `next_milestone` is None past the last one."""
    r = rules()
    today = r.day(now)
    return {t: view(s, today, r) for t, s in states(conn, user_id).items()}
