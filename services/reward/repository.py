"""SQL of the Reward service's reads and admin writes. Wallet changes go through wallet.post and
budget checks through budgets.consume; this module never changes a balance."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common import outbox

JSON = sa.JSON

# ---- ledger and wallets ---------------------------------------------------------------------------

_ENTRY_COLUMNS = "id, user_id, token_type, delta, balance_after, reason, label, meta, idempotency_key, created_at"


def list_entries(
    conn: Connection,
    *,
    user_id: str | None,
    token_type: str | None,
    reason: str | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[sa.Row]:
    """Newest first; each filter applies when set. Served by ix_ledger_user_id for one user."""
    return list(
        conn.execute(
            sa.text(
                f"SELECT {_ENTRY_COLUMNS} FROM reward.ledger "
                "WHERE (CAST(:u AS text) IS NULL OR user_id = :u) AND (CAST(:t AS text) IS NULL OR token_type = :t) "
                "AND (CAST(:r AS text) IS NULL OR reason = :r) "
                "AND (CAST(:since AS timestamptz) IS NULL OR created_at >= :since) "
                "AND (CAST(:until AS timestamptz) IS NULL OR created_at < :until) "
                "AND (CAST(:b AS bigint) IS NULL OR id < :b) ORDER BY id DESC LIMIT :n"
            ),
            {"u": user_id, "t": token_type, "r": reason, "since": since, "until": until, "b": before_id, "n": limit},
        )
    )


def list_wallets(
    conn: Connection, *, user_id: str | None, token_type: str | None, min_balance: int, after: tuple[str, str] | None, limit: int
) -> list[sa.Row]:
    au, at = after if after else (None, None)
    return list(
        conn.execute(
            sa.text(
                "SELECT user_id, token_type, balance, updated_at FROM reward.wallets "
                "WHERE (CAST(:u AS text) IS NULL OR user_id = :u) AND (CAST(:t AS text) IS NULL OR token_type = :t) "
                "AND balance >= :m AND (CAST(:au AS text) IS NULL OR (user_id, token_type) > (:au, :at)) "
                "ORDER BY user_id, token_type LIMIT :n"
            ),
            {"u": user_id, "t": token_type, "m": min_balance, "au": au, "at": at, "n": limit},
        )
    )


# ---- budgets --------------------------------------------------------------------------------------

_BUDGET_COLUMNS = (
    "b.id, b.owner_kind, b.owner_id, b.unit, b.token_type, b.total_limit, b.daily_limit, b.spent_total, "
    "coalesce((SELECT spent FROM reward.budget_days d WHERE d.budget_id = b.id AND d.day = :today), 0) AS spent_today, "
    "b.created_at, b.created_by, b.updated_at, b.updated_by"
)


def insert_budget(conn: Connection, fields: dict, by: str, now: datetime, today: date) -> sa.Row:
    return conn.execute(
        sa.text(
            "WITH b AS (INSERT INTO reward.budgets (owner_kind, owner_id, unit, token_type, total_limit, daily_limit, "
            "created_at, created_by, updated_at, updated_by) VALUES (:owner_kind, :owner_id, :unit, :token_type, "
            f":total_limit, :daily_limit, :now, :by, :now, :by) RETURNING *) SELECT {_BUDGET_COLUMNS} FROM b"
        ),
        {**fields, "by": by, "now": now, "today": today},
    ).one()


def update_budget(conn: Connection, budget_id: int, total_limit, daily_limit, by: str, now: datetime, today: date) -> sa.Row | None:
    return conn.execute(
        sa.text(
            "WITH b AS (UPDATE reward.budgets SET total_limit = :tl, daily_limit = :dl, updated_at = :now, updated_by = :by "
            f"WHERE id = :id RETURNING *) SELECT {_BUDGET_COLUMNS} FROM b"
        ),
        {"id": budget_id, "tl": total_limit, "dl": daily_limit, "by": by, "now": now, "today": today},
    ).one_or_none()


def delete_budget(conn: Connection, budget_id: int) -> bool:
    return conn.execute(sa.text("DELETE FROM reward.budgets WHERE id = :id"), {"id": budget_id}).rowcount == 1


def list_budgets(conn: Connection, owner_kind: str | None, owner_id: str | None, after: int | None, limit: int, today: date) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.text(
                f"SELECT {_BUDGET_COLUMNS} FROM reward.budgets b "
                "WHERE (CAST(:k AS text) IS NULL OR owner_kind = :k) AND (CAST(:o AS text) IS NULL OR owner_id = :o) "
                "AND (CAST(:a AS bigint) IS NULL OR id > :a) ORDER BY id LIMIT :n"
            ),
            {"k": owner_kind, "o": owner_id, "a": after, "n": limit, "today": today},
        )
    )


# ---- pools ----------------------------------------------------------------------------------------

_POOL_COLUMNS = (
    "id, name, description, segment, cost_token_type, cost_amount, active, pity_threshold, pity_item_id, "
    "created_at, created_by, updated_at, updated_by"
)
_ITEM_COLUMNS = "id, pool_id, reward_type, reward_value, weight, quantity, initial_quantity, meta, active"


def insert_pool(conn: Connection, fields: dict, by: str, now: datetime) -> sa.Row:
    return conn.execute(
        sa.text(
            "INSERT INTO reward.pools (name, description, segment, cost_token_type, cost_amount, active, pity_threshold, "
            "created_at, created_by, updated_at, updated_by) VALUES (:name, :description, :segment, :cost_token_type, "
            f":cost_amount, :active, :pity_threshold, :now, :by, :now, :by) RETURNING {_POOL_COLUMNS}"
        ),
        {**fields, "by": by, "now": now},
    ).one()


def insert_item(conn: Connection, pool_id: int, item: dict, now: datetime) -> sa.Row:
    return conn.execute(
        sa.text(
            "INSERT INTO reward.pool_items (pool_id, reward_type, reward_value, weight, quantity, initial_quantity, meta, created_at) "
            f"VALUES (:pool_id, :reward_type, :reward_value, :weight, :quantity, :quantity, :meta, :now) RETURNING {_ITEM_COLUMNS}"
        ).bindparams(sa.bindparam("reward_value", type_=JSON), sa.bindparam("meta", type_=JSON)),
        {**item, "pool_id": pool_id, "now": now},
    ).one()


def set_pity_item(conn: Connection, pool_id: int, item_id: int | None) -> None:
    conn.execute(sa.text("UPDATE reward.pools SET pity_item_id = :i WHERE id = :p"), {"p": pool_id, "i": item_id})


def pool(conn: Connection, pool_id: int, *, lock: bool = False) -> sa.Row | None:
    return conn.execute(
        sa.text(
            f"SELECT {_POOL_COLUMNS} FROM reward.pools WHERE id = :p AND deleted_at IS NULL" + (" FOR UPDATE" if lock else "")
        ),
        {"p": pool_id},
    ).one_or_none()


def items_of(conn: Connection, pool_ids: list[int], *, active_only: bool = False) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.text(
                f"SELECT {_ITEM_COLUMNS} FROM reward.pool_items WHERE pool_id = ANY(:p)"
                + (" AND active" if active_only else "")
                + " ORDER BY pool_id, id"
            ),
            {"p": pool_ids},
        )
    )


def pool_to_open(conn: Connection, pool_id: int) -> sa.Row | None:
    """What an open needs, in one round trip: the pool, whether it has a budget, and its active
    items (as JSON objects with id, reward_type, reward_value, weight, quantity, meta)."""
    return conn.execute(
        sa.text(
            """
