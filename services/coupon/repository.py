"""SQL of the Coupon service.

Counters change only in conditional statements (`... WHERE used_count + reserved_count <
usage_limit RETURNING`), never by reading and writing back. Every write path takes its locks in one
order: the user's advisory lock, the reservation, the user's usage row, (the wallet and the budget,
in Reward's functions), and the coupon row last, so the hottest lock is held only for the final
statement and the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.coupon.domain import Spec

COUPON_COLUMNS = (
    "id, code, type, value, token_type, max_value, starts_at, expires_at, usage_limit, per_user_limit, segment, "
    "status, used_count, reserved_count, assigned_user_id, campaign, batch_id, template_id, description, version, "
    "created_at, created_by, updated_at, updated_by"
)
REDEMPTION_COLUMNS = (
    "id, coupon_id, user_id, request_id, code, type, token_type, amount, ledger_entry_id, reservation_id, state, "
    "redeemed_at, rolled_back_at, rollback_reason, rollback_entry_id"
)


def lock_user(conn: Connection, user_id: str) -> None:
    """One redemption, validation, reservation or rollback per user at a time. It makes the failed
    attempt count exact (parallel guesses cannot all pass the check before any failure is recorded)
    and orders every path's locks; different users never wait on each other here."""
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended('coupon-user:' || :u, 0))"), {"u": user_id})


# Everything a redemption decides on, in one round trip: the coupon by code with its live uses
# (reservations past their expiry no longer count, even before the sweep gives them back), the
# user's live uses, their recent failures, what this request id already did, and whether the coupon
# or its campaign has a budget (Reward's read contract), so a coupon without one skips that step.
_LOOKUP = sa.text(
    """
SELECT c.id, c.code, c.type, c.value, c.token_type, c.max_value, c.starts_at, c.expires_at, c.usage_limit,
       c.per_user_limit, c.segment, c.status, c.assigned_user_id,
       c.campaign, reward.has_budget('COUPON', c.id::text) AS budgeted,
       reward.has_budget('CAMPAIGN', c.campaign) AS campaign_budgeted,
       c.used_count + c.reserved_count - (
         SELECT count(*) FROM coupon.coupon_reservations x
         WHERE x.coupon_id = c.id AND x.state = 'HELD' AND x.expires_at <= :now) AS live_uses,
       coalesce(uu.used + uu.reserved, 0) - (
         SELECT count(*) FROM coupon.coupon_reservations x
         WHERE x.coupon_id = c.id AND x.user_id = :user_id AND x.state = 'HELD' AND x.expires_at <= :now) AS user_live_uses,
       (SELECT count(*) FROM coupon.failed_attempts f
        WHERE f.user_id = :user_id AND f.attempted_at > :since) AS recent_failures,
       r.id AS prior_redemption_id, r.code AS prior_code,
       h.id AS held_id, h.coupon_id AS held_coupon_id, h.state AS held_state, h.expires_at AS held_expires_at
FROM (SELECT 1) one
LEFT JOIN coupon.coupons c ON lower(c.code) = lower(:code)
LEFT JOIN coupon.user_usage uu ON uu.coupon_id = c.id AND uu.user_id = :user_id
LEFT JOIN coupon.coupon_redemptions r ON r.user_id = :user_id AND r.request_id = :request_id
LEFT JOIN coupon.coupon_reservations h ON h.user_id = :user_id AND h.request_id = :request_id
"""
)


def lookup(conn: Connection, *, user_id: str, code: str, request_id: str | None, now: datetime, since: datetime) -> sa.Row:
    params = {"user_id": user_id, "code": code, "request_id": request_id, "now": now, "since": since}
    return conn.execute(_LOOKUP, params).one()


def record_failure(conn: Connection, user_id: str, now: datetime) -> None:
    conn.execute(sa.text("INSERT INTO coupon.failed_attempts (user_id, attempted_at) VALUES (:u, :now)"), {"u": user_id, "now": now})


def prune_failures(conn: Connection, before: datetime) -> int:
    return conn.execute(sa.text("DELETE FROM coupon.failed_attempts WHERE attempted_at < :b"), {"b": before}).rowcount


# ---- redemption ------------------------------------------------------------------------------

