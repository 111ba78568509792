"""Leaderboards: members ranked by what they bought in the current month or week, the friends
ranking over each member's referral links, and the immutable final standings of closed periods.

Totals: `loyalty.leaderboard_totals` holds one row per (period, period_start, member), moved inside
the order event's own transaction by the change of the order's counted spend (`count`), so each
event counts exactly once (the event claim of `record_order_event`), a refund lowers the total of the
period its purchase was counted in, and a total never goes below zero. Periods are calendar months
and ISO weeks (Monday first) in the platform timezone, taken from the order's purchase day.

Ranking rule: competition ranking on the total (equal totals share a rank: 1, 2, 2, 4); inside a
tie, entries are listed by who reached the total first (`reached_at`: the time of the event that
last changed it), then by user id. Members with a total of 0 (nothing bought, or all refunded) are
not ranked. The index `(period, period_start, total DESC, reached_at, user_id) WHERE total > 0` makes
the top 100 the first 100 index entries. A member's rank is `1 + count(total > mine)`; counted over
that index alone it took 120 ms (p50) to 250 ms at a million members, so the count is split: the
members of the bands of totals above the member's (a ladder of a few thousand rows at most, kept by
appended deltas) plus a count over the index inside the member's own band.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common import db, metrics, pagination
from services.common.config import settings
from services.common.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
)

log = logging.getLogger("engage.loyalty")

PERIODS = {"monthly": "MONTHLY", "weekly": "WEEKLY"}
SCOPES = ("global", "friends")
TOP = 100


# ---- periods (pure) -------------------------------------------------------------------------------

def period_start(period: str, day: date) -> date:
    """The first day of the MONTHLY or WEEKLY period `day` falls in."""
    if period == "MONTHLY":
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


def period_end(period: str, start: date) -> date:
    """The day after the period's last day."""
    if period == "MONTHLY":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=7)


def previous_start(period: str, start: date) -> date:
    return period_start(period, start - timedelta(days=1))


def today(now: datetime, timezone: str | None = None) -> date:
    return now.astimezone(ZoneInfo(timezone or settings().timezone)).date()


