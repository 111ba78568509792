"""Service layer of the Loyalty service, called by the servicer and the actors. Each function owns
its transaction (retried on deadlock or serialization failure), except `points.grant_points`, which
other services call inside theirs."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from services.common import db, pagination
from services.common.config import settings
from services.common.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from services.loyalty import domain, leaderboards, points, referrals, repository, tiers

log = logging.getLogger("engage.loyalty")
ORDER_EVENTS = ("PURCHASE", "PURCHASE_REFUND")


def current_rules() -> domain.Rules:
    return domain.Rules.from_settings(settings())


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


# ---- events ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Applied:
    duplicate: bool
    earned: int = 0  # points granted for a purchase (held or spendable)
    taken_back: int = 0  # points taken back or cancelled for a refund
    shortfall: int = 0  # spent points a refund could not take back: the member's debt
    expired: int = 0  # a refund's share of the order's points that had expired: not taken again
    tier: str = ""


def record_order_event(event: dict, *, rules: domain.Rules | None = None, now: datetime | None = None) -> Applied:
    """Applies one PURCHASE or PURCHASE_REFUND activity event exactly once: the order's totals, the
    member's spend and tier, the purchase's points (earned at the tier held when it is applied,
    before its own spend counts) and a refund's share of them taken back."""
    r = rules or current_rules()
    fixed = now
    occurred_at = event["occurred_at"]
    if isinstance(occurred_at, str):
        occurred_at = datetime.fromisoformat(occurred_at)
    e = {
        "event_id": str(event["event_id"]),
        "user_id": event["user_id"],
        "order_id": event["order_id"],
        "event_type": event["event_type"],
        "amount": int(event["amount"] or 0),
        "occurred_at": occurred_at,
    }
    user, order_id, cause = e["user_id"], e["order_id"], e["event_id"]
    late: dict = {}  # the leaderboard periods the committed attempt found closed: reported after commit

    def apply(conn) -> Applied:
        late.clear()
        member = tiers.lock_member(conn, user, fixed or datetime.now(UTC))
        now = fixed or datetime.now(UTC)  # read after the lock: a retry never reuses a clock older than a sweep's
        if not repository.claim_event(conn, e, now):
            return Applied(duplicate=True, tier=member.tier_code)
        table = tiers.as_domain(tiers.rows(conn))
        before = tiers.evaluate(conn, member, table, r, now, cause)  # a downgrade due by now applies first
        order = repository.add_to_order(conn, user, order_id, e["event_type"], e["amount"], r.day(occurred_at), now)
        state = repository.order_state(order)
        counted = domain.counted_spend(state)
        if counted != state.counted_spend:
            repository.count_spend(conn, user, order_id, counted, counted - state.counted_spend, order.purchased_on or r.day(occurred_at))
        points.lock_account(conn, user, now)
        points.settle(conn, [user], now)
        earned = 0
        if e["event_type"] == "PURCHASE":
            earned = domain.purchase_points(e["amount"], r.rate_bp, before.tier.multiplier)
            if earned:
                points.grant_points(
                    conn,
                    user_id=user,
                    points=earned,
                    reason="PURCHASE",
                    source="purchase",
                    idempotency_key=f"purchase:{cause}",
                    available_at=now + timedelta(days=r.hold_days),
                    expiry_days=r.expiry_days,
                    order_id=order_id,
                    label=order_id,
                    meta={"event_id": cause, "amount": e["amount"], "tier": before.tier.code, "multiplier": str(before.tier.multiplier)},
                    now=now,
                )
                repository.add_order_points(conn, user, order_id, earned=earned)
        due = domain.reversal_due(domain.OrderState(state.purchased, state.refunded, counted, state.points_earned + earned, state.points_settled))
        back = None
        if due:
            back = points.take_back(
                conn, user_id=user, order_id=order_id, points=due, charged_before=order.points_charged + order.points_shortfall,
                key=f"refund:{cause}", meta={"event_id": cause}, now=now,
            )
            repository.add_order_points(
                conn, user, order_id, settled=due, shortfall=back.shortfall, charged=back.charged, expired=back.expired
            )
            if back.shortfall:
                log.info("refund shortfall", extra={"fields": {"user_id": user, "order_id": order_id, "shortfall": back.shortfall}})
        # Leaderboards count what the order adds to spend, in the periods of its purchase day;
        # referrals react to the member's first purchase and to a refund of it.
        day, delta = order.purchased_on or r.day(occurred_at), counted - state.counted_spend
        late.update(day=day, delta=delta, periods=leaderboards.count(conn, user, day, delta, occurred_at))
        referrals.on_order_event(conn, e, order, now)
        after = tiers.evaluate(conn, tiers.lock_member(conn, user, now), table, r, now, cause)
        return Applied(
            duplicate=False,
            earned=earned,
            taken_back=(back.taken + back.cancelled) if back else 0,
            shortfall=back.shortfall if back else 0,
            expired=back.expired if back else 0,
            tier=after.tier.code,
        )

    applied = db.retrying(apply)
    if late.get("periods"):
        leaderboards.report_late(user, late["day"], late["delta"], late["periods"])
    return applied


