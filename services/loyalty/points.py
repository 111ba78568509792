"""Points as lots under an append-only ledger: the one way any service changes a member's points.

Every function here runs inside the caller's transaction and expects the member's account row to be
locked first (`lock_account`), so all changes of one member's lots are serialized: a spend, an
expiry sweep and a refund can never take the same points twice. Within that lock every change is
still a conditional UPDATE (`balance >= :n`, `remaining >= 0` by constraint), never read-add-write.

Invariants, checked by the tests after each one: a member's `accounts.balance` equals the sum of their
ledger deltas and the sum of `remaining` over their released lots; `accounts.debt` (what refunds could
not take back) is only ever positive while the balance is 0, because every credit pays it first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common.errors import AlreadyExists, FailedPrecondition, NotFound

log = logging.getLogger("engage.loyalty")

_ENTRY = "id, user_id, delta, balance_after, reason, source, label, meta, idempotency_key, lot_id, created_at"
LOT_COLUMNS = (
    "id, user_id, points, remaining, reason, source, label, order_id, idempotency_key, available_at, released_at, "
    "expires_at, expired_at, created_at"
)


@dataclass(frozen=True)
class Take:
    lot_id: int
    points: int
    expires_at: datetime
    held: bool = False


@dataclass(frozen=True)
class Entry:
    id: int
    user_id: str
    delta: int
    balance_after: int
    reason: str
    source: str
    label: str
    meta: dict
    idempotency_key: str
    lot_id: int | None
    created_at: datetime
    lots: tuple[Take, ...] = field(default=())


@dataclass(frozen=True)
class Grant:
    lot: sa.Row
    entry: Entry | None  # None while the lot is held (pending)
    replayed: bool


def _entry(row, lots: Sequence[Take] = ()) -> Entry:
    return Entry(**{k: getattr(row, k) for k in Entry.__dataclass_fields__ if k != "lots"}, lots=tuple(lots))


def entry_by_key(conn: Connection, key: str) -> Entry | None:
    row = conn.execute(
        sa.text(f"SELECT {_ENTRY} FROM loyalty.ledger WHERE idempotency_key = :k"), {"k": key}
    ).one_or_none()
    return None if row is None else _entry(row, takes_of(conn, [row.id]).get(row.id, ()))


def takes_of(conn: Connection, entry_ids: list[int]) -> dict[int, list[Take]]:
    """The lots each entry moved points from (or back to, for a reversal), in the order it moved them."""
    out: dict[int, list[Take]] = {}
    if not entry_ids:
        return out
    rows = conn.execute(
        sa.text(
            "SELECT m.entry_id, m.lot_id, m.points, l.expires_at "
            "FROM loyalty.lot_moves m JOIN loyalty.lots l ON l.id = m.lot_id "
            "WHERE m.entry_id = ANY(:ids) ORDER BY m.id"
        ),
        {"ids": entry_ids},
    )
    for r in rows:
        out.setdefault(r.entry_id, []).append(Take(r.lot_id, r.points, r.expires_at))
    return out


def lock_account(conn: Connection, user_id: str, now: datetime | None = None, *, create: bool = True) -> int | None:
    """Locks the member's account row (creating it at 0 when asked) and returns the balance; None
    when it does not exist and `create` is false. Callers that did not fix `now` read the clock
    after this returns, so a transaction retried after waiting for the lock never works with a time
    older than what the previous holder (a sweep, say) already applied."""
    if create:
        conn.execute(
            sa.text(
                "INSERT INTO loyalty.accounts (user_id, balance, updated_at) VALUES (:u, 0, :now) "
                "ON CONFLICT DO NOTHING"
            ),
            {"u": user_id, "now": now or datetime.now(UTC)},
        )
    return conn.execute(
        sa.text("SELECT balance FROM loyalty.accounts WHERE user_id = :u FOR UPDATE"), {"u": user_id}
    ).scalar()


def _clock(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


# ---- debt -----------------------------------------------------------------------------------------

# Pays the members' debts from their balance, in one statement: each pays least(debt, balance), taken
# from their released lots expiring first (a debt only exists at balance 0, so these are the lots the
# credit just filled), as one DEBT_REPAYMENT entry with a DEBT move per lot. Runs right after every
# credit (grant, release, reversal), in the same transaction.
_PAY_DEBT = sa.text(
    """