def mask(user_id: str) -> str:
    """Another member's id as a member sees it: a short prefix, enough to recognise a friend, not to
    look anyone up."""
    return user_id[: min(2, len(user_id) // 3)] + "***"


FRIEND_MASK = "***"  # another member in the friends scope: no prefix to match against the global ranking


def parse_period(value: str) -> str:
    period = PERIODS.get(value.lower())
    if period is None:
        raise InvalidArgument.fields([FieldViolation("period", "must be monthly or weekly")])
    return period


# ---- totals (inside the order event's transaction) ------------------------------------------------

# With hashtext(period:start): taken exclusive by the one closer of a period ("LLBC"), shared by
# every event counting in it (`count`).
_CLOSE_LOCK = 0x4C4C_4243

# The member's move between bands (three significant digits of the total; none at 0) is appended
# as two deltas, in the same statement as the total: no shared counter row is locked here.
_BAND_MOVES = """
INSERT INTO loyalty.leaderboard_band_deltas (period, period_start, band, delta)
SELECT c.period, c.period_start, m.band, m.delta
FROM changed c, LATERAL (VALUES (loyalty.leaderboard_band(c.total - :d), -1), (loyalty.leaderboard_band(c.total), 1)) AS m(band, delta)
WHERE m.band IS NOT NULL AND loyalty.leaderboard_band(c.total - :d) IS DISTINCT FROM loyalty.leaderboard_band(c.total)
"""
_ADD = sa.text(
    """
WITH changed AS (
  INSERT INTO loyalty.leaderboard_totals AS t (period, period_start, user_id, total, reached_at)
  SELECT p, s, :u, :d, :at FROM unnest(CAST(:periods AS text[]), CAST(:starts AS date[])) AS x(p, s)
  ON CONFLICT (period, period_start, user_id)
  DO UPDATE SET total = t.total + EXCLUDED.total, reached_at = greatest(t.reached_at, EXCLUDED.reached_at)
  RETURNING period, period_start, total
)"""
    + _BAND_MOVES
)
# A refund only lowers what its order added before to the same periods, so the rows exist (and the
# proposed row of an upsert would already fail the total's CHECK).
_SUBTRACT = sa.text(
    """
WITH changed AS (
  UPDATE loyalty.leaderboard_totals t SET total = t.total + :d, reached_at = greatest(t.reached_at, :at)
  FROM unnest(CAST(:periods AS text[]), CAST(:starts AS date[])) AS x(p, s)
  WHERE t.period = x.p AND t.period_start = x.s AND t.user_id = :u
  RETURNING t.period, t.period_start, t.total
)"""
    + _BAND_MOVES
)


_CLOSED = sa.text(
    "SELECT c.period FROM loyalty.leaderboard_closes c "
    "JOIN unnest(CAST(:periods AS text[]), CAST(:starts AS date[])) AS x(p, s) ON c.period = x.p AND c.period_start = x.s"
)


def count(conn: Connection, user_id: str, day: date, delta: int, at: datetime) -> list[str]:
    """Moves the member's monthly and weekly totals of the periods holding `day` (the order's
    purchase day) by `delta`, the change of the order's counted spend, and their bands. The caller
    holds the member. A period already closed (its snapshot taken) is left as it is: the event is
    late (past LOYALTY_LEADERBOARD_CLOSE_DELAY_HOURS); those periods are returned, and the caller
    reports them (`report_late`) once its transaction committed.

    Each period's close lock is held shared until the transaction ends (the closer takes it
    exclusive): a closer waits for an event counting in its period to commit, so the snapshot holds
    it, and an event that comes after the close sees the claim and is late."""
    if not delta:
        return []
    periods = list(PERIODS.values())
    starts = [period_start(p, day) for p in periods]
    for p, s in zip(periods, starts, strict=True):  # always MONTHLY then WEEKLY
        conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:k, hashtext(:p || ':' || CAST(:s AS text)))"),
                     {"k": _CLOSE_LOCK, "p": p, "s": s})
    closed = set(conn.execute(_CLOSED, {"periods": periods, "starts": starts}).scalars())
    keep = [(p, s) for p, s in zip(periods, starts, strict=True) if p not in closed]
    if keep:
        conn.execute(_ADD if delta > 0 else _SUBTRACT, {"u": user_id, "d": delta, "at": at, "periods": [p for p, _ in keep],
                                                        "starts": [s for _, s in keep]})
    return [p for p in periods if p in closed]


def report_late(user_id: str, day: date, delta: int, late: list[str]) -> None:
    """Logs and counts (`engage_loyalty_leaderboard_late_events_total`) an event left out of closed
    periods: called after its transaction committed, so a retried or rolled back one never counts."""
    for p in late:
        metrics.LEADERBOARD_LATE_EVENTS.labels(p).inc()
        log.warning("order event in a closed leaderboard period, not counted",
                    extra={"fields": {"user_id": user_id, "period": p, "period_start": period_start(p, day).isoformat(), "delta": delta}})


# Folds the appended deltas into the bands. Concurrent folds cannot count a delta twice: a delta
# is folded by the transaction that deleted it.
_FOLD = sa.text(
    """
WITH moved AS (
  DELETE FROM loyalty.leaderboard_band_deltas RETURNING period, period_start, band, delta
), sums AS (
  SELECT period, period_start, band, sum(delta) AS n FROM moved GROUP BY period, period_start, band
)
INSERT INTO loyalty.leaderboard_bands AS b (period, period_start, band, members)
SELECT period, period_start, band, n FROM sums
ON CONFLICT (period, period_start, band) DO UPDATE SET members = b.members + EXCLUDED.members
"""
)


def fold_bands() -> int:
    """The minutely job: folds the band deltas appended since the last run. Returns how many."""
    with db.transaction() as conn:
        return conn.execute(_FOLD).rowcount


# ---- reads ----------------------------------------------------------------------------------------