def convert_reservation(conn: Connection, reservation_id: int, now: datetime) -> bool:
    """Claims a held reservation for conversion; false when it expired or was released meanwhile."""
    return (
        conn.execute(
            sa.text(
                "UPDATE coupon.coupon_reservations SET state = 'CONVERTED', closed_at = :now "
                "WHERE id = :id AND state = 'HELD' AND expires_at > :now RETURNING id"
            ),
            {"id": reservation_id, "now": now},
        ).first()
        is not None
    )


@dataclass(frozen=True)
class Claim:
    id: int | None  # None: another transaction committed this key first
    counted: bool  # False: the per-user limit is reached


# The request id is claimed first (a concurrent duplicate waits on its unique index, then claims
# nothing), then the user's use is counted if the per-user limit allows; a converted reservation
# turns its held use into a used one without a limit check.
_CLAIM_REDEMPTION = sa.text(
    """
WITH claimed AS (
  INSERT INTO coupon.coupon_redemptions (coupon_id, user_id, request_id, code, type, token_type, amount,
                                         reservation_id, redeemed_at)
  VALUES (:coupon_id, :user_id, :request_id, :code, :type, :token_type, :amount, :reservation_id, :now)
  ON CONFLICT (user_id, request_id) DO NOTHING
  RETURNING id
),
used AS (
  INSERT INTO coupon.user_usage AS uu (coupon_id, user_id, used, reserved)
  SELECT :coupon_id, :user_id, 1, 0 FROM claimed
  ON CONFLICT (coupon_id, user_id) DO UPDATE SET used = uu.used + 1, reserved = uu.reserved - :converting
  WHERE :converting = 1 OR uu.used + uu.reserved < :per_user_limit
  RETURNING used
)
SELECT (SELECT id FROM claimed) AS id, EXISTS (SELECT 1 FROM used) AS counted
"""
)


def claim_redemption(conn: Connection, **params: Any) -> Claim:
    row = conn.execute(_CLAIM_REDEMPTION, params).one()
    return Claim(row.id, row.counted)


# Last statement before the commit: the coupon's global count (conditional unless a reservation
# already holds the use), and in the same round trip the redemption's ledger entry and the
# converted reservation's link.
_COUNT_REDEMPTION = sa.text(
    """
WITH counted AS (
  UPDATE coupon.coupons SET used_count = used_count + 1, reserved_count = reserved_count - :converting
  WHERE id = :coupon_id
    AND (:converting = 1 OR usage_limit IS NULL OR used_count + reserved_count < usage_limit)
  RETURNING id
),
linked AS (
  UPDATE coupon.coupon_reservations SET redemption_id = :redemption_id
  WHERE id = :reservation_id AND EXISTS (SELECT 1 FROM counted)
)
UPDATE coupon.coupon_redemptions SET ledger_entry_id = :entry_id
WHERE id = :redemption_id AND EXISTS (SELECT 1 FROM counted)
RETURNING id
"""
)


def count_redemption(conn: Connection, **params: Any) -> bool:
    """Counts the use; false when the usage limit is reached. (Returns no columns: the caller
    knows them, and decoding a row is a good part of a statement's cost in Python.)"""
    return conn.execute(_COUNT_REDEMPTION, params).first() is not None


@dataclass(frozen=True)
class Redemption:
    """A redemption as written by this transaction (the same fields as a row of the table)."""

    id: int
    coupon_id: int
    user_id: str
    request_id: str
    code: str
    type: str
    token_type: str
    amount: int
    ledger_entry_id: int | None
    reservation_id: int | None
    redeemed_at: datetime
    state: str = "REDEEMED"
    rolled_back_at: datetime | None = None
    rollback_reason: str | None = None
    rollback_entry_id: int | None = None


def redemption(conn: Connection, redemption_id: int) -> sa.Row:
    return conn.execute(
        sa.text(f"SELECT {REDEMPTION_COLUMNS} FROM coupon.coupon_redemptions WHERE id = :id"), {"id": redemption_id}
    ).one()


def lock_redemption(conn: Connection, user_id: str, request_id: str) -> sa.Row | None:
    return conn.execute(
        sa.text(
            f"SELECT {REDEMPTION_COLUMNS} FROM coupon.coupon_redemptions "
            "WHERE user_id = :u AND request_id = :k FOR UPDATE"
        ),
        {"u": user_id, "k": request_id},
    ).one_or_none()