WITH owing AS (
  SELECT user_id, least(debt, balance) AS due FROM loyalty.accounts
  WHERE user_id = ANY(:users) AND debt > 0 AND balance > 0
), open_lots AS (
  SELECT l.id, l.user_id, l.remaining, l.expires_at FROM loyalty.lots l
  WHERE l.user_id IN (SELECT user_id FROM owing) AND l.remaining > 0 AND l.released_at IS NOT NULL
  FOR UPDATE
), running AS (
  SELECT ol.*, o.due, sum(ol.remaining) OVER (PARTITION BY ol.user_id ORDER BY ol.expires_at, ol.id) AS upto
  FROM open_lots ol JOIN owing o USING (user_id)
), took AS (
  SELECT id, user_id, CAST(least(remaining, due - (upto - remaining)) AS bigint) AS n
  FROM running WHERE upto - remaining < due
), upd AS (
  UPDATE loyalty.lots l SET remaining = l.remaining - t.n FROM took t WHERE l.id = t.id
), acct AS (
  UPDATE loyalty.accounts a SET balance = a.balance - o.due, debt = a.debt - o.due, updated_at = :now
  FROM owing o WHERE a.user_id = o.user_id
  RETURNING a.user_id, o.due, a.balance, a.debt
), entries AS (
  INSERT INTO loyalty.ledger (user_id, delta, balance_after, reason, source, label, meta, idempotency_key, lot_id,
                              created_at)
  SELECT user_id, -due, balance, 'DEBT_REPAYMENT', 'refund', 'points refunded after they were spent',
         jsonb_build_object('debt_left', debt), 'debt:' || user_id || ':' || gen_random_uuid(), NULL, :now
  FROM acct
  RETURNING id, user_id
)
INSERT INTO loyalty.lot_moves (lot_id, entry_id, kind, points, created_at)
SELECT t.id, e.id, 'DEBT', t.n, :now FROM took t JOIN entries e USING (user_id)
"""
)


def pay_debt(conn: Connection, users: list[str], now: datetime) -> None:
    """Pays what the members owe from what they now have. The caller holds their account rows."""
    conn.execute(_PAY_DEBT, {"users": users, "now": now})


# ---- grants ---------------------------------------------------------------------------------------

# The lot claims the idempotency key; only a lot released now credits the account and writes its
# entry (a held lot is credited when released). A second sender of the key inserts nothing.
_GRANT = sa.text(
    f"""
WITH lot AS (
  INSERT INTO loyalty.lots (user_id, points, remaining, reason, source, label, order_id, idempotency_key,
                            available_at, released_at, expires_at, created_at)
  VALUES (:u, :p, :p, :reason, :source, :label, :order_id, :key, :available_at, CAST(:released_at AS timestamptz),
          :expires_at, :now)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING {LOT_COLUMNS}
), acct AS (
  UPDATE loyalty.accounts a SET balance = a.balance + lot.points, updated_at = :now
  FROM lot WHERE a.user_id = lot.user_id AND lot.released_at IS NOT NULL
  RETURNING a.balance
), entry AS (
  INSERT INTO loyalty.ledger (user_id, delta, balance_after, reason, source, label, meta, idempotency_key, lot_id,
                              created_at)
  SELECT lot.user_id, lot.points, acct.balance, lot.reason, lot.source, lot.label, CAST(:meta AS jsonb),
         lot.idempotency_key, lot.id, :now
  FROM lot, acct
)
SELECT * FROM lot
"""
).bindparams(sa.bindparam("meta", type_=sa.JSON))


def grant_points(
    conn: Connection,
    *,
    user_id: str,
    points: int,
    reason: str,
    source: str,
    idempotency_key: str,
    expires_at: datetime | None = None,
    now: datetime | None = None,
    expiry_days: int = 365,
    available_at: datetime | None = None,
    order_id: str | None = None,
    label: str = "",
    meta: dict | None = None,
) -> Grant:
    """Grants `points` as a new lot, in the caller's transaction (campaigns, streaks and badges call
    it from their own). Exactly once per `idempotency_key` (global: namespace it, e.g.
    `streak:<user>:7`): a replay with the same payload (member, points, reason, source, label, order,
    and `expires_at` when given) answers the first grant; another payload raises ALREADY_EXISTS
    IDEMPOTENCY_KEY_REUSED. The lot is spendable from `available_at` (default now: a later time
    holds it pending) until `expires_at` (default `expiry_days` after it becomes spendable). A
    member's debt (refunded points they had spent) is paid from the grant first, when it is
    credited."""
    if points <= 0:
        raise ValueError(f"a grant must be positive, got {points}")
    lock_account(conn, user_id, now)
    now = _clock(now)
    available_at = max(available_at or now, now)
    given_expiry = expires_at
    expires_at = expires_at or available_at + timedelta(days=expiry_days)
    if expires_at <= available_at:
        raise ValueError("a lot must expire after it becomes spendable")
    params = {
        "u": user_id,
        "p": points,
        "reason": reason,
        "source": source,
        "label": label,
        "order_id": order_id,
        "key": idempotency_key,
        "available_at": available_at,
        "released_at": now if available_at <= now else None,
        "expires_at": expires_at,
        "now": now,
        "meta": meta or {},
    }
    lot = conn.execute(_GRANT, params).one_or_none()
    replayed = lot is None
    if lot is None:
        lot = conn.execute(
            sa.text(f"SELECT {LOT_COLUMNS} FROM loyalty.lots WHERE idempotency_key = :k"), {"k": idempotency_key}
        ).one()
        said = (user_id, points, reason, source, label, order_id)
        if (lot.user_id, lot.points, lot.reason, lot.source, lot.label, lot.order_id) != said or (
            given_expiry is not None and lot.expires_at != given_expiry
        ):
            raise AlreadyExists(
                "IDEMPOTENCY_KEY_REUSED",
                "this key was already used for another grant",
                metadata={"idempotency_key": idempotency_key},
            )
    elif lot.released_at is not None:
        pay_debt(conn, [user_id], now)
    return Grant(lot=lot, entry=entry_by_key(conn, idempotency_key), replayed=replayed)


# The set-based grant behind a campaign batch: the same released grant for many members. Accounts
# are created and locked in user order first (as `lock_account` does one at a time), then one
# statement writes the lots (claiming the keys), credits the accounts and appends the entries.
_LOCK_ACCOUNTS = sa.text(
    """
