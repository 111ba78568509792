"""Game-token wallets on an append-only ledger: the one way any service changes a balance.

`post` runs inside the caller's transaction, so a coupon redemption or a pool open commits its
wallet change together with its own records, or none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common.errors import AlreadyExists, FailedPrecondition

TOKEN_TYPES: tuple[str, ...] = ("ROULETTE_COIN", "DICE_TOKEN", "LOTTERY_TICKET", "CC_COIN")


@dataclass(frozen=True)
class Entry:
    id: int
    user_id: str
    token_type: str
    delta: int
    balance_after: int
    reason: str
    label: str
    meta: dict
    idempotency_key: str
    created_at: datetime


_COLUMNS = "id, user_id, token_type, delta, balance_after, reason, label, meta, idempotency_key, created_at"

# One statement: claim the key, change the wallet only if the key was claimed (a credit creates the
# wallet; a debit only applies while the balance covers it), then append the entry with the new
# balance. A concurrent sender of the same key waits on the key's row and then claims nothing.
_POST = sa.text(
    f"""
WITH claimed AS (
  INSERT INTO reward.ledger_keys (key) VALUES (:key) ON CONFLICT DO NOTHING RETURNING key
), credited AS (
  INSERT INTO reward.wallets AS w (user_id, token_type, balance, updated_at)
  SELECT :user_id, :token_type, :delta, :now FROM claimed WHERE :delta > 0
  ON CONFLICT (user_id, token_type) DO UPDATE SET balance = w.balance + EXCLUDED.balance, updated_at = EXCLUDED.updated_at
  RETURNING balance
), debited AS (
  UPDATE reward.wallets w SET balance = w.balance + :delta, updated_at = :now
  FROM claimed
  WHERE :delta < 0 AND w.user_id = :user_id AND w.token_type = :token_type AND w.balance + :delta >= 0
  RETURNING w.balance
), entry AS (
  INSERT INTO reward.ledger (user_id, token_type, delta, balance_after, reason, label, meta, idempotency_key, created_at)
  SELECT :user_id, :token_type, :delta, balance, :reason, :label, CAST(:meta AS jsonb), :key, :now
  FROM (SELECT balance FROM credited UNION ALL SELECT balance FROM debited) b
  RETURNING {_COLUMNS}
)
SELECT (SELECT count(*) FROM claimed) AS claimed, entry.* FROM (SELECT 1) one LEFT JOIN entry ON true
"""
).bindparams(sa.bindparam("meta", type_=sa.JSON))

_BY_KEY = sa.text(f"SELECT {_COLUMNS} FROM reward.ledger WHERE idempotency_key = :key")


def _entry(row) -> Entry:
    return Entry(**{k: getattr(row, k) for k in Entry.__dataclass_fields__})


def post(
    conn: Connection,
    *,
    user_id: str,
    token_type: str,
    delta: int,
    reason: str,
    idempotency_key: str,
    label: str = "",
    meta: dict | None = None,
    now: datetime | None = None,
) -> Entry:
    """Applies `delta` (non-zero) to the wallet and appends its ledger entry, in the caller's
    transaction. Exactly once per `idempotency_key` (global: namespace it, e.g.
    `coupon:redeem:<id>`): a replay with the same user, token type and delta returns the first
    entry; another payload raises ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED. A debit beyond the
    balance raises FAILED_PRECONDITION INSUFFICIENT_BALANCE; the caller's transaction must then roll
    back (the key was claimed in it)."""
    if delta == 0 or token_type not in TOKEN_TYPES:
        raise ValueError(f"bad ledger change: {delta} {token_type}")
    params = {
        "key": idempotency_key,
        "user_id": user_id,
        "token_type": token_type,
        "delta": delta,
        "reason": reason,
        "label": label,
        "meta": meta or {},
        "now": now or datetime.now(UTC),
    }
    row = conn.execute(_POST, params).one()
    if row.claimed and row.id is not None:
        return _entry(row)
    if row.claimed:
        have = balance(conn, user_id, token_type)
        raise FailedPrecondition(
            "INSUFFICIENT_BALANCE",
            f"the {token_type} balance is {have}, less than {-delta}",
            metadata={"token_type": token_type, "balance": str(have), "required": str(-delta)},
        )
    first = conn.execute(_BY_KEY, {"key": idempotency_key}).one()
    if (first.user_id, first.token_type, first.delta) != (user_id, token_type, delta):
        raise AlreadyExists(
            "IDEMPOTENCY_KEY_REUSED",
            "this request id was already used for another change",
            metadata={"idempotency_key": idempotency_key},
        )
    return _entry(first)


def balance(conn: Connection, user_id: str, token_type: str) -> int:
    value = conn.execute(
        sa.text("SELECT balance FROM reward.wallets WHERE user_id = :u AND token_type = :t"),
        {"u": user_id, "t": token_type},
    ).scalar()
    return value or 0


def balances(conn: Connection, user_id: str) -> list[tuple[str, int, datetime | None]]:
    """(token_type, balance, updated_at) for every token type, zero where never credited."""
    rows = conn.execute(
        sa.text("SELECT token_type, balance, updated_at FROM reward.wallets WHERE user_id = :u"), {"u": user_id}
    ).all()
    have = {r.token_type: r for r in rows}
    return [(t, have[t].balance if t in have else 0, have[t].updated_at if t in have else None) for t in TOKEN_TYPES]


# The set-based credit behind a campaign batch: the same credit for many users in one statement.
# Keys are claimed in order and wallets upserted in user order, so two batches crediting
# overlapping users lock in the same order; each entry's balance_after is the wallet's new balance.
_POST_MANY = sa.text(
    """