def record_pool_points(payload: dict, *, rules: domain.Rules | None = None, now: datetime | None = None) -> points.Grant | None:
    """Posts points won from a Reward pool, once per draw."""
    if not payload.get("points") or not payload.get("user_id"):
        log.warning("reward.points_awarded without points or user: %s", payload)
        return None
    r = rules or current_rules()
    return db.retrying(
        lambda conn: points.grant_points(
            conn,
            user_id=payload["user_id"],
            points=int(payload["points"]),
            reason="REWARD_POOL",
            source="reward_pool",
            idempotency_key=f"draw:{payload['draw_id']}",
            expiry_days=r.expiry_days,
            label=f"pool {payload.get('pool_id')}",
            meta={"draw_id": payload["draw_id"], "pool_id": payload.get("pool_id")},
            now=now,  # read after the account lock when not fixed
        )
    )


# ---- points ---------------------------------------------------------------------------------------

def grant(
    user_id: str, amount: int, reason: str, request_id: str, by: str, expires_at: datetime | None,
    now: datetime | None = None,
) -> points.Grant:
    """An operator's or a backend's grant. Exactly once per (member, request id) when a request id
    (or the `Idempotency-Key` header, which the servicer passes as one) is given; without one each
    call is a new grant, so backends must send one."""
    if expires_at is not None and expires_at <= _now(now):
        raise InvalidArgument.fields([FieldViolation("expires_at", "must be in the future")])
    # Keyed per user: the same request id for two users is two grants, not a reuse.
    key = f"admin:{user_id}:{request_id or uuid.uuid4()}"
    return db.retrying(
        lambda conn: points.grant_points(
            conn, user_id=user_id, points=amount, reason="ADMIN_GRANT", source="admin", idempotency_key=key,
            expires_at=expires_at, expiry_days=current_rules().expiry_days, label=reason,
            meta={"by": by, "request_id": request_id or None}, now=now,
        )
    )


def _spend_key(user_id: str, request_id: str) -> str:
    return f"spend:{user_id}:{request_id}"


def _reversal_key(user_id: str, request_id: str) -> str:
    return f"spend-reversal:{user_id}:{request_id}"


@dataclass(frozen=True)
class Spent:
    entry: points.Entry
    replayed: bool
    reversal: points.Entry | None  # set when the spend this replays was reversed since


def spend(user_id: str, amount: int, request_id: str, reason: str, by: str, now: datetime | None = None) -> Spent:
    """Exactly once per (member, request id); INSUFFICIENT_POINTS changes nothing. A replay of a spend
    reversed since answers with its reversal, so the caller never takes it for still spent."""

    def run(conn) -> Spent:
        entry, replayed = points.spend(
            conn, user_id=user_id, points=amount, key=_spend_key(user_id, request_id), reason="SPEND", source="spend",
            label=reason, meta={"by": by, "request_id": request_id}, now=now,
        )
        reversal = points.entry_by_key(conn, _reversal_key(user_id, request_id)) if replayed else None
        return Spent(entry, replayed, reversal)

    return db.retrying(run)