WITH made AS (
  INSERT INTO loyalty.accounts (user_id, balance, updated_at)
  SELECT u, 0, :now FROM unnest(CAST(:users AS text[])) u ORDER BY u ON CONFLICT DO NOTHING
)
SELECT user_id FROM loyalty.accounts WHERE user_id = ANY(CAST(:users AS text[])) ORDER BY user_id FOR UPDATE
"""
)
_GRANT_MANY = sa.text(
    f"""
WITH lot AS (
  INSERT INTO loyalty.lots (user_id, points, remaining, reason, source, label, idempotency_key, available_at,
                            released_at, expires_at, created_at)
  SELECT i.user_id, :p, :p, :reason, :source, :label, i.key, :now, :now, :expires_at, :now
  FROM unnest(CAST(:users AS text[]), CAST(:keys AS text[])) AS i(user_id, key) ORDER BY i.user_id
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING {LOT_COLUMNS}
), acct AS (
  UPDATE loyalty.accounts a SET balance = a.balance + lot.points, updated_at = :now
  FROM lot WHERE a.user_id = lot.user_id
  RETURNING a.user_id, a.balance
)
INSERT INTO loyalty.ledger (user_id, delta, balance_after, reason, source, label, meta, idempotency_key, lot_id,
                            created_at)
SELECT lot.user_id, lot.points, acct.balance, lot.reason, lot.source, lot.label, CAST(:meta AS jsonb),
       lot.idempotency_key, lot.id, :now
FROM lot JOIN acct USING (user_id)
RETURNING user_id
"""
).bindparams(sa.bindparam("meta", type_=sa.JSON))


def grant_points_many(
    conn: Connection,
    *,
    grants: Sequence[tuple[str, str]],
    points: int,
    reason: str,
    source: str,
    label: str = "",
    meta: dict | None = None,
    expiry_days: int = 365,
    now: datetime | None = None,
) -> set[str]:
    """`grant_points` for many members at once (campaign batches): credits `points`, spendable now,
    to each (user_id, idempotency_key) of `grants` (distinct users), in the caller's transaction and
    in a fixed number of statements whatever their count. Exactly once per key: a replayed key
    credits nothing again; a key used before for another member, amount, reason, source or label
    raises ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED. Debts are paid from the new lots as after any
    credit. Returns the members credited now."""
    if points <= 0:
        raise ValueError(f"a grant must be positive, got {points}")
    if not grants:
        return set()
    users = [u for u, _ in grants]
    if len(set(users)) != len(users):
        raise ValueError("grant_points_many takes one grant per member")
    now = _clock(now)
    conn.execute(_LOCK_ACCOUNTS, {"users": users, "now": now}).all()
    params = {
        "users": users, "keys": [k for _, k in grants], "p": points, "reason": reason, "source": source,
        "label": label, "meta": meta or {}, "now": now, "expires_at": now + timedelta(days=expiry_days),
    }
    credited = set(conn.execute(_GRANT_MANY, params).scalars())
    if credited:
        pay_debt(conn, sorted(credited), now)
    replayed = [(u, k) for u, k in grants if u not in credited]
    if replayed:
        reused = conn.execute(
            sa.text(
                "SELECT l.idempotency_key FROM loyalty.lots l JOIN unnest(CAST(:keys AS text[]), CAST(:users AS text[])) "
                "AS i(key, user_id) ON l.idempotency_key = i.key "
                "WHERE (l.user_id, l.points, l.reason, l.source, l.label) IS DISTINCT FROM (i.user_id, :p, :reason, :source, :label) "
                "LIMIT 1"
            ),
            {"keys": [k for _, k in replayed], "users": [u for u, _ in replayed], "p": points, "reason": reason,
             "source": source, "label": label},
        ).scalar()
        if reused is not None:
            raise AlreadyExists(
                "IDEMPOTENCY_KEY_REUSED", "this key was already used for another grant", metadata={"idempotency_key": reused}
            )
    return credited


# ---- release and expiry ---------------------------------------------------------------------------

# Held lots whose time has come become spendable: one credit entry per lot, keyed by the lot's own
# key, with balances running in lot order per member.
_RELEASE = sa.text(
    """
