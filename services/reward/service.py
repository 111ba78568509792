"""Service layer of the Reward service's wallets and budgets (pools: pools.py; the learning
selector: selection.py). Each function owns its transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from services.common import db, pagination
from services.common.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound
from services.reward import budgets, repository, wallet


# ---- wallets --------------------------------------------------------------------------------------

def get_wallet(user_id: str) -> list[tuple[str, int, datetime | None]]:
    with db.transaction() as conn:
        return wallet.balances(conn, user_id)


def _admin_change(user_id: str, token_type: str, delta: int, reason: str, request_id: str, by: str) -> wallet.Entry:
    kind = "ADMIN_GRANT" if delta > 0 else "ADMIN_REVOKE"
    # Keyed per user: the same request id sent for two users is two changes, not a reuse.
    key = f"admin:{kind}:{user_id}:{request_id or uuid.uuid4()}"
    return db.retrying(
        lambda conn: wallet.post(
            conn,
            user_id=user_id,
            token_type=token_type,
            delta=delta,
            reason=kind,
            label=reason,
            meta={"by": by, "request_id": request_id or None},
            idempotency_key=key,
        )
    )


def grant(user_id: str, token_type: str, amount: int, reason: str, request_id: str, by: str) -> wallet.Entry:
    return _admin_change(user_id, token_type, amount, reason, request_id, by)


def revoke(user_id: str, token_type: str, amount: int, reason: str, request_id: str, by: str) -> wallet.Entry:
    """Refused with INSUFFICIENT_BALANCE, changing nothing, when the balance is short."""
    return _admin_change(user_id, token_type, -amount, reason, request_id, by)


def list_entries(
    *,
    user_id: str | None,
    token_type: str | None,
    size: int,
    token: str,
    reason: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
):
    scope = {"u": user_id, "t": token_type, "r": reason, "s": since, "e": until}
    after = pagination.decode(token, scope, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = repository.list_entries(
            conn,
            user_id=user_id,
            token_type=token_type,
            reason=reason,
            since=since,
            until=until,
            before_id=after[0] if after else None,
            limit=limit + 1,
        )
    return pagination.split(rows, limit, scope)


def list_wallets(*, user_id: str | None, token_type: str | None, min_balance: int, size: int, token: str):
    scope = {"u": user_id, "t": token_type, "m": min_balance}
    after = pagination.decode(token, scope, shape=(str, str))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = repository.list_wallets(
            conn, user_id=user_id, token_type=token_type, min_balance=min_balance, after=tuple(after) if after else None, limit=limit + 1
        )
    return pagination.split(rows, limit, scope, key=lambda w: [w.user_id, w.token_type])


# ---- budgets --------------------------------------------------------------------------------------

def _check_limits(unit: str, token_type: str | None, total_limit: int | None, daily_limit: int | None) -> None:
    problems = []
    if total_limit is None and daily_limit is None:
        problems.append(FieldViolation("total_limit", "set total_limit, daily_limit or both"))
    if unit == "TOKENS" and not token_type:
        problems.append(FieldViolation("token_type", "is required for a TOKENS budget"))
    if unit != "TOKENS" and token_type:
        problems.append(FieldViolation("token_type", "applies only to a TOKENS budget"))
    if problems:
        raise InvalidArgument.fields(problems)


def create_budget(owner_kind: str, owner_id: str, unit: str, token_type: str | None, total_limit, daily_limit, by: str):
    _check_limits(unit, token_type, total_limit, daily_limit)
    now = datetime.now(UTC)
    fields = {
        "owner_kind": owner_kind,
        "owner_id": owner_id,
        "unit": unit,
        "token_type": token_type,
        "total_limit": total_limit,
        "daily_limit": daily_limit,
    }
    try:
        with db.transaction() as conn:
            return repository.insert_budget(conn, fields, by, now, budgets.budget_day(now))
    except sa.exc.IntegrityError:
        raise AlreadyExists(
            "BUDGET_EXISTS", f"the {owner_kind.lower()} {owner_id} already has a budget", metadata={"owner_id": owner_id}
        ) from None


def update_budget(budget_id: int, total_limit, daily_limit, by: str):
    if total_limit is None and daily_limit is None:
        raise InvalidArgument.fields([FieldViolation("total_limit", "set total_limit, daily_limit or both (or delete the budget)")])
    now = datetime.now(UTC)
    with db.transaction() as conn:
        row = repository.update_budget(conn, budget_id, total_limit, daily_limit, by, now, budgets.budget_day(now))
    if row is None:
        raise NotFound("BUDGET_NOT_FOUND", f"no budget {budget_id}", metadata={"budget_id": str(budget_id)})
    return row


def delete_budget(budget_id: int) -> None:
    with db.transaction() as conn:
        if not repository.delete_budget(conn, budget_id):
            raise NotFound("BUDGET_NOT_FOUND", f"no budget {budget_id}", metadata={"budget_id": str(budget_id)})


def list_budgets(owner_kind: str | None, owner_id: str | None, size: int, token: str):
    scope = {"k": owner_kind, "o": owner_id}
    after = pagination.decode(token, scope, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = repository.list_budgets(conn, owner_kind, owner_id, after[0] if after else None, limit + 1, budgets.budget_day(datetime.now(UTC)))
    return pagination.split(rows, limit, scope)
