"""Tiers: the admin's table of levels, and each member's standing (tier held, pending downgrade,
history). Decisions come from domain.decide; this module reads and writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.loyalty import domain

_TIER_COLUMNS = "code, display_name, min_spend, benefits, created_at, created_by, updated_at, updated_by"
_MEMBER_COLUMNS = "user_id, tier_code, lifetime_spend, tier_since, downgrade_at, updated_at"


def rows(conn: Connection) -> list[sa.Row]:
    """Every tier, lowest first (a handful: read whole in each transaction that needs them)."""
    return list(conn.execute(sa.text(f"SELECT {_TIER_COLUMNS} FROM loyalty.tiers ORDER BY min_spend")))


def as_domain(tier_rows: list[sa.Row]) -> list[domain.Tier]:
    return [domain.Tier(r.code, r.min_spend, domain.multiplier(r.benefits)) for r in tier_rows]


def lock_member(conn: Connection, user_id: str, now: datetime) -> sa.Row:
    """The member's row, locked (created in the base tier on first sight)."""
    conn.execute(
        sa.text(
            "INSERT INTO loyalty.members (user_id, tier_code, lifetime_spend, tier_since, updated_at) "
            "SELECT :u, code, 0, :now, :now FROM loyalty.tiers WHERE min_spend = 0 ON CONFLICT DO NOTHING"
        ),
        {"u": user_id, "now": now},
    )
    return conn.execute(sa.text(f"SELECT {_MEMBER_COLUMNS} FROM loyalty.members WHERE user_id = :u FOR UPDATE"), {"u": user_id}).one()


def member(conn: Connection, user_id: str) -> sa.Row | None:
    return conn.execute(sa.text(f"SELECT {_MEMBER_COLUMNS} FROM loyalty.members WHERE user_id = :u"), {"u": user_id}).one_or_none()


def window_spend(conn: Connection, m: sa.Row | None, rules: domain.Rules, now: datetime) -> int:
    """The spend that counts: lifetime, or the days of the rolling window."""
    if m is None:
        return 0
    start = domain.window_start(rules.day(now), rules.window)
    if start is None:
        return m.lifetime_spend
    return conn.execute(
        sa.text("SELECT CAST(coalesce(sum(amount), 0) AS bigint) FROM loyalty.spend_days WHERE user_id = :u AND day >= :d"),
        {"u": m.user_id, "d": start},
    ).scalar_one()


def held(code: str | None, spend: int, tiers: list[domain.Tier]) -> domain.Tier:
    """The tier a member holds; a tier deleted meanwhile (or none yet) counts as the one the spend reaches."""
    by_code = {t.code: t for t in tiers}
    return by_code.get(code or "") or domain.tier_for(spend, tiers)


@dataclass(frozen=True)
class Standing:
    tier: domain.Tier
    spend: int
    decision: domain.TierDecision


def evaluate(conn: Connection, m: sa.Row, tiers: list[domain.Tier], rules: domain.Rules, now: datetime, cause: str) -> Standing:
    """Applies the tier decision for a locked member row and records it in the history."""
    spend = window_spend(conn, m, rules, now)
    current = held(m.tier_code, spend, tiers)
    d = domain.decide(current, m.downgrade_at, spend, tiers, now, rules.grace_days)
    if d.kind is not None or d.tier.code != m.tier_code:
        apply(conn, [(m.user_id, m.tier_code, d, spend)], now, cause)
    return Standing(d.tier, spend, d)


_APPLY = sa.text(
    """
WITH input AS (
  SELECT * FROM unnest(CAST(:users AS text[]), CAST(:tiers AS text[]), CAST(:downgrade_at AS timestamptz[]),
                       CAST(:kinds AS text[]), CAST(:from_tiers AS text[]), CAST(:to_tiers AS text[]), CAST(:spends AS bigint[]))
    AS t(user_id, tier_code, downgrade_at, kind, from_tier, to_tier, spend)
), updated AS (
  UPDATE loyalty.members m SET tier_code = i.tier_code, downgrade_at = i.downgrade_at, updated_at = :now,
         tier_since = CASE WHEN m.tier_code IS DISTINCT FROM i.tier_code THEN :now ELSE m.tier_since END
  FROM input i WHERE m.user_id = i.user_id
)
INSERT INTO loyalty.tier_changes (user_id, kind, from_tier, to_tier, total_amount, cause, changed_at)
SELECT user_id, kind, from_tier, to_tier, spend, :cause, :now FROM input WHERE kind IS NOT NULL ORDER BY user_id
"""
)


def apply(conn: Connection, decisions: list[tuple[str, str, domain.TierDecision, int]], now: datetime, cause: str) -> None:
    """Writes decisions [(user_id, tier held before, decision, spend)] for many members in one statement."""
    if not decisions:
        return
    conn.execute(
        _APPLY,
        {
            "users": [u for u, _, _, _ in decisions],
            "tiers": [d.tier.code for _, _, d, _ in decisions],
            "downgrade_at": [d.downgrade_at for _, _, d, _ in decisions],
            "kinds": [d.kind for _, _, d, _ in decisions],
            "from_tiers": [before for _, before, _, _ in decisions],
            "to_tiers": [d.target.code if d.kind == "DOWNGRADE_SCHEDULED" else d.tier.code for _, _, d, _ in decisions],
            "spends": [s for _, _, _, s in decisions],
            "now": now,
            "cause": cause,
        },
    )