SELECT p.id, p.active, p.segment, p.cost_token_type, p.cost_amount, p.pity_threshold, p.pity_item_id,
       reward.has_budget('POOL', p.id::text) AS budgeted,
       (SELECT coalesce(json_agg(json_build_object('id', i.id, 'reward_type', i.reward_type, 'reward_value', i.reward_value,
                                                   'weight', i.weight, 'quantity', i.quantity, 'meta', i.meta) ORDER BY i.id), '[]')
        FROM reward.pool_items i WHERE i.pool_id = p.id AND i.active) AS items
FROM reward.pools p WHERE p.id = :p AND p.deleted_at IS NULL
"""
        ),
        {"p": pool_id},
    ).one_or_none()


def list_pools(conn: Connection, after: int | None, limit: int) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.text(
                f"SELECT {_POOL_COLUMNS} FROM reward.pools WHERE deleted_at IS NULL "
                "AND (CAST(:a AS bigint) IS NULL OR id > :a) ORDER BY id LIMIT :n"
            ),
            {"a": after, "n": limit},
        )
    )


def update_pool(conn: Connection, pool_id: int, fields: dict, by: str, now: datetime) -> sa.Row | None:
    return conn.execute(
        sa.text(
            "UPDATE reward.pools SET name = :name, description = :description, segment = :segment, "
            "cost_token_type = :cost_token_type, cost_amount = :cost_amount, active = :active, "
            "pity_threshold = :pity_threshold, pity_item_id = :pity_item_id, updated_at = :now, updated_by = :by "
            f"WHERE id = :id AND deleted_at IS NULL RETURNING {_POOL_COLUMNS}"
        ),
        {**fields, "id": pool_id, "by": by, "now": now},
    ).one_or_none()


def delete_pool(conn: Connection, pool_id: int, by: str, now: datetime) -> bool:
    return (
        conn.execute(
            sa.text(
                "UPDATE reward.pools SET deleted_at = :now, active = false, updated_at = :now, updated_by = :by "
                "WHERE id = :id AND deleted_at IS NULL"
            ),
            {"id": pool_id, "by": by, "now": now},
        ).rowcount
        == 1
    )


def update_item(conn: Connection, pool_id: int, item_id: int, weight: int, quantity: int | None, active: bool) -> sa.Row | None:
    """A restock sets the stock left; `initial_quantity` grows by what was added, so it stays the
    number ever stocked."""
    return conn.execute(
        sa.text(
            "UPDATE reward.pool_items SET weight = :w, active = :a, quantity = :q, "
            "initial_quantity = CASE WHEN CAST(:q AS bigint) IS NULL THEN NULL "
            "ELSE coalesce(initial_quantity, 0) + greatest(:q - coalesce(quantity, 0), 0) END "
            f"WHERE id = :i AND pool_id = :p RETURNING {_ITEM_COLUMNS}"
        ),
        {"p": pool_id, "i": item_id, "w": weight, "q": quantity, "a": active},
    ).one_or_none()


# ---- draws ----------------------------------------------------------------------------------------

_DRAW_COLUMNS = "id, pool_id, user_id, request_id, item_id, item, odds, pity, cost_entry_id, reward_entry_id, coupon_code, drawn_at"


def draw_by_request(conn: Connection, user_id: str, request_id: str) -> sa.Row | None:
    return conn.execute(
        sa.text(f"SELECT {_DRAW_COLUMNS} FROM reward.draws WHERE user_id = :u AND request_id = :r"),
        {"u": user_id, "r": request_id},
    ).one_or_none()


def claim_stock(conn: Connection, item_id: int) -> bool:
    """Takes one unit of a limited item; False when another open took the last one first."""
    return (
        conn.execute(
            sa.text("UPDATE reward.pool_items SET quantity = quantity - 1 WHERE id = :i AND quantity > 0"), {"i": item_id}
        ).rowcount
        == 1
    )


def lock_pity_misses(conn: Connection, user_id: str, pool_id: int) -> int:
    """The user's misses in a row, with their counter row locked until commit (created at 0)."""
    return conn.execute(
        sa.text(
            "INSERT INTO reward.pity_counters AS c (user_id, pool_id, misses) VALUES (:u, :p, 0) "
            "ON CONFLICT (user_id, pool_id) DO UPDATE SET misses = c.misses RETURNING misses"
        ),
        {"u": user_id, "p": pool_id},
    ).scalar_one()