WITH rel AS (
  UPDATE loyalty.lots SET released_at = :now
  WHERE user_id = ANY(:users) AND released_at IS NULL AND available_at <= :now AND remaining > 0
  RETURNING id, user_id, remaining, reason, source, label, idempotency_key
), totals AS (
  SELECT user_id, sum(remaining) AS n FROM rel GROUP BY user_id
), acct AS (
  UPDATE loyalty.accounts a SET balance = a.balance + t.n, updated_at = :now FROM totals t
  WHERE a.user_id = t.user_id RETURNING a.user_id, a.balance - t.n AS before
)
INSERT INTO loyalty.ledger (user_id, delta, balance_after, reason, source, label, meta, idempotency_key, lot_id,
                            created_at)
SELECT r.user_id, r.remaining, a.before + sum(r.remaining) OVER (PARTITION BY r.user_id ORDER BY r.id), r.reason,
       r.source, r.label, jsonb_build_object('released_after_hold', true), r.idempotency_key, r.id, :now
FROM rel r JOIN acct a USING (user_id)
ORDER BY r.user_id, r.id
"""
)

# Expiry takes only what is left of a lot (`remaining`), so points a spend already took are never
# expired, and marks the lot (`expired_at`): a marked lot is never swept again nor restored into, so
# its one EXPIRE entry ('expire:<lot>') is written once.
_EXPIRE = sa.text(
    """
WITH due AS (
  SELECT id, remaining FROM loyalty.lots
  WHERE user_id = ANY(:users) AND released_at IS NOT NULL AND expired_at IS NULL AND expires_at <= :now
    AND remaining > 0
  FOR UPDATE
), gone AS (
  UPDATE loyalty.lots l SET remaining = 0, expired_at = :now FROM due WHERE l.id = due.id
  RETURNING l.id, l.user_id, due.remaining AS n, l.expires_at
), totals AS (
  SELECT user_id, sum(n) AS n FROM gone GROUP BY user_id
), acct AS (
  UPDATE loyalty.accounts a SET balance = a.balance - t.n, updated_at = :now FROM totals t
  WHERE a.user_id = t.user_id RETURNING a.user_id, a.balance + t.n AS before
), entries AS (
  INSERT INTO loyalty.ledger (user_id, delta, balance_after, reason, source, label, meta, idempotency_key, lot_id,
                              created_at)
  SELECT g.user_id, -g.n, a.before - sum(g.n) OVER (PARTITION BY g.user_id ORDER BY g.id), 'EXPIRE', 'expiry', '',
         jsonb_build_object('expires_at', g.expires_at), 'expire:' || g.id, g.id, :now
  FROM gone g JOIN acct a USING (user_id)
  ORDER BY g.user_id, g.id
  RETURNING id, lot_id, -delta AS n
)
INSERT INTO loyalty.lot_moves (lot_id, entry_id, kind, points, created_at)
SELECT lot_id, id, 'EXPIRE', n, :now FROM entries
"""
)


def settle(conn: Connection, users: list[str], now: datetime) -> None:
    """Releases the members' held lots whose hold is over (paying their debts from them) and expires
    what is left of their lots past expiry, so their balance is exact as of `now`. The caller holds
    their account rows."""
    conn.execute(_RELEASE, {"users": users, "now": now})
    conn.execute(_EXPIRE, {"users": users, "now": now})
    pay_debt(conn, users, now)


# Members with something due, optionally only those of `:scope` (an operator's or a test's chosen
# members), leaving out those a previous batch of this sweep could not settle.
_DUE_USERS = sa.text(
    """