_TOP = sa.text(
    """
SELECT rank() OVER (ORDER BY total DESC) AS rank, user_id, total, reached_at FROM (
  SELECT user_id, total, reached_at FROM loyalty.leaderboard_totals
  WHERE period = :p AND period_start = :s AND total > 0
  ORDER BY total DESC, reached_at, user_id LIMIT :n
) top ORDER BY total DESC, reached_at, user_id
"""
)

# The rank: 1 + members with a greater total = members of the bands above the member's (folded,
# plus deltas not folded yet) + a count over the ranking index inside the member's own band. All
# read in one statement, so from one snapshot.
_MINE = sa.text(
    """
SELECT t.user_id, t.total, t.reached_at,
       CAST(1 + coalesce((SELECT sum(b.members) FROM loyalty.leaderboard_bands b
                     WHERE b.period = :p AND b.period_start = :s AND b.band > loyalty.leaderboard_band(t.total)), 0)
         + coalesce((SELECT sum(d.delta) FROM loyalty.leaderboard_band_deltas d
                     WHERE d.period = :p AND d.period_start = :s AND d.band > loyalty.leaderboard_band(t.total)), 0)
         + (SELECT count(*) FROM loyalty.leaderboard_totals o
            WHERE o.period = :p AND o.period_start = :s AND o.total > 0 AND o.total > t.total
              AND o.total < loyalty.leaderboard_band(t.total) + loyalty.leaderboard_band_unit(t.total)) AS bigint) AS rank
FROM loyalty.leaderboard_totals t WHERE t.period = :p AND t.period_start = :s AND t.user_id = :u AND t.total > 0
"""
)

# The friends ranking: the member, whoever referred them and whoever they referred (any state).
_FRIENDS = sa.text(
    """
WITH net AS (
  SELECT CAST(:u AS text) AS user_id
  UNION SELECT referrer_id FROM loyalty.referrals WHERE referee_id = :u
  UNION SELECT referee_id FROM loyalty.referrals WHERE referrer_id = :u
), ranked AS (
  SELECT t.user_id, t.total, t.reached_at, rank() OVER (ORDER BY t.total DESC) AS rank,
         row_number() OVER (ORDER BY t.total DESC, t.reached_at, t.user_id) AS pos
  FROM net JOIN loyalty.leaderboard_totals t ON t.period = :p AND t.period_start = :s AND t.user_id = net.user_id AND t.total > 0
)
SELECT rank, user_id, total, reached_at, pos FROM ranked WHERE pos <= :n OR user_id = :u ORDER BY pos
"""
)


@dataclass(frozen=True)
class Entry:
    rank: int
    user_id: str  # masked for members other than the caller, unless the caller is trusted
    total: int  # banded for other members in the friends scope, unless the caller is trusted
    reached_at: datetime | None  # None for other members, unless the caller is trusted
    is_me: bool
    banded: bool = False


def banded(total: int) -> int:
    """A friend's total as a member sees it: cut down to two significant digits (153,420 shows as
    150,000). Friends are few and known by name, so an exact figure would tell what that person
    spent; ranks are still computed on the exact totals."""
    unit = 10 ** max(len(str(total)) - 2, 0)
    return total - total % unit


@dataclass(frozen=True)
class Board:
    period: str
    scope: str
    period_start: date
    period_end: date
    entries: list[Entry]
    me: Entry | None  # None while the caller has no total in the period


def _entry(row, me: str, reveal: bool, friends: bool = False) -> Entry:
    """The caller's own entry is exact. For other members an untrusted caller sees a masked id, no
    `reached_at` (when someone bought is theirs to know: the tie order of the list already tells who
    was first) and, among friends, a banded total (always flagged `banded`) and an id without any
    prefix (`FRIEND_MASK`: not linkable to the global ranking's masked ids and exact totals)."""
    if row.user_id == me or reveal:
        return Entry(row.rank, row.user_id, row.total, row.reached_at, row.user_id == me)
    if friends:  # always marked banded, even when cutting changed nothing (else the flag tells it is exact)
        return Entry(row.rank, FRIEND_MASK, banded(row.total), None, False, True)
    return Entry(row.rank, mask(row.user_id), row.total, None, False)