def pity_misses(conn: Connection, user_id: str, pool_id: int) -> int:
    return conn.execute(
        sa.text("SELECT misses FROM reward.pity_counters WHERE user_id = :u AND pool_id = :p"), {"u": user_id, "p": pool_id}
    ).scalar() or 0


def set_pity_misses(conn: Connection, user_id: str, pool_id: int, hit: bool) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO reward.pity_counters AS c (user_id, pool_id, misses) VALUES (:u, :p, CASE WHEN :hit THEN 0 ELSE 1 END) "
            "ON CONFLICT (user_id, pool_id) DO UPDATE SET misses = CASE WHEN :hit THEN 0 ELSE c.misses + 1 END"
        ),
        {"u": user_id, "p": pool_id, "hit": hit},
    )


def insert_draw(conn: Connection, draw: dict) -> sa.Row:
    """Opens with one request id are serialized (pools._lock_request), so the key is free here."""
    return conn.execute(
        sa.text(
            "INSERT INTO reward.draws (pool_id, user_id, request_id, item_id, item, odds, pity, cost_entry_id, "
            "reward_entry_id, coupon_code, drawn_at) VALUES (:pool_id, :user_id, :request_id, :item_id, :item, :odds, "
            f":pity, :cost_entry_id, :reward_entry_id, :coupon_code, :drawn_at) RETURNING {_DRAW_COLUMNS}"
        ).bindparams(sa.bindparam("item", type_=JSON), sa.bindparam("odds", type_=JSON)),
        draw,
    ).one()