def reverse_spend(user_id: str, request_id: str, now: datetime | None = None) -> points.Reversed:
    return db.retrying(
        lambda conn: points.reverse_spend(
            conn, user_id=user_id, spend_key=_spend_key(user_id, request_id), key=_reversal_key(user_id, request_id),
            now=now,
        )
    )


@dataclass(frozen=True)
class Balance:
    balance: int
    pending: int
    expiring_soon: int
    expiring_before: datetime
    next_release_at: datetime | None


def balance(user_id: str, now: datetime | None = None, rules: domain.Rules | None = None) -> Balance:
    now = _now(now)
    soon = now + timedelta(days=(rules or current_rules()).expiring_soon_days)
    with db.transaction() as conn:
        row = points.balance_view(conn, user_id, now, soon)
    return Balance(row.balance, row.pending, row.expiring_soon, soon, row.next_release_at)


def list_entries(user_id: str, size: int, token: str):
    scope = {"u": user_id}
    after = pagination.decode(token, scope, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = points.list_entries(conn, user_id, after[0] if after else None, limit + 1)
    return pagination.split(rows, limit, scope)


def list_lots(user_id: str, open_only: bool, size: int, token: str):
    scope = {"u": user_id, "open": open_only}
    after = pagination.decode(token, scope, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = points.list_lots(conn, user_id, open_only, after[0] if after else None, limit + 1)
    return pagination.split(rows, limit, scope)


def settle_due_points(
    now: datetime | None = None, batch: int = 500, budget_seconds: float = 60.0, *, users: list[str] | None = None
) -> int:
    """The sweep: releases held lots (paying debts from them) and expires lots past their date, in
    batches of members, each batch one transaction; `users` limits it to those members. A member
    whose settle fails is logged and left out of the rest of this run, so one broken member never
    stops the others. Returns how many members were settled."""
    now = _now(now)
    deadline = time.monotonic() + budget_seconds
    total, failed = 0, []
    while time.monotonic() < deadline:
        b = db.retrying(lambda conn: points.settle_due_batch(conn, now, batch, scope=users, skip=failed))
        total += b.settled
        failed.extend(b.failed)
        if not b.found or not (b.settled or b.failed):  # nothing due, or only members busy right now
            break
    return total


# ---- tiers ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TierView:
    user_id: str
    current: sa.Row
    spend: int
    next: sa.Row | None
    remaining: int
    pct: float
    window: str
    downgrade_at: datetime | None
    downgrade_to: str
    tier_since: datetime | None


def user_tier(user_id: str, now: datetime | None = None, rules: domain.Rules | None = None) -> TierView:
    """The member's standing as of `now`: a downgrade whose grace is over shows as done even before
    the daily evaluation writes it (the dashboard reuses this)."""
    now = _now(now)
    r = rules or current_rules()
    with db.transaction() as conn:
        table_rows = tiers.rows(conn)
        m = tiers.member(conn, user_id)
        spend = tiers.window_spend(conn, m, r, now)
    return tier_view(user_id, table_rows, m, spend, r, now)


def tier_view(user_id: str, table_rows: list[sa.Row], m: sa.Row | None, spend: int, r: domain.Rules, now: datetime) -> TierView:
    """The standing from what user_tier reads (the dashboard reads the same in its own transaction).
    A fall below the held tier that no evaluation has stored yet (a rolling window moved, a
    threshold changed) shows as pending: `downgrade_to` without `downgrade_at`, because its grace
    period starts only when the member's next event or the daily evaluation stores it; a date
    computed from the read's own clock would move at every read."""
    table = tiers.as_domain(table_rows)
    current = tiers.held(m.tier_code if m else None, spend, table)
    d = domain.decide(current, m.downgrade_at if m else None, spend, table, now, r.grace_days)
    pending = d.kind == "DOWNGRADE_SCHEDULED"
    progress = domain.progress(spend, d.tier, table)
    by_code = {row.code: row for row in table_rows}
    return TierView(
        user_id=user_id,
        current=by_code[d.tier.code],
        spend=spend,
        next=by_code[progress.next_tier.code] if progress.next_tier else None,
        remaining=progress.remaining,
        pct=progress.pct,
        window=r.window,
        downgrade_at=None if pending else d.downgrade_at,
        downgrade_to=d.target.code if d.downgrade_at else "",
        tier_since=m.tier_since if m and m.tier_code == d.tier.code else now,
    )


def evaluate_tiers(
    now: datetime | None = None, batch: int = 2000, rules: domain.Rules | None = None, *, users: list[str] | None = None
) -> int:
    """The daily evaluation (rolling windows move, grace periods end, thresholds change) of the
    members whose standing can change, chosen in SQL (`users` limits it to those members): keyset
    batches, one transaction each. Returns how many standings changed."""
    now = _now(now)
    r = rules or current_rules()
    after, changed = "", 0
    while True:
        def one(conn, after=after):
            return tiers.evaluate_batch(conn, after, batch, tiers.as_domain(tiers.rows(conn)), r, now, users)

        last, n = db.retrying(one)
        changed += n
        if last is None:
            return changed
        after = last


def list_tier_changes(user_id: str, size: int, token: str):
    scope = {"u": user_id}
    after = pagination.decode(token, scope, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = tiers.list_changes(conn, user_id, after[0] if after else None, limit + 1)
    return pagination.split(rows, limit, scope)


def list_tiers() -> list[sa.Row]:
    with db.transaction() as conn:
        return tiers.rows(conn)


def _check_benefits(benefits: dict) -> None:
    problems = domain.check_benefits(benefits)
    if problems:
        raise InvalidArgument.fields(problems)


def _taken(e: sa.exc.IntegrityError, code: str, min_spend: int) -> AlreadyExists:
    if getattr(getattr(e.orig, "diag", None), "constraint_name", "") == "uq_tiers_min_spend":
        return AlreadyExists("TIER_MIN_SPEND_TAKEN", f"another tier starts at {min_spend}", metadata={"min_spend": str(min_spend)})
    return AlreadyExists("TIER_EXISTS", f"a tier {code} exists", metadata={"code": code})


def create_tier(code: str, name: str, min_spend: int, benefits: dict, by: str) -> sa.Row:
    _check_benefits(benefits)
    try:
        with db.transaction() as conn:
            return tiers.insert(conn, code, name, min_spend, benefits, by, datetime.now(UTC))
    except sa.exc.IntegrityError as e:
        raise _taken(e, code, min_spend) from None


def _not_found(code: str) -> NotFound:
    return NotFound("TIER_NOT_FOUND", f"no tier {code}", metadata={"code": code})


def update_tier(code: str, name: str, min_spend: int, benefits: dict, by: str) -> sa.Row:
    """Members move to the new thresholds at their next event or the daily evaluation."""
    _check_benefits(benefits)
    try:
        with db.transaction() as conn:
            row = tiers.lock(conn, code)
            if row is None:
                raise _not_found(code)
            if row.min_spend == 0 and min_spend != 0:
                raise FailedPrecondition("BASE_TIER_REQUIRED", "the tier at 0 is where members start: keep its min_spend at 0")
            return tiers.update(conn, code, name, min_spend, benefits, by, datetime.now(UTC))
    except sa.exc.IntegrityError as e:
        raise _taken(e, code, min_spend) from None


def delete_tier(code: str) -> None:
    with db.transaction() as conn:
        row = tiers.lock(conn, code)
        if row is None:
            raise _not_found(code)
        if row.min_spend == 0:
            raise FailedPrecondition("BASE_TIER_REQUIRED", "the tier at 0 is where members start and cannot be deleted")
        if tiers.in_use(conn, code):
            raise _in_use(code)
        try:
            with conn.begin_nested():
                tiers.delete(conn, code)
        except sa.exc.IntegrityError as e:
            # A member was moved into the tier after the check (an upgrade racing the delete): the
            # foreign key from members refuses the delete.
            if getattr(getattr(e.orig, "diag", None), "constraint_name", "") == "fk_members_tier_code_tiers":
                raise _in_use(code) from None
            raise


def _in_use(code: str) -> FailedPrecondition:
    return FailedPrecondition("TIER_IN_USE", f"members hold {code}; it can be deleted once none does", metadata={"code": code})