def board(user_id: str, period: str, scope: str = "global", *, reveal: bool = False, now: datetime | None = None) -> Board:
    """The top 100 of the period holding `now` (or of the member's friends: whoever referred them and
    whoever they referred, direct links only), and the member's own entry wherever they stand.
    Unless `reveal` (admins, services), other members' ids are masked, their `reached_at` omitted
    and, among friends, their totals banded (`banded`)."""
    p = parse_period(period)
    scope = (scope or "global").lower()
    if scope not in SCOPES:
        raise InvalidArgument.fields([FieldViolation("scope", "must be global or friends")])
    start = period_start(p, today(now or datetime.now(UTC)))
    params = {"p": p, "s": start, "u": user_id, "n": TOP}
    with db.transaction() as conn:
        if scope == "friends":
            rows = list(conn.execute(_FRIENDS, params))
            top = [r for r in rows if r.pos <= TOP]
            mine = next((r for r in rows if r.user_id == user_id), None)
        else:
            top = list(conn.execute(_TOP, params))
            mine = conn.execute(_MINE, params).one_or_none()
    friends = scope == "friends"
    return Board(
        p, scope, start, period_end(p, start), [_entry(r, user_id, reveal, friends) for r in top],
        _entry(mine, user_id, reveal, friends) if mine else None,
    )


# ---- closing a period -----------------------------------------------------------------------------

# The standings are copied first and the period claimed after, in one transaction under the
# period's advisory lock: a second closer waits, then finds the claim. A trigger refuses snapshot
# rows for a period already claimed, so the claim must come last.
_COPY = sa.text(
    """
INSERT INTO loyalty.leaderboard_snapshots (period, period_start, position, rank, user_id, total, reached_at)
SELECT period, period_start, row_number() OVER (ORDER BY total DESC, reached_at, user_id), rank() OVER (ORDER BY total DESC),
       user_id, total, reached_at
FROM loyalty.leaderboard_totals
WHERE period = :p AND period_start = :s AND total > 0
"""
)
_CLAIM = sa.text(
    "INSERT INTO loyalty.leaderboard_closes (period, period_start, period_end, entries, closed_at) VALUES (:p, :s, :e, :n, :now)"
)


@dataclass(frozen=True)
class Closed:
    period: str
    period_start: date
    entries: int
    already: bool


def closes_at(period: str, start: date, delay_hours: int | None = None, timezone: str | None = None) -> datetime:
    """When a period may be closed: LOYALTY_LEADERBOARD_CLOSE_DELAY_HOURS (default 24) after its end
    (midnight in the platform timezone), so events delayed in the queues still reach the snapshot."""
    delay = settings().loyalty_leaderboard_close_delay_hours if delay_hours is None else delay_hours
    end = period_end(period, period_start(period, start))
    return (datetime.combine(end, time(0), tzinfo=ZoneInfo(timezone or settings().timezone)) + timedelta(hours=delay)).astimezone(UTC)


def close_period(period: str, start: date, *, now: datetime | None = None, delay_hours: int | None = None) -> Closed:
    """Snapshots the final standings of a period once. Refused with FAILED_PRECONDITION
    PERIOD_NOT_OVER until `closes_at` (the period's end plus the close delay)."""
    now = now or datetime.now(UTC)
    start = period_start(period, start)
    end = period_end(period, start)
    due = closes_at(period, start, delay_hours)
    if now < due:
        raise FailedPrecondition("PERIOD_NOT_OVER", f"the {period.lower()} period starting {start} can be closed from {due.isoformat()}",
                                 metadata={"period_end": end.isoformat(), "closes_at": due.isoformat()})
    key = {"p": period, "s": start}
    with db.transaction() as conn:
        conn.execute(sa.text("SET LOCAL statement_timeout = '10min'"))  # a million rows copied in one statement
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k, hashtext(:p || ':' || CAST(:s AS text)))"), {"k": _CLOSE_LOCK, **key})
        if conn.execute(sa.text("SELECT 1 FROM loyalty.leaderboard_closes WHERE period = :p AND period_start = :s"), key).first():
            return Closed(period, start, 0, True)
        n = conn.execute(_COPY, key).rowcount
        conn.execute(_CLAIM, {**key, "e": end, "n": n, "now": now})
    return Closed(period, start, n, False)


