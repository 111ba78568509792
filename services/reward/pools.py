"""Reward pools: admin CRUD, published odds, and opening a pool exactly once per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common import db, pagination
from services.common.errors import AlreadyExists, FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from services.coupon import service as coupons
from services.reward import budgets, domain, repository, wallet
from services.segmentation import service as segmentation

# A draw that loses its item to a concurrent open draws again from what is left; a pool whose
# last units are contested this many times in one open is treated as empty.
MAX_REDRAWS = 20


@dataclass(frozen=True)
class NewItem:
    reward_type: str
    reward_value: dict
    weight: int
    quantity: int | None
    meta: dict


@dataclass(frozen=True)
class PoolFields:
    name: str
    description: str
    segment: str | None
    cost_token_type: str | None
    cost_amount: int
    active: bool
    pity_threshold: int


@dataclass(frozen=True)
class Item:
    """An active item as an open reads it."""

    id: int
    reward_type: str
    reward_value: dict
    weight: int
    quantity: int | None
    meta: dict
    active: bool = True


@dataclass(frozen=True)
class PoolView:
    pool: sa.Row
    items: list[sa.Row]
    odds: dict[int, float]


@dataclass(frozen=True)
class Opened:
    draw: sa.Row
    replayed: bool


def _not_found(pool_id: int) -> NotFound:
    return NotFound("POOL_NOT_FOUND", f"no reward pool {pool_id}", metadata={"pool_id": str(pool_id)})


def _checked_items(items: list[NewItem], prefix: str | None) -> list[NewItem]:
    """Checks each item's reward shape; `prefix` names where the items sit in the request
    (`items[2].` for a create; empty for an added item)."""
    problems: list[FieldViolation] = []
    checked = []
    for i, item in enumerate(items):
        value = domain.normalized_reward_value(item.reward_value)
        path = f"items[{i}].reward_value" if prefix is None else f"{prefix}reward_value"
        problems += domain.check_reward_value(item.reward_type, value, path, wallet.TOKEN_TYPES)
        checked.append(NewItem(item.reward_type, value, item.weight, item.quantity, item.meta))
    if problems:
        raise InvalidArgument.fields(problems, reason="INVALID_REWARD")
    return checked


def _check_prizes(conn: Connection, items: list[NewItem], prefix: str | None) -> None:
    """A COUPON item must name a coupon prizes can be issued from (one not expired)."""
    wanted = {i: int(item.reward_value["coupon_id"]) for i, item in enumerate(items) if item.reward_type == "COUPON"}
    usable = coupons.usable_templates(conn, list(wanted.values()), datetime.now(UTC))
    problems = [
        FieldViolation(
            f"items[{i}].reward_value.coupon_id" if prefix is None else f"{prefix}reward_value.coupon_id",
            f"coupon {cid} does not exist or has expired",
        )
        for i, cid in wanted.items()
        if cid not in usable
    ]
    if problems:
        raise InvalidArgument.fields(problems, reason="INVALID_REWARD")


def _check_cost(fields: PoolFields) -> None:
    if fields.cost_amount > 0 and not fields.cost_token_type:
        raise InvalidArgument.fields([FieldViolation("cost_token_type", "is required when cost_amount is set")])
    if fields.cost_token_type and fields.cost_amount == 0:
        raise InvalidArgument.fields([FieldViolation("cost_amount", "must be at least 1 when cost_token_type is set")])


def _view(conn: Connection, pool: sa.Row, *, active_only: bool = False) -> PoolView:
    """The pool with the odds of its next draw: items it could not pay now count as out of stock."""
    items = repository.items_of(conn, [pool.id], active_only=active_only)
    payable, _ = _payable(conn, pool.id, items, datetime.now(UTC), budgeted=True)
    return PoolView(pool, items, _odds(items, payable))


def _candidates(items, payable: set[int]) -> list[domain.Candidate]:
    """Drawable candidates; an item the pool cannot pay now is offered as out of stock."""
    return [domain.Candidate(r.id, r.weight, r.quantity if r.id in payable else 0) for r in items if r.active]


def _odds(items, payable: set[int]) -> dict[int, float]:
    odds = domain.odds(_candidates(items, payable))
    return {r.id: odds.get(r.id, 0.0) for r in items}


def _budget_counts(item) -> dict:
    """What giving this item counts against a budget."""
    value = item.reward_value
    if item.reward_type == "TOKEN":
        return {"tokens": int(value["amount"]), "token_type": value["token_type"]}
    if item.reward_type == "POINTS":
        return {"points": int(value["points"])}
    return {}


def _payable(conn: Connection, pool_id: int, items, now: datetime, *, budgeted: bool, lock: bool = False) -> tuple[set[int], set[int]]:
    """(the items a draw may give now, the items only the budget keeps out). A prize coupon must
    still be usable, and the pool's budget, if any, must cover the grant. With `lock` the budget row
    stays locked until commit, so what it allows cannot change before the grant is counted: a draw
    never lands on an item it must then refuse (a free re-roll, and published odds made false)."""
    prizes = [int(i.reward_value["coupon_id"]) for i in items if i.reward_type == "COUPON"]
    usable = coupons.usable_templates(conn, prizes, now)
    left = budgets.allowance(conn, owner_kind="POOL", owner_id=str(pool_id), now=now, lock=lock) if budgeted else None
    givable = {i.id for i in items if i.reward_type != "COUPON" or int(i.reward_value["coupon_id"]) in usable}
    over_budget = {
        i.id for i in items if left is not None and i.reward_type != "NOTHING" and not left.allows(**_budget_counts(i))
    }
    return givable - over_budget, givable & over_budget


def _taken(name: str) -> AlreadyExists:
    return AlreadyExists("POOL_NAME_TAKEN", f"a pool named {name!r} exists", metadata={"name": name})


def create_pool(fields: PoolFields, items: list[NewItem], pity_item_index: int | None, by: str) -> PoolView:
    _check_cost(fields)
    items = _checked_items(items, None)
    if fields.pity_threshold and (pity_item_index is None or pity_item_index >= len(items)):
        raise InvalidArgument.fields(
            [FieldViolation("pity_item_index", "must point at one of the items when pity_threshold is set")],
            reason="PITY_ITEM_NOT_IN_POOL",
        )
    now = datetime.now(UTC)
    try:
        with db.transaction() as conn:
            _check_prizes(conn, items, None)
            pool = repository.insert_pool(conn, vars(fields), by, now)
            rows = [repository.insert_item(conn, pool.id, {**vars(i)}, now) for i in items]
            if fields.pity_threshold:
                repository.set_pity_item(conn, pool.id, rows[pity_item_index].id)
                pool = repository.pool(conn, pool.id)
            return _view(conn, pool)
    except sa.exc.IntegrityError:
        raise _taken(fields.name) from None


def update_pool(pool_id: int, fields: PoolFields, pity_item_id: int | None, by: str) -> PoolView:
    _check_cost(fields)
    try:
        with db.transaction() as conn:
            if repository.pool(conn, pool_id, lock=True) is None:
                raise _not_found(pool_id)
            if fields.pity_threshold:
                ids = {r.id for r in repository.items_of(conn, [pool_id])}
                if pity_item_id not in ids:
                    raise InvalidArgument.fields(
                        [FieldViolation("pity_item_id", "must be an item of this pool when pity_threshold is set")],
                        reason="PITY_ITEM_NOT_IN_POOL",
                    )
            row = repository.update_pool(
                conn, pool_id, {**vars(fields), "pity_item_id": pity_item_id if fields.pity_threshold else None}, by, datetime.now(UTC)
            )
            return _view(conn, row)
    except sa.exc.IntegrityError:
        raise _taken(fields.name) from None


def delete_pool(pool_id: int, by: str) -> None:
    with db.transaction() as conn:
        if not repository.delete_pool(conn, pool_id, by, datetime.now(UTC)):
            raise _not_found(pool_id)


def add_item(pool_id: int, item: NewItem) -> tuple[sa.Row, float]:
    (item,) = _checked_items([item], "")
    with db.transaction() as conn:
        if repository.pool(conn, pool_id, lock=True) is None:
            raise _not_found(pool_id)
        _check_prizes(conn, [item], "")
        row = repository.insert_item(conn, pool_id, {**vars(item)}, datetime.now(UTC))
        view = _view(conn, repository.pool(conn, pool_id))
    return row, view.odds[row.id]


def update_item(pool_id: int, item_id: int, weight: int, quantity: int | None, active: bool) -> tuple[sa.Row, float]:
    with db.transaction() as conn:
        row = repository.update_item(conn, pool_id, item_id, weight, quantity, active)
        if row is None:
            raise NotFound("ITEM_NOT_FOUND", f"no item {item_id} in pool {pool_id}", metadata={"item_id": str(item_id)})
        view = _view(conn, repository.pool(conn, pool_id))
    return row, view.odds[row.id]


def get_pool(pool_id: int, user_id: str) -> tuple[PoolView, int]:
    """The pool as users see it (inactive items left out) and the viewer's pity progress."""
    with db.transaction() as conn:
        pool = repository.pool(conn, pool_id)
        if pool is None:
            raise _not_found(pool_id)
        misses = repository.pity_misses(conn, user_id, pool_id) if pool.pity_threshold else 0
        return _view(conn, pool, active_only=True), misses