def unuse(conn: Connection, coupon_id: int, user_id: str) -> None:
    conn.execute(
        sa.text("UPDATE coupon.user_usage SET used = used - 1 WHERE coupon_id = :c AND user_id = :u"),
        {"c": coupon_id, "u": user_id},
    )


_ROLL_BACK = sa.text(
    f"""
WITH uncounted AS (
  UPDATE coupon.coupons SET used_count = used_count - 1 WHERE id = :coupon_id RETURNING id
)
UPDATE coupon.coupon_redemptions SET state = 'ROLLED_BACK', rolled_back_at = :now, rollback_reason = :reason,
       rollback_entry_id = :entry_id
WHERE id = :id
RETURNING {REDEMPTION_COLUMNS}
"""
)


def roll_back(conn: Connection, **params: Any) -> sa.Row:
    return conn.execute(_ROLL_BACK, params).one()


def list_redemptions(conn: Connection, *, coupon_id: int | None, user_id: str | None, after: int | None, limit: int) -> list[sa.Row]:
    where = "coupon_id = :c" if coupon_id is not None else "user_id = :u"
    return list(
        conn.execute(
            sa.text(
                f"SELECT {REDEMPTION_COLUMNS} FROM coupon.coupon_redemptions WHERE {where} "
                "AND (CAST(:a AS bigint) IS NULL OR id < :a) ORDER BY id DESC LIMIT :n"
            ),
            {"c": coupon_id, "u": user_id, "a": after, "n": limit},
        )
    )


# ---- reservations ----------------------------------------------------------------------------

_RESERVATION = """
SELECT h.id, h.coupon_id, coalesce(c.code, '') AS code, h.user_id, h.request_id, h.state, h.expires_at,
       h.created_at, h.closed_at, h.redemption_id
FROM coupon.coupon_reservations h LEFT JOIN coupon.coupons c ON c.id = h.coupon_id
"""

_CLAIM_RESERVATION = sa.text(
    """
WITH claimed AS (
  INSERT INTO coupon.coupon_reservations (coupon_id, user_id, request_id, expires_at, created_at, created_by)
  VALUES (:coupon_id, :user_id, :request_id, :expires_at, :now, :by)
  ON CONFLICT (user_id, request_id) DO NOTHING
  RETURNING id
),
held AS (
  INSERT INTO coupon.user_usage AS uu (coupon_id, user_id, used, reserved)
  SELECT :coupon_id, :user_id, 0, 1 FROM claimed
  ON CONFLICT (coupon_id, user_id) DO UPDATE SET reserved = uu.reserved + 1
  WHERE uu.used + uu.reserved < :per_user_limit
  RETURNING reserved
)
SELECT (SELECT id FROM claimed) AS id, EXISTS (SELECT 1 FROM held) AS counted
"""
)


def claim_reservation(conn: Connection, **params: Any) -> Claim:
    row = conn.execute(_CLAIM_RESERVATION, params).one()
    return Claim(row.id, row.counted)


def count_reservation(conn: Connection, coupon_id: int) -> bool:
    """Holds one of the coupon's uses; false when the usage limit is reached."""
    return (
        conn.execute(
            sa.text(
                "UPDATE coupon.coupons SET reserved_count = reserved_count + 1 WHERE id = :c "
                "AND (usage_limit IS NULL OR used_count + reserved_count < usage_limit) RETURNING id"
            ),
            {"c": coupon_id},
        ).first()
        is not None
    )


def reservation(conn: Connection, reservation_id: int) -> sa.Row:
    return conn.execute(sa.text(_RESERVATION + "WHERE h.id = :id"), {"id": reservation_id}).one()


def lock_reservation(conn: Connection, user_id: str, request_id: str) -> sa.Row | None:
    return conn.execute(
        sa.text(_RESERVATION + "WHERE h.user_id = :u AND h.request_id = :k FOR UPDATE OF h"), {"u": user_id, "k": request_id}
    ).one_or_none()


def close_reservation(conn: Connection, reservation_id: int, state: str, now: datetime) -> None:
    """Releases or expires one held reservation (locked by the caller) and gives its use back."""
    row = conn.execute(
        sa.text(
            "UPDATE coupon.coupon_reservations SET state = :s, closed_at = :now WHERE id = :id AND state = 'HELD' "
            "RETURNING coupon_id, user_id"
        ),
        {"id": reservation_id, "s": state, "now": now},
    ).one()
    _give_back(conn, [(row.coupon_id, row.user_id, 1)])