WITH input AS (
  SELECT * FROM unnest(CAST(:users AS text[]), CAST(:keys AS text[])) AS i(user_id, key)
), claimed AS (
  INSERT INTO reward.ledger_keys (key) SELECT key FROM input ORDER BY key ON CONFLICT DO NOTHING RETURNING key
), credited AS (
  INSERT INTO reward.wallets AS w (user_id, token_type, balance, updated_at)
  SELECT i.user_id, :token_type, :delta, :now FROM input i JOIN claimed c ON c.key = i.key ORDER BY i.user_id
  ON CONFLICT (user_id, token_type) DO UPDATE SET balance = w.balance + EXCLUDED.balance, updated_at = EXCLUDED.updated_at
  RETURNING w.user_id, w.balance
)
INSERT INTO reward.ledger (user_id, token_type, delta, balance_after, reason, label, meta, idempotency_key, created_at)
SELECT c.user_id, :token_type, :delta, c.balance, :reason, :label, CAST(:meta AS jsonb), i.key, :now
FROM credited c JOIN input i ON i.user_id = c.user_id
RETURNING user_id
"""
).bindparams(sa.bindparam("meta", type_=sa.JSON))


def post_many(
    conn: Connection,
    *,
    credits: list[tuple[str, str]],
    token_type: str,
    delta: int,
    reason: str,
    label: str = "",
    meta: dict | None = None,
    now: datetime | None = None,
) -> set[str]:
    """Credits `delta` (positive) `token_type` to each (user_id, idempotency_key) of `credits`
    (distinct users) in the caller's transaction, exactly once per key like `post`; returns the
    users credited now (a replayed key credits nothing again). A key used before for another user,
    token type or amount raises ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED."""
    if delta <= 0 or token_type not in TOKEN_TYPES:
        raise ValueError(f"bad ledger credit: {delta} {token_type}")
    if not credits:
        return set()
    users = [u for u, _ in credits]
    if len(set(users)) != len(users):
        raise ValueError("post_many takes one credit per user")
    keys = [k for _, k in credits]
    done = {
        r.user_id
        for r in conn.execute(
            _POST_MANY,
            {"users": users, "keys": keys, "token_type": token_type, "delta": delta, "reason": reason,
             "label": label, "meta": meta or {}, "now": now or datetime.now(UTC)},
        )
    }
    if len(done) < len(credits):
        replayed = [k for u, k in credits if u not in done]
        reused = conn.execute(
            sa.text(
                "SELECT l.idempotency_key FROM reward.ledger l JOIN unnest(CAST(:keys AS text[]), CAST(:users AS text[])) "
                "AS i(key, user_id) ON l.idempotency_key = i.key "
                "WHERE (l.user_id, l.token_type, l.delta) IS DISTINCT FROM (i.user_id, :token_type, :delta) LIMIT 1"
            ),
            {"keys": replayed, "users": [u for u, _ in credits if u not in done], "token_type": token_type, "delta": delta},
        ).scalar()
        if reused is not None:
            raise AlreadyExists(
                "IDEMPOTENCY_KEY_REUSED", "this request id was already used for another change",
                metadata={"idempotency_key": reused},
            )
    return done