def list_pools(size: int, token: str) -> tuple[list[PoolView], str]:
    after = pagination.decode(token, "pools", shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = repository.list_pools(conn, after[0] if after else None, limit + 1)
        page = rows[:limit]
        views = [_view(conn, p) for p in page]
    return views, pagination.encode([page[-1].id], "pools") if len(rows) > limit else ""


# ---- opening --------------------------------------------------------------------------------------

def _lock_request(conn: Connection, user_id: str, request_id: str) -> None:
    """Serializes opens that share a request id, so a retry racing its original waits for it and
    then finds its draw (a hash collision only makes two unrelated opens wait for each other)."""
    conn.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"reward.open:{user_id}:{request_id}"}
    )


def _draw(conn: Connection, pool: sa.Row, items: list[Item], payable: set[int], misses: int) -> tuple[Item, bool, dict]:
    """Draws an item in stock and takes one unit of it; on a lost race for the last unit, draws
    again from what is left. Returns (item, pity, odds drawn from)."""
    candidates = _candidates(items, payable)
    by_id = {r.id: r for r in items}
    for _ in range(MAX_REDRAWS):
        live = domain.drawable(candidates)
        if not live:
            break
        pity_item = next((c for c in live if c.item_id == pool.pity_item_id), None)
        pity = bool(pool.pity_threshold and pity_item and misses >= pool.pity_threshold)
        chosen = pity_item if pity else domain.weighted_choice(candidates)
        odds = {"items": [{"item_id": c.item_id, "weight": c.weight, "quantity": c.quantity} for c in live], "pity": pity}
        if chosen.quantity is None or repository.claim_stock(conn, chosen.item_id):
            return by_id[chosen.item_id], pity, odds
        # Another open took the last unit since we read the stock: draw again without it.
        candidates = [domain.Candidate(c.item_id, c.weight, 0) if c.item_id == chosen.item_id else c for c in candidates]
    raise FailedPrecondition("POOL_EMPTY", f"reward pool {pool.id} has nothing left in stock", metadata={"pool_id": str(pool.id)})