SELECT user_id FROM (
  (SELECT user_id FROM loyalty.lots
   WHERE remaining > 0 AND released_at IS NOT NULL AND expired_at IS NULL AND expires_at <= :now
     AND (CAST(:scope AS text[]) IS NULL OR user_id = ANY(:scope)) AND NOT user_id = ANY(:skip)
   LIMIT :n)
  UNION
  (SELECT user_id FROM loyalty.lots
   WHERE remaining > 0 AND released_at IS NULL AND available_at <= :now
     AND (CAST(:scope AS text[]) IS NULL OR user_id = ANY(:scope)) AND NOT user_id = ANY(:skip)
   LIMIT :n)
) due
"""
)
# In user order and skipping members whose account a spend or an event holds right now: they are
# settled by that transaction itself, or by the next sweep.
_LOCK_USERS = sa.text(
    "SELECT user_id FROM loyalty.accounts WHERE user_id = ANY(:users) ORDER BY user_id FOR UPDATE SKIP LOCKED"
)


@dataclass(frozen=True)
class SweepBatch:
    found: int  # members with something due
    settled: int
    failed: tuple[str, ...]  # members whose own settle failed: left for an operator, the others go on


def settle_due_batch(
    conn: Connection, now: datetime, batch: int, *, scope: list[str] | None = None, skip: Sequence[str] = ()
) -> SweepBatch:
    """One batch of the sweep, set-based. When the batch's statement fails on data (a constraint),
    each member is settled alone in a savepoint, so one broken member never stops everyone; the
    failed ones are logged and returned."""
    due = [r.user_id for r in conn.execute(_DUE_USERS, {"now": now, "n": batch, "scope": scope, "skip": list(skip)})]
    if not due:
        return SweepBatch(0, 0, ())
    locked = [r.user_id for r in conn.execute(_LOCK_USERS, {"users": due})]
    if not locked:
        return SweepBatch(len(due), 0, ())
    try:
        with conn.begin_nested():
            settle(conn, locked, now)
        return SweepBatch(len(due), len(locked), ())
    except (sa.exc.IntegrityError, sa.exc.DataError):
        failed = []
        for user in locked:
            try:
                with conn.begin_nested():
                    settle(conn, [user], now)
            except (sa.exc.IntegrityError, sa.exc.DataError):
                log.exception("settling points failed", extra={"fields": {"user_id": user}})
                failed.append(user)
        return SweepBatch(len(due), len(locked) - len(failed), tuple(failed))


# ---- taking points --------------------------------------------------------------------------------

# Takes up to :n points from one member's lots in one statement and returns what it took, lot by lot.
# Which lots, and in which order (`rank`, then the lot expiring first, then the oldest):
#   :own true  - only the lots of order :order_id (a refund taking back its own points): its held
#                lots first (rank 0: cancelled, never spendable), then its spendable ones (rank 1);
#   :own false - spendable lots only, except those of :order_id (a refund charging what the order's
#                lots lost to spends); a spend passes no order, so every spendable lot.
_TAKE = sa.text(
    """
WITH candidates AS (
  SELECT id, remaining, expires_at, released_at IS NULL AS held,
         CASE WHEN released_at IS NULL THEN 0 ELSE 1 END AS rank
  FROM loyalty.lots
  WHERE user_id = :u AND remaining > 0
    AND CASE WHEN :own
          THEN order_id = CAST(:order_id AS text)
               AND (released_at IS NULL OR (expired_at IS NULL AND expires_at > :now))
          ELSE released_at IS NOT NULL AND expired_at IS NULL AND expires_at > :now
               AND (CAST(:order_id AS text) IS NULL OR order_id IS DISTINCT FROM CAST(:order_id AS text))
        END
  FOR UPDATE
), running AS (
  SELECT *, sum(remaining) OVER (ORDER BY rank, expires_at, id) AS upto FROM candidates
), took AS (
  SELECT id, held, expires_at, upto, CAST(least(remaining, :n - (upto - remaining)) AS bigint) AS n
  FROM running WHERE upto - remaining < :n
), upd AS (
  UPDATE loyalty.lots l SET remaining = l.remaining - t.n FROM took t WHERE l.id = t.id
)
SELECT id, held, expires_at, n FROM took ORDER BY upto
"""
)


def _take(
    conn: Connection, user_id: str, n: int, now: datetime, *, order_id: str | None = None, own: bool = False
) -> list[Take]:
    rows = conn.execute(_TAKE, {"u": user_id, "n": n, "order_id": order_id, "own": own, "now": now})
    return [Take(r.id, r.n, r.expires_at, r.held) for r in rows]


_DEBIT = sa.text(
    "UPDATE loyalty.accounts SET balance = balance - :n, updated_at = :now WHERE user_id = :u AND balance >= :n "
    "RETURNING balance"
)
_CREDIT = sa.text(
    "UPDATE loyalty.accounts SET balance = balance + :n, updated_at = :now WHERE user_id = :u RETURNING balance"
)

_INSERT_ENTRY = sa.text(
    f"""