def expire_held(conn: Connection, now: datetime, limit: int, coupon_id: int | None = None) -> int:
    """Expires up to `limit` held reservations past their time (skipping any a redemption or a
    release is handling right now) and gives their uses back; returns how many."""
    only = "AND coupon_id = :c " if coupon_id is not None else ""
    rows = conn.execute(
        sa.text(
            f"""
WITH expired AS (
  UPDATE coupon.coupon_reservations SET state = 'EXPIRED', closed_at = :now
  WHERE id IN (SELECT id FROM coupon.coupon_reservations WHERE state = 'HELD' AND expires_at <= :now {only}
               ORDER BY expires_at LIMIT :n FOR UPDATE SKIP LOCKED)
  RETURNING coupon_id, user_id
)
SELECT coupon_id, user_id, count(*) AS n FROM expired GROUP BY coupon_id, user_id ORDER BY coupon_id, user_id
"""
        ),
        {"now": now, "n": limit, "c": coupon_id},
    ).all()
    _give_back(conn, [(r.coupon_id, r.user_id, r.n) for r in rows])
    return sum(r.n for r in rows)


def _give_back(conn: Connection, held: list[tuple[int, str, int]]) -> None:
    """Returns held uses to the users' rows, then to the coupons' (the lock order of every path)."""
    if not held:
        return
    coupons, users, counts = (list(x) for x in zip(*held))
    conn.execute(
        sa.text(
            "UPDATE coupon.user_usage u SET reserved = u.reserved - x.n "
            "FROM unnest(CAST(:c AS bigint[]), CAST(:u AS text[]), CAST(:n AS int[])) AS x(coupon_id, user_id, n) "
            "WHERE u.coupon_id = x.coupon_id AND u.user_id = x.user_id"
        ),
        {"c": coupons, "u": users, "n": counts},
    )
    conn.execute(
        sa.text(
            "UPDATE coupon.coupons c SET reserved_count = c.reserved_count - x.n "
            "FROM (SELECT coupon_id, sum(n) AS n FROM unnest(CAST(:c AS bigint[]), CAST(:n AS int[])) AS t(coupon_id, n) "
            "GROUP BY coupon_id) x WHERE c.id = x.coupon_id"
        ),
        {"c": coupons, "n": counts},
    )


# ---- coupons ---------------------------------------------------------------------------------

def _spec_params(spec: Spec, token_type: str) -> dict[str, Any]:
    return {
        "type": spec.type,
        "value": spec.value,
        "token_type": token_type,
        "max_value": spec.max_value,
        "starts_at": spec.starts_at,
        "expires_at": spec.expires_at,
        "usage_limit": spec.usage_limit,
        "per_user_limit": spec.per_user_limit,
        "segment": spec.segment,
        "campaign": spec.campaign,
        "description": spec.description,
    }


def insert_coupon(conn: Connection, code: str, spec: Spec, token_type: str, status: str, by: str, now: datetime) -> sa.Row:
    return conn.execute(
        sa.text(
            "INSERT INTO coupon.coupons (code, type, value, token_type, max_value, starts_at, expires_at, usage_limit, "
            "per_user_limit, segment, status, campaign, description, created_at, created_by, updated_at, updated_by) "
            "VALUES (:code, :type, :value, :token_type, :max_value, :starts_at, :expires_at, :usage_limit, "
            ":per_user_limit, :segment, :status, :campaign, :description, :now, :by, :now, :by) "
            f"RETURNING {COUPON_COLUMNS}"
        ),
        {**_spec_params(spec, token_type), "code": code, "status": status, "by": by, "now": now},
    ).one()


def coupon(conn: Connection, coupon_id: int, *, lock: bool = False) -> sa.Row | None:
    return conn.execute(
        sa.text(f"SELECT {COUPON_COLUMNS} FROM coupon.coupons WHERE id = :id" + (" FOR UPDATE" if lock else "")),
        {"id": coupon_id},
    ).one_or_none()