# One keyset batch of the members whose standing can change today, chosen in SQL so the daily job
# never loads the members it would leave alone: the tier their window spend reaches (`target`, a
# lateral lookup in the tier table) is above the held one (upgrade), below it with no downgrade
# waiting or one whose grace is over (schedule or apply), or equal while one waits (cancel).
_BATCH = sa.text(
    f"""
SELECT {", ".join("m." + c for c in _MEMBER_COLUMNS.split(", "))}, s.spend
FROM loyalty.members m
JOIN loyalty.tiers held ON held.code = m.tier_code
CROSS JOIN LATERAL (
  SELECT CASE WHEN CAST(:since AS date) IS NULL THEN m.lifetime_spend
              ELSE CAST(coalesce((SELECT sum(d.amount) FROM loyalty.spend_days d
                                  WHERE d.user_id = m.user_id AND d.day >= :since), 0) AS bigint)
         END AS spend
) s
CROSS JOIN LATERAL (
  SELECT t.min_spend FROM loyalty.tiers t WHERE t.min_spend <= greatest(s.spend, 0) ORDER BY t.min_spend DESC LIMIT 1
) target
WHERE m.user_id > :after
  AND (CAST(:scope AS text[]) IS NULL OR m.user_id = ANY(:scope))
  AND (target.min_spend > held.min_spend
       OR (target.min_spend < held.min_spend AND (m.downgrade_at IS NULL OR m.downgrade_at <= :now))
       OR (target.min_spend = held.min_spend AND m.downgrade_at IS NOT NULL))
ORDER BY m.user_id
LIMIT :n
FOR UPDATE OF m SKIP LOCKED
"""
)


def evaluate_batch(
    conn: Connection,
    after: str,
    batch: int,
    tiers: list[domain.Tier],
    rules: domain.Rules,
    now: datetime,
    scope: list[str] | None = None,
) -> tuple[str | None, int]:
    """The daily evaluation of one keyset batch of the members who can change (see `_BATCH`), decided
    in Python by the same rule as events use, and written in one statement. Members whose row an
    event holds are skipped: that event evaluates them. `scope` limits it to those members.
    Returns (last user id or None at the end, changes)."""
    since = domain.window_start(rules.day(now), rules.window)
    found = list(conn.execute(_BATCH, {"after": after, "n": batch, "since": since, "now": now, "scope": scope}))
    changes = []
    for m in found:
        d = domain.decide(held(m.tier_code, m.spend, tiers), m.downgrade_at, m.spend, tiers, now, rules.grace_days)
        if d.kind is not None or d.tier.code != m.tier_code:
            changes.append((m.user_id, m.tier_code, d, m.spend))
    apply(conn, changes, now, "schedule")
    return (found[-1].user_id if len(found) == batch else None), len(changes)


def list_changes(conn: Connection, user_id: str, before_id: int | None, limit: int) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.text(
                "SELECT id, user_id, kind, from_tier, to_tier, total_amount, cause, changed_at FROM loyalty.tier_changes "
                "WHERE user_id = :u AND (CAST(:b AS bigint) IS NULL OR id < :b) ORDER BY id DESC LIMIT :n"
            ),
            {"u": user_id, "b": before_id, "n": limit},
        )
    )


# ---- admin table ----------------------------------------------------------------------------------

def insert(conn: Connection, code: str, name: str, min_spend: int, benefits: dict, by: str, now: datetime) -> sa.Row:
    return conn.execute(
        sa.text(
            "INSERT INTO loyalty.tiers (code, display_name, min_spend, benefits, created_at, created_by, updated_at, updated_by) "
            f"VALUES (:c, :n, :m, :b, :now, :by, :now, :by) RETURNING {_TIER_COLUMNS}"
        ).bindparams(sa.bindparam("b", type_=sa.JSON)),
        {"c": code, "n": name, "m": min_spend, "b": benefits, "by": by, "now": now},
    ).one()


def lock(conn: Connection, code: str) -> sa.Row | None:
    return conn.execute(sa.text(f"SELECT {_TIER_COLUMNS} FROM loyalty.tiers WHERE code = :c FOR UPDATE"), {"c": code}).one_or_none()


def update(conn: Connection, code: str, name: str, min_spend: int, benefits: dict, by: str, now: datetime) -> sa.Row:
    return conn.execute(
        sa.text(
            "UPDATE loyalty.tiers SET display_name = :n, min_spend = :m, benefits = :b, updated_at = :now, updated_by = :by "
            f"WHERE code = :c RETURNING {_TIER_COLUMNS}"
        ).bindparams(sa.bindparam("b", type_=sa.JSON)),
        {"c": code, "n": name, "m": min_spend, "b": benefits, "by": by, "now": now},
    ).one()


def in_use(conn: Connection, code: str) -> bool:
    return conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM loyalty.members WHERE tier_code = :c)"), {"c": code}).scalar_one()


def delete(conn: Connection, code: str) -> None:
    conn.execute(sa.text("DELETE FROM loyalty.tiers WHERE code = :c"), {"c": code})