INSERT INTO loyalty.ledger (user_id, delta, balance_after, reason, source, label, meta, idempotency_key, lot_id,
                            created_at)
VALUES (:u, :delta, :balance, :reason, :source, :label, CAST(:meta AS jsonb), :key, :lot_id, :now)
RETURNING {_ENTRY}
"""
).bindparams(sa.bindparam("meta", type_=sa.JSON))

_INSERT_MOVES = sa.text(
    "INSERT INTO loyalty.lot_moves (lot_id, entry_id, kind, points, created_at) "
    "SELECT lot_id, CAST(:entry_id AS bigint), :kind, points, :now "
    "FROM unnest(CAST(:lots AS bigint[]), CAST(:points AS bigint[])) AS t(lot_id, points)"
)


def _moves(conn: Connection, takes: Sequence[Take], entry_id: int | None, kind: str, now: datetime) -> None:
    if takes:
        conn.execute(
            _INSERT_MOVES,
            {
                "lots": [t.lot_id for t in takes],
                "points": [t.points for t in takes],
                "entry_id": entry_id,
                "kind": kind,
                "now": now,
            },
        )


def _write_entry(
    conn: Connection,
    *,
    user_id: str,
    delta: int,
    balance: int,
    reason: str,
    source: str,
    label: str,
    meta: dict,
    key: str,
    now: datetime,
    lot_id: int | None = None,
):
    return conn.execute(
        _INSERT_ENTRY,
        {
            "u": user_id,
            "delta": delta,
            "balance": balance,
            "reason": reason,
            "source": source,
            "label": label,
            "meta": meta,
            "key": key,
            "lot_id": lot_id,
            "now": now,
        },
    ).one()


def spend(
    conn: Connection,
    *,
    user_id: str,
    points: int,
    key: str,
    reason: str,
    source: str,
    label: str,
    meta: dict,
    now: datetime | None = None,
) -> tuple[Entry, bool]:
    """Debits `points`, oldest-expiring lots first; (entry, replayed). A replay must carry the same
    member, points and label, else ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED. Refused with
    FAILED_PRECONDITION INSUFFICIENT_POINTS when the balance is short: the caller rolls back, so
    nothing changes."""
    balance = lock_account(conn, user_id, now, create=False)
    now = _clock(now)
    first = entry_by_key(conn, key)
    if first is not None:
        if (first.user_id, first.delta, first.label, first.reason) != (user_id, -points, label, reason):
            raise AlreadyExists(
                "IDEMPOTENCY_KEY_REUSED",
                "this request id was already used for another spend",
                metadata={"idempotency_key": key},
            )
        return first, True
    if balance is not None:
        settle(conn, [user_id], now)
    after = conn.execute(_DEBIT, {"u": user_id, "n": points, "now": now}).scalar()
    if after is None:
        have = conn.execute(sa.text("SELECT balance FROM loyalty.accounts WHERE user_id = :u"), {"u": user_id}).scalar()
        raise FailedPrecondition(
            "INSUFFICIENT_POINTS",
            f"the spendable balance is {have or 0}, less than {points}",
            metadata={"balance": str(have or 0), "required": str(points)},
        )
    takes = _take(conn, user_id, points, now)
    if sum(t.points for t in takes) != points:  # the invariant broke: refuse rather than mint points
        raise RuntimeError(f"lots of {user_id} do not cover the balance")
    row = _write_entry(
        conn, user_id=user_id, delta=-points, balance=after, reason=reason, source=source, label=label, meta=meta,
        key=key, now=now,
    )
    _moves(conn, takes, row.id, "SPEND", now)
    return _entry(row, takes), False


def claw_back(
    conn: Connection, *, user_id: str, points: int, key: str, reason: str, label: str, meta: dict, now: datetime
) -> tuple[int, int]:
    """Takes back `points` an earlier grant gave whose cause was undone (a challenge reward whose
    purchases were refunded): what the member holds now is debited (oldest-expiring lots first, one
    entry keyed `key`), the rest is added to their debt, paid first from any later credit, so the
    balance never goes below zero. Returns (taken, added to debt). The caller holds the account row
    and makes this happen once."""
    lock_account(conn, user_id, now)
    settle(conn, [user_id], now)
    have = conn.execute(sa.text("SELECT balance FROM loyalty.accounts WHERE user_id = :u"), {"u": user_id}).scalar_one()
    taken = min(have, points)
    if taken:
        after = conn.execute(_DEBIT, {"u": user_id, "n": taken, "now": now}).scalar_one()
        takes = _take(conn, user_id, taken, now)
        if sum(t.points for t in takes) != taken:
            raise RuntimeError(f"lots of {user_id} do not cover the balance")
        row = _write_entry(conn, user_id=user_id, delta=-taken, balance=after, reason=reason, source="clawback", label=label,
                           meta={**meta, "debt_added": points - taken}, key=key, now=now)
        _moves(conn, takes, row.id, "SPEND", now)
    if points > taken:
        conn.execute(sa.text("UPDATE loyalty.accounts SET debt = debt + :n, updated_at = :now WHERE user_id = :u"),
                     {"u": user_id, "n": points - taken, "now": now})
    return taken, points - taken


@dataclass(frozen=True)
class TakenBack:
    taken: int  # spendable points taken (in the entry): from the order's lots and, for spent ones, others
    cancelled: int  # held points of the order cancelled
    charged: int  # of `taken`, what came from other lots because the order's points had been spent
    shortfall: int  # spent points the member no longer had: added to their debt
    expired: int  # the order's points that had expired: already gone, not taken again
    entry: Entry | None


# What the order's lots lost other than to expiry, cancellation and the order's own refunds: spends
# (net of reversals), debt repayments, and other orders' refunds. A refund may charge the member's
# other lots for that much, never for points that simply expired.
_CONSUMED = sa.text(
    """