def close_due(now: datetime | None = None, lookback: int = 2) -> list[Closed]:
    """The scheduled job: closes the last `lookback` ended periods of each kind whose close delay is
    over (a missed run is caught up by the next; one still inside its delay waits for a later run);
    periods already closed are left as they are."""
    now = now or datetime.now(UTC)
    out = []
    for p in PERIODS.values():
        start = period_start(p, today(now))
        for _ in range(lookback):
            start = previous_start(p, start)
            if now >= closes_at(p, start):
                out.append(close_period(p, start, now=now))
    return out


# ---- pruning ---------------------------------------------------------------------------------------

_PRUNE_TOTALS = sa.text(
    """
DELETE FROM loyalty.leaderboard_totals t
WHERE (t.period, t.period_start, t.user_id) IN (
  SELECT o.period, o.period_start, o.user_id FROM loyalty.leaderboard_totals o
  JOIN loyalty.leaderboard_closes c ON c.period = o.period AND c.period_start = o.period_start
  WHERE c.period_end <= :cutoff LIMIT :batch
)
"""
)
_PRUNE_LADDER = [
    sa.text(f"DELETE FROM loyalty.{table} x USING loyalty.leaderboard_closes c "
            "WHERE x.period = c.period AND x.period_start = c.period_start AND c.period_end <= :cutoff")
    for table in ("leaderboard_bands", "leaderboard_band_deltas")
]


def prune_cutoff(now: datetime, retain_months: int | None = None) -> date:
    """Closed periods that ended on or before this day are pruned: the first day of the month
    LOYALTY_LEADERBOARD_RETAIN_MONTHS (default 3) before the current one."""
    months = settings().loyalty_leaderboard_retain_months if retain_months is None else retain_months
    first = period_start("MONTHLY", today(now))
    index = first.year * 12 + first.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def prune_closed(now: datetime | None = None, *, retain_months: int | None = None, batch: int = 50_000) -> int:
    """The daily job: deletes the live totals, bands and band deltas of closed periods older than
    the retention (their snapshots keep the final standings), set-based in batches of `batch` rows
    (one transaction each, so no long lock). Periods never closed are kept. Returns the totals
    deleted."""
    cutoff = prune_cutoff(now or datetime.now(UTC), retain_months)
    deleted = 0
    while True:
        with db.transaction() as conn:
            n = conn.execute(_PRUNE_TOTALS, {"cutoff": cutoff, "batch": batch}).rowcount
        deleted += n
        if n < batch:
            break
    with db.transaction() as conn:
        for statement in _PRUNE_LADDER:
            conn.execute(statement, {"cutoff": cutoff})
    return deleted


def snapshot(period: str, start: date, size: int, token: str) -> tuple[sa.Row, list[sa.Row], str]:
    """A page of a closed period's final standings, in ranking order. NOT_FOUND SNAPSHOT_NOT_FOUND
    when the period was not closed."""
    p = parse_period(period)
    scope = {"p": p, "s": start.isoformat()}
    after = pagination.decode(token, scope, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        head = conn.execute(
            sa.text("SELECT period, period_start, period_end, entries, closed_at FROM loyalty.leaderboard_closes "
                    "WHERE period = :p AND period_start = :s"),
            {"p": p, "s": start},
        ).one_or_none()
        if head is None:
            raise NotFound("SNAPSHOT_NOT_FOUND", f"no closed {period} period starts on {start}",
                           metadata={"period": period, "period_start": start.isoformat()})
        rows = list(conn.execute(
            sa.text("SELECT position, rank, user_id, total, reached_at FROM loyalty.leaderboard_snapshots "
                    "WHERE period = :p AND period_start = :s AND position > :after ORDER BY position LIMIT :n"),
            {"p": p, "s": start, "after": after[0] if after else 0, "n": limit + 1},
        ))
    page = rows[:limit]
    return head, page, pagination.encode([page[-1].position], scope) if len(rows) > limit else ""