def queue_points(conn: Connection, draw_id: int) -> None:
    conn.execute(sa.text("INSERT INTO reward.outbox (draw_id) VALUES (:d)"), {"d": draw_id})


def list_draws(conn: Connection, *, user_id: str | None, pool_id: int | None, before_id: int | None, limit: int) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.text(
                f"SELECT {_DRAW_COLUMNS} FROM reward.draws WHERE (CAST(:u AS text) IS NULL OR user_id = :u) "
                "AND (CAST(:p AS bigint) IS NULL OR pool_id = :p) AND (CAST(:b AS bigint) IS NULL OR id < :b) "
                "ORDER BY id DESC LIMIT :n"
            ),
            {"u": user_id, "p": pool_id, "b": before_id, "n": limit},
        )
    )


TOPIC_POINTS_AWARDED = "reward.points_awarded"
CLAIM_OUTBOX = sa.text(
    """
WITH claimed AS (
  DELETE FROM reward.outbox WHERE id IN (SELECT id FROM reward.outbox ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED)
  RETURNING id, draw_id
)
SELECT c.id, 'draw:' || c.draw_id AS key, jsonb_build_object(
    'draw_id', d.id, 'user_id', d.user_id, 'pool_id', d.pool_id, 'points', (d.item -> 'reward_value' ->> 'points')::bigint,
    'source', 'reward_pool', 'awarded_at', d.drawn_at) AS payload
FROM claimed c LEFT JOIN reward.draws d ON d.id = c.draw_id
ORDER BY c.id
"""
)

outbox.register(outbox.Outbox(name="reward.outbox", topic=TOPIC_POINTS_AWARDED, claim=CLAIM_OUTBOX))


# ---- learning selection ---------------------------------------------------------------------------

_SELECTION_COLUMNS = "id, user_id, request_id, bucket, arm, candidates, propensity, explored, selected_at, converted, outcome_at"


def posteriors(conn: Connection, bucket: str, arms: list[str]) -> dict[str, tuple[int, int]]:
    rows = conn.execute(
        sa.text("SELECT arm, successes, failures FROM reward.bandit_arms WHERE bucket = :b AND arm = ANY(:a)"),
        {"b": bucket, "a": arms},
    )
    return {r.arm: (r.successes, r.failures) for r in rows}


def selection_by_request(conn: Connection, user_id: str, request_id: str) -> sa.Row | None:
    return conn.execute(
        sa.text(f"SELECT {_SELECTION_COLUMNS} FROM reward.bandit_selections WHERE user_id = :u AND request_id = :r"),
        {"u": user_id, "r": request_id},
    ).one_or_none()


def insert_selection(conn: Connection, s: dict) -> sa.Row | None:
    return conn.execute(
        sa.text(
            "INSERT INTO reward.bandit_selections (id, user_id, request_id, bucket, arm, candidates, propensity, explored, "
            "selected_at) VALUES (:id, :user_id, :request_id, :bucket, :arm, :candidates, :propensity, :explored, :selected_at) "
            f"ON CONFLICT (user_id, request_id) DO NOTHING RETURNING {_SELECTION_COLUMNS}"
        ),
        s,
    ).one_or_none()