def _grant(conn: Connection, item: Item, user_id: str, request_id: str, pool_id: int, now: datetime):
    """Gives the drawn item; returns (reward ledger entry id, coupon code)."""
    value = item.reward_value
    key = f"reward.open:{user_id}:{request_id}"
    meta = {"pool_id": pool_id, "item_id": item.id, "request_id": request_id}
    if item.reward_type == "TOKEN":
        entry = wallet.post(
            conn, user_id=user_id, token_type=value["token_type"], delta=int(value["amount"]), reason="POOL_REWARD",
            label=f"pool {pool_id}", meta=meta, idempotency_key=f"{key}:reward", now=now,
        )
        return entry.id, None
    if item.reward_type == "COUPON":
        code = coupons.issue_personal_code(conn, template_coupon_id=int(value["coupon_id"]), user_id=user_id, idempotency_key=key)
        return None, code
    return None, None  # POINTS are published to Loyalty through the outbox; NOTHING gives nothing


def open_pool(pool_id: int, user_id: str, request_id: str) -> Opened:
    """Charges, draws, takes stock, grants and records, in one transaction; retried whole on a
    deadlock, so a user never sees a lost race. A retry of the request answers the first draw."""

    def attempt(conn: Connection) -> Opened:
        _lock_request(conn, user_id, request_id)
        prior = repository.draw_by_request(conn, user_id, request_id)
        if prior is not None:
            if prior.pool_id != pool_id:
                raise AlreadyExists(
                    "REQUEST_ID_REUSED", "this request id opened another pool", metadata={"pool_id": str(prior.pool_id)}
                )
            return Opened(prior, replayed=True)
        pool = repository.pool_to_open(conn, pool_id)
        if pool is None:
            raise _not_found(pool_id)
        if not pool.active:
            raise FailedPrecondition("POOL_INACTIVE", f"reward pool {pool_id} is not active", metadata={"pool_id": str(pool_id)})
        if pool.segment:
            if segmentation.segment_of(conn, user_id) != pool.segment:
                raise FailedPrecondition(
                    "NOT_ELIGIBLE", f"reward pool {pool_id} is for the {pool.segment} segment", metadata={"segment": pool.segment}
                )
        now = datetime.now(UTC)
        # The pity counter is locked: concurrent opens by the user cannot all cash the same pity.
        misses = repository.lock_pity_misses(conn, user_id, pool_id) if pool.pity_threshold else 0
        items = [Item(**i) for i in pool.items]
        payable, over_budget = _payable(conn, pool_id, items, now, budgeted=pool.budgeted, lock=True)
        in_stock = {i.id for i in items if i.quantity is None or i.quantity > 0}
        if over_budget & in_stock and not payable & in_stock:
            raise FailedPrecondition(
                "BUDGET_EXHAUSTED", f"reward pool {pool_id}'s budget cannot pay any prize left", metadata={"pool_id": str(pool_id)}
            )
        item, pity, odds = _draw(conn, pool, items, payable, misses)
        cost_entry = None
        if pool.cost_amount:
            cost_entry = wallet.post(
                conn, user_id=user_id, token_type=pool.cost_token_type, delta=-pool.cost_amount, reason="POOL_OPEN_COST",
                label=f"pool {pool_id}", meta={"pool_id": pool_id, "request_id": request_id},
                idempotency_key=f"reward.open:{user_id}:{request_id}:cost", now=now,
            )
        reward_entry_id, coupon_code = _grant(conn, item, user_id, request_id, pool_id, now)
        if pool.budgeted and item.reward_type != "NOTHING":
            budgets.consume(
                conn, owner_kind="POOL", owner_id=str(pool_id), key=f"reward.open:{user_id}:{request_id}", now=now,
                **_budget_counts(item),
            )
        if pool.pity_threshold:
            repository.set_pity_misses(conn, user_id, pool_id, hit=item.id == pool.pity_item_id)
        draw = repository.insert_draw(
            conn,
            {
                "pool_id": pool_id, "user_id": user_id, "request_id": request_id, "item_id": item.id,
                "item": {"reward_type": item.reward_type, "reward_value": item.reward_value, "meta": item.meta},
                "odds": odds, "pity": pity, "cost_entry_id": cost_entry.id if cost_entry else None,
                "reward_entry_id": reward_entry_id, "coupon_code": coupon_code, "drawn_at": now,
            },
        )
        if item.reward_type == "POINTS":
            repository.queue_points(conn, draw.id)
        return Opened(draw, replayed=False)

    return db.retrying(attempt)


def list_draws(*, user_id: str | None, pool_id: int | None, size: int, token: str) -> tuple[list[sa.Row], str]:
    scope = {"u": user_id, "p": pool_id}
    after = pagination.decode(token, scope, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        if pool_id is not None and conn.execute(sa.text("SELECT 1 FROM reward.pools WHERE id = :p"), {"p": pool_id}).first() is None:
            raise _not_found(pool_id)
        rows = repository.list_draws(conn, user_id=user_id, pool_id=pool_id, before_id=after[0] if after else None, limit=limit + 1)
    return pagination.split(rows, limit, scope)