SELECT CAST(coalesce(sum(CASE WHEN m.kind = 'RESTORE' THEN -m.points ELSE m.points END), 0) AS bigint)
FROM loyalty.lots l
JOIN loyalty.lot_moves m ON m.lot_id = l.id
LEFT JOIN loyalty.ledger e ON e.id = m.entry_id
WHERE l.user_id = :u AND l.order_id = :o
  AND (m.kind IN ('SPEND', 'RESTORE', 'DEBT') OR (m.kind = 'REFUND' AND e.meta->>'order_id' IS DISTINCT FROM :o))
"""
)


def take_back(
    conn: Connection,
    *,
    user_id: str,
    order_id: str,
    points: int,
    charged_before: int,
    key: str,
    meta: dict,
    now: datetime,
    label: str | None = None,
) -> TakenBack:
    """Takes back up to `points` for a refund of `order_id`: first from the order's own lots (held
    points cancelled, then spendable ones taken). What those lots no longer hold was either spent
    (then it is charged: taken from the member's other spendable lots, and what they no longer have
    becomes debt, paid first from any later credit) or expired (then it is already gone and nothing
    else is taken). `charged_before` is what earlier refunds of the order charged (other lots plus
    debt). The caller holds the account row and settled it."""
    own = _take(conn, user_id, points, now, order_id=order_id, own=True)
    held = [t for t in own if t.held]
    own_spendable = [t for t in own if not t.held]
    rest = points - sum(t.points for t in own)
    chargeable, others = 0, []
    if rest:
        consumed = conn.execute(_CONSUMED, {"u": user_id, "o": order_id}).scalar_one()
        chargeable = min(rest, max(consumed - charged_before, 0))
        if chargeable:
            others = _take(conn, user_id, chargeable, now, order_id=order_id)
    cancelled = sum(t.points for t in held)
    charged = sum(t.points for t in others)
    shortfall = chargeable - charged
    expired = rest - chargeable
    taken = sum(t.points for t in own_spendable) + charged
    _moves(conn, held, None, "CANCEL", now)
    if shortfall:
        conn.execute(
            sa.text("UPDATE loyalty.accounts SET debt = debt + :n, updated_at = :now WHERE user_id = :u"),
            {"u": user_id, "n": shortfall, "now": now},
        )
    entry = None
    if taken:
        after = conn.execute(_DEBIT, {"u": user_id, "n": taken, "now": now}).scalar()
        if after is None:
            raise RuntimeError(f"lots of {user_id} do not match the balance")
        row = _write_entry(
            conn, user_id=user_id, delta=-taken, balance=after, reason="PURCHASE_REFUND", source="refund",
            label=order_id if label is None else label, key=key, now=now,
            meta={
                **meta, "order_id": order_id, "cancelled_held": cancelled, "shortfall": shortfall, "expired": expired,
            },
        )
        _moves(conn, own_spendable + others, row.id, "REFUND", now)
        entry = _entry(row, own_spendable + others)
    return TakenBack(taken, cancelled, charged, shortfall, expired, entry)


# Gives a spend's points back to the lots it took them from, except lots that expired meanwhile: by
# their date or because a sweep (perhaps with a later clock than this transaction's) marked them.
# Those points are not returned: they would have expired unspent (the contract of ReversePointsSpend).
_RESTORE = sa.text(
    """