def selections_by_request(conn: Connection, pairs: list[tuple[str, str]]) -> list[sa.Row]:
    """The selections already made under these (user_id, request_id) pairs."""
    return conn.execute(
        sa.text(
            f"SELECT {', '.join('s.' + c.strip() for c in _SELECTION_COLUMNS.split(','))} FROM reward.bandit_selections s "
            "JOIN unnest(CAST(:u AS text[]), CAST(:r AS text[])) AS p(user_id, request_id) "
            "ON s.user_id = p.user_id AND s.request_id = p.request_id"
        ),
        {"u": [p[0] for p in pairs], "r": [p[1] for p in pairs]},
    ).all()


def insert_selections(conn: Connection, rows: list[dict]) -> list[sa.Row]:
    """`insert_selection` for many; returns the rows written (a taken (user, request id) writes nothing)."""
    cols = ("id", "user_id", "request_id", "bucket", "arm", "propensity", "explored", "selected_at")
    return conn.execute(
        sa.text(
            "INSERT INTO reward.bandit_selections (id, user_id, request_id, bucket, arm, candidates, propensity, explored, "
            "selected_at) SELECT v.id, v.user_id, v.request_id, v.bucket, v.arm, CAST(:candidates AS text[]), v.propensity, "
            "v.explored, v.selected_at FROM unnest(CAST(:id AS uuid[]), CAST(:user_id AS text[]), CAST(:request_id AS text[]), "
            "CAST(:bucket AS text[]), CAST(:arm AS text[]), CAST(:propensity AS float8[]), CAST(:explored AS boolean[]), "
            "CAST(:selected_at AS timestamptz[])) AS v(id, user_id, request_id, bucket, arm, propensity, explored, selected_at) "
            f"ORDER BY v.user_id ON CONFLICT (user_id, request_id) DO NOTHING RETURNING {_SELECTION_COLUMNS}"
        ),
        {**{c: [r[c] for r in rows] for c in cols}, "candidates": rows[0]["candidates"] if rows else []},
    ).all()


def record_outcome(conn: Connection, selection_id, converted: bool, now: datetime) -> sa.Row | None:
    """Sets the outcome only if none was recorded; the arm's counts change in the same statement,
    so the posterior moves exactly once per selection."""
    return conn.execute(
        sa.text(
            f"""
WITH s AS (
  UPDATE reward.bandit_selections SET converted = :c, outcome_at = :now
  WHERE id = :id AND converted IS NULL RETURNING {_SELECTION_COLUMNS}
), arm AS (
  INSERT INTO reward.bandit_arms AS a (bucket, arm, successes, failures)
  SELECT bucket, arm, CASE WHEN :c THEN 1 ELSE 0 END, CASE WHEN :c THEN 0 ELSE 1 END FROM s
  ON CONFLICT (bucket, arm) DO UPDATE SET successes = a.successes + EXCLUDED.successes, failures = a.failures + EXCLUDED.failures
  RETURNING successes, failures
)
SELECT s.*, arm.successes, arm.failures FROM s, arm
"""
        ),
        {"id": selection_id, "c": converted, "now": now},
    ).one_or_none()


def selection(conn: Connection, selection_id) -> sa.Row | None:
    return conn.execute(
        sa.text(f"SELECT {_SELECTION_COLUMNS} FROM reward.bandit_selections WHERE id = :id"), {"id": selection_id}
    ).one_or_none()


def arms(conn: Connection, bucket: str) -> list[sa.Row]:
    return list(
        conn.execute(sa.text("SELECT bucket, arm, successes, failures FROM reward.bandit_arms WHERE bucket = :b ORDER BY arm"), {"b": bucket})
    )


def recent_selections(conn: Connection, bucket: str, since: datetime) -> dict[str, int]:
    rows = conn.execute(
        sa.text("SELECT arm, count(*) AS n FROM reward.bandit_selections WHERE bucket = :b AND selected_at >= :s GROUP BY arm"),
        {"b": bucket, "s": since},
    )
    return {r.arm: r.n for r in rows}