def update_coupon(conn: Connection, coupon_id: int, code: str, spec: Spec, token_type: str, status: str, by: str, now: datetime) -> sa.Row:
    return conn.execute(
        sa.text(
            "UPDATE coupon.coupons SET code = :code, type = :type, value = :value, token_type = :token_type, "
            "max_value = :max_value, starts_at = :starts_at, expires_at = :expires_at, usage_limit = :usage_limit, "
            "per_user_limit = :per_user_limit, segment = :segment, status = :status, campaign = :campaign, "
            "description = :description, version = version + 1, updated_at = :now, updated_by = :by "
            f"WHERE id = :id RETURNING {COUPON_COLUMNS}"
        ),
        {**_spec_params(spec, token_type), "id": coupon_id, "code": code, "status": status, "by": by, "now": now},
    ).one()


def has_redemptions(conn: Connection, coupon_id: int) -> bool:
    return conn.execute(
        sa.text("SELECT EXISTS (SELECT 1 FROM coupon.coupon_redemptions WHERE coupon_id = :c)"), {"c": coupon_id}
    ).scalar_one()


def delete_coupon(conn: Connection, coupon_id: int) -> None:
    """Deletes an unused coupon with its (closed) reservations and zero usage rows."""
    conn.execute(sa.text("DELETE FROM coupon.coupon_reservations WHERE coupon_id = :c"), {"c": coupon_id})
    conn.execute(sa.text("DELETE FROM coupon.user_usage WHERE coupon_id = :c"), {"c": coupon_id})
    conn.execute(sa.text("DELETE FROM coupon.coupons WHERE id = :c"), {"c": coupon_id})


def _like_prefix(prefix: str) -> str:
    return prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_coupons(conn: Connection, filters: dict[str, Any], after: int | None, limit: int) -> list[sa.Row]:
    """Newest first; only the filters given become conditions (so each shape gets its own plan)."""
    clauses = {
        "status": "status = :status",
        "type": "type = :type",
        "campaign": "campaign = :campaign",
        "batch_id": "batch_id = :batch_id",
        "code_prefix": "lower(code) LIKE :code_prefix",
    }
    where = [clauses[k] for k, v in filters.items() if v]
    params = {k: v for k, v in filters.items() if v}
    if "code_prefix" in params:
        params["code_prefix"] = _like_prefix(params["code_prefix"])
    if after is not None:
        where.append("id < :after")
        params["after"] = after
    sql = f"SELECT {COUPON_COLUMNS} FROM coupon.coupons"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return list(conn.execute(sa.text(sql + " ORDER BY id DESC LIMIT :n"), {**params, "n": limit}))


# ---- generation and personal codes ------------------------------------------------------------

def claim_batch(conn: Connection, request_id: str, fingerprint: str, prefix: str, count: int, campaign: str | None, by: str, now: datetime) -> sa.Row | None:
    """The new batch, or None when this request id already made one."""
    return conn.execute(
        sa.text(
            "INSERT INTO coupon.coupon_batches (request_id, fingerprint, prefix, count, campaign, created_at, created_by) "
            "VALUES (:r, :f, :p, :n, :c, :now, :by) ON CONFLICT (request_id) DO NOTHING RETURNING *"
        ),
        {"r": request_id, "f": fingerprint, "p": prefix, "n": count, "c": campaign, "now": now, "by": by},
    ).one_or_none()


def batch_by_request(conn: Connection, request_id: str) -> sa.Row:
    return conn.execute(sa.text("SELECT * FROM coupon.coupon_batches WHERE request_id = :r"), {"r": request_id}).one()


def insert_codes(conn: Connection, codes: list[str], batch_id: int, spec: Spec, token_type: str, by: str, now: datetime) -> list[str]:
    """Inserts one coupon per code in one statement, in the given order; returns the codes inserted
    (a code equal to an existing one in any letter case is skipped, for the caller to replace)."""
    return list(
        conn.execute(
            sa.text(
                "INSERT INTO coupon.coupons (code, type, value, token_type, max_value, starts_at, expires_at, usage_limit, "
                "per_user_limit, segment, campaign, description, batch_id, created_at, created_by, updated_at, updated_by) "
                "SELECT t.code, :type, :value, :token_type, :max_value, :starts_at, :expires_at, :usage_limit, "
                ":per_user_limit, :segment, :campaign, :description, :batch_id, :now, :by, :now, :by "
                "FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY AS t(code, n) ORDER BY t.n "
                "ON CONFLICT DO NOTHING RETURNING code"
            ),
            {**_spec_params(spec, token_type), "codes": codes, "batch_id": batch_id, "by": by, "now": now},
        ).scalars()
    )