WITH moved AS (
  SELECT lot_id, CAST(sum(points) AS bigint) AS n FROM loyalty.lot_moves
  WHERE entry_id = :e AND kind = 'SPEND' GROUP BY lot_id
), back AS (
  UPDATE loyalty.lots l SET remaining = l.remaining + m.n FROM moved m
  WHERE l.id = m.lot_id AND l.expired_at IS NULL AND l.expires_at > :now
  RETURNING l.id, m.n, l.expires_at
)
SELECT id, n, expires_at FROM back ORDER BY id
"""
)


@dataclass(frozen=True)
class Reversed:
    entry: Entry | None
    restored: int
    expired: int


def reverse_spend(conn: Connection, *, user_id: str, spend_key: str, key: str, now: datetime | None = None) -> Reversed:
    """Gives a spend's points back to the lots it took them from (those not expired meanwhile), then
    pays the member's debt from them first. Exactly once per spend: the reversal's entry carries
    `key`."""
    lock_account(conn, user_id, now, create=False)
    now = _clock(now)
    done = entry_by_key(conn, key)
    original = entry_by_key(conn, spend_key)
    if original is None or original.user_id != user_id or original.delta >= 0:
        raise NotFound("SPEND_NOT_FOUND", "no spend with this request id", metadata={"user_id": user_id})
    if done is not None:
        return Reversed(done, done.delta, -original.delta - done.delta)
    settle(conn, [user_id], now)
    takes = [Take(r.id, r.n, r.expires_at) for r in conn.execute(_RESTORE, {"e": original.id, "now": now})]
    spent = -original.delta
    restored = sum(t.points for t in takes)
    if not restored:
        return Reversed(None, 0, spent)
    after = conn.execute(_CREDIT, {"u": user_id, "n": restored, "now": now}).scalar_one()
    row = _write_entry(
        conn, user_id=user_id, delta=restored, balance=after, reason="SPEND_REVERSAL", source="spend",
        label=original.label, meta={"spend_entry_id": original.id, "expired": spent - restored}, key=key, now=now,
    )
    _moves(conn, takes, row.id, "RESTORE", now)
    pay_debt(conn, [user_id], now)
    return Reversed(_entry(row, takes), restored, spent - restored)


# ---- reads ----------------------------------------------------------------------------------------

_BALANCE = sa.text(
    """
WITH owed AS (SELECT coalesce((SELECT debt FROM loyalty.accounts WHERE user_id = :u), 0) AS debt),
lots AS (
  SELECT CAST(coalesce(sum(remaining) FILTER (WHERE available_at <= :now AND expires_at > :now), 0) AS bigint)
           AS spendable,
         CAST(coalesce(sum(remaining) FILTER (WHERE available_at > :now), 0) AS bigint) AS pending,
         CAST(coalesce(sum(remaining) FILTER (WHERE available_at <= :now AND expires_at > :now
                                              AND expires_at <= :soon), 0) AS bigint) AS expiring_soon,
         min(available_at) FILTER (WHERE available_at > :now) AS next_release_at
  FROM loyalty.lots WHERE user_id = :u AND remaining > 0 AND expired_at IS NULL
)
SELECT CAST(greatest(spendable - debt, 0) AS bigint) AS balance, pending, expiring_soon, next_release_at, debt
FROM lots, owed
"""
)


def balance_view(conn: Connection, user_id: str, now: datetime, soon: datetime) -> sa.Row:
    """The member's points as of `now`, read from the lots (so exact even before a sweep releases or
    expires what is due, or pays a debt from points just released)."""
    return conn.execute(_BALANCE, {"u": user_id, "now": now, "soon": soon}).one()


def list_entries(conn: Connection, user_id: str, before_id: int | None, limit: int) -> list[Entry]:
    rows = list(
        conn.execute(
            sa.text(
                f"SELECT {_ENTRY} FROM loyalty.ledger WHERE user_id = :u AND (CAST(:b AS bigint) IS NULL OR id < :b) "
                "ORDER BY id DESC LIMIT :n"
            ),
            {"u": user_id, "b": before_id, "n": limit},
        )
    )
    takes = takes_of(conn, [r.id for r in rows if r.delta < 0])
    return [_entry(r, takes.get(r.id, ())) for r in rows]


def list_lots(conn: Connection, user_id: str, open_only: bool, before_id: int | None, limit: int) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.text(
                f"SELECT {LOT_COLUMNS} FROM loyalty.lots WHERE user_id = :u AND (NOT :open OR remaining > 0) "
                "AND (CAST(:b AS bigint) IS NULL OR id < :b) ORDER BY id DESC LIMIT :n"
            ),
            {"u": user_id, "open": open_only, "b": before_id, "n": limit},
        )
    )