def batch_codes(conn: Connection, batch_id: int) -> list[str]:
    return list(
        conn.execute(sa.text("SELECT code FROM coupon.coupons WHERE batch_id = :b ORDER BY id"), {"b": batch_id}).scalars()
    )


# A template prizes may still be issued from: one not expired. Its status does not matter: a prize
# template is usually DISABLED so that its own code cannot be redeemed, while the personal codes made
# from it are ACTIVE. (One not started yet is fine: the codes work from its start, like it.)
_USABLE = "(expires_at IS NULL OR expires_at > :now)"


def usable_templates(conn: Connection, template_ids: list[int], now: datetime) -> set[int]:
    return set(
        conn.execute(
            sa.text(f"SELECT id FROM coupon.coupons WHERE id = ANY(:ids) AND {_USABLE}"), {"ids": template_ids, "now": now}
        ).scalars()
    )


def insert_personal_code(conn: Connection, *, template_id: int, code: str, user_id: str, key: str, now: datetime) -> str | None:
    """Copies the template's reward and window into a single-use code for one user; None when the
    template does not exist or is not usable, or the key or the code is taken."""
    return conn.execute(
        sa.text(
            "INSERT INTO coupon.coupons (code, type, value, token_type, max_value, starts_at, expires_at, usage_limit, "
            "per_user_limit, assigned_user_id, campaign, template_id, issue_key, description, created_at, created_by, "
            "updated_at, updated_by) "
            "SELECT :code, type, value, token_type, max_value, starts_at, expires_at, 1, 1, :user_id, campaign, id, :key, "
            f"description, :now, 'reward', :now, 'reward' FROM coupon.coupons WHERE id = :template_id AND {_USABLE} "
            "ON CONFLICT DO NOTHING RETURNING code"
        ),
        {"code": code, "user_id": user_id, "key": key, "template_id": template_id, "now": now},
    ).scalar_one_or_none()


def insert_personal_codes(conn: Connection, *, template_id: int, rows: list[tuple[str, str, str]], now: datetime) -> list[sa.Row]:
    """`insert_personal_code` for many (code, user_id, key) at once; returns (assigned_user_id, code,
    id) of the codes written (a taken key or code writes nothing for that row)."""
    return conn.execute(
        sa.text(
            "INSERT INTO coupon.coupons (code, type, value, token_type, max_value, starts_at, expires_at, usage_limit, "
            "per_user_limit, assigned_user_id, campaign, template_id, issue_key, description, created_at, created_by, "
            "updated_at, updated_by) "
            "SELECT v.code, t.type, t.value, t.token_type, t.max_value, t.starts_at, t.expires_at, 1, 1, v.user_id, t.campaign, "
            "t.id, v.key, t.description, :now, 'reward', :now, 'reward' "
            "FROM coupon.coupons t, unnest(CAST(:codes AS text[]), CAST(:users AS text[]), CAST(:keys AS text[])) "
            f"AS v(code, user_id, key) WHERE t.id = :template_id AND {_USABLE.replace('expires_at', 't.expires_at')} "
            "ORDER BY v.key ON CONFLICT DO NOTHING RETURNING assigned_user_id, code, id"
        ),
        {"codes": [r[0] for r in rows], "users": [r[1] for r in rows], "keys": [r[2] for r in rows],
         "template_id": template_id, "now": now},
    ).all()


def personal_codes_by_key(conn: Connection, keys: list[str]) -> list[sa.Row]:
    return conn.execute(
        sa.text("SELECT code, id, template_id, assigned_user_id, issue_key FROM coupon.coupons WHERE issue_key = ANY(CAST(:k AS text[]))"),
        {"k": keys},
    ).all()


def personal_code_by_key(conn: Connection, key: str) -> sa.Row | None:
    return conn.execute(
        sa.text("SELECT code, template_id, assigned_user_id FROM coupon.coupons WHERE issue_key = :k"), {"k": key}
    ).one_or_none()
