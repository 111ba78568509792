"""Service layer of Coupon: definitions, bulk generation and personal codes; redemption, validation,
reservations and rollbacks, each one transaction that either changes everything it must or nothing.

The redemption transaction, in order (the coupon's row, hot for a popular code, is locked by the
last statement only; a budget's row, when there is one, from step 7):
  1. the user's advisory lock; 2. one look-up (coupon by code, live uses, the user's uses, recent
  failures, what this request id already did, whether the coupon or its campaign has a budget);
  3. the checks, in Python; 4. a held reservation with this key is claimed for conversion; 5. the
  redemption row claims the request id and the user's use is counted (conditional upsert); 6. the
  wallet is credited (Reward's ledger); 7. the coupon's budget and its campaign's, where they exist,
  count the grant; 8. the coupon's used_count, conditional on its usage limit; then COMMIT.
A refusal found by the checks records a failed attempt and commits only that; one found by a
write (a limit reached by a concurrent redemption) rolls everything back.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common import db, pagination
from services.common.config import settings
from services.common.errors import (
    Aborted,
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
)
from services.coupon import domain, repository
from services.coupon.domain import Refusal, Spec
from services.reward import budgets, wallet
from services.segmentation import service as segmentation

log = logging.getLogger("engage.coupon")
T = TypeVar("T")
ATTEMPT_WINDOW = timedelta(minutes=1)
DEFAULT_RESERVATION_TTL = timedelta(minutes=15)
_MESSAGES = {
    "NOT_FOUND": "no coupon has this code",
    "NOT_STARTED": "this coupon cannot be redeemed yet",
    "EXPIRED": "this coupon has expired",
    "EXHAUSTED": "this coupon has been used up",
    "ALREADY_REDEEMED": "you have already used this coupon as many times as allowed",
    "NOT_ELIGIBLE": "this coupon cannot be redeemed by this user",
    "BUDGET_EXHAUSTED": "this coupon's budget is spent",
}


def failed_attempt_limit() -> int:
    return settings().coupon_failed_redeem_limit


def _refused(r: Refusal, metadata: dict[str, str] | None = None) -> DomainError:
    meta = {**(metadata or {}), **({"cause": r.cause} if r.cause else {})}
    if r.reason == "NOT_FOUND":
        return NotFound("NOT_FOUND", _MESSAGES["NOT_FOUND"], metadata=meta)
    return FailedPrecondition(r.reason, _MESSAGES[r.reason], metadata=meta)


def _reused(request_id: str) -> AlreadyExists:
    return AlreadyExists(
        "REQUEST_ID_REUSED", "this request id was already used with another code", metadata={"request_id": request_id}
    )


def _coupon_not_found(coupon_id: int) -> NotFound:
    return NotFound("COUPON_NOT_FOUND", f"no coupon {coupon_id}", metadata={"coupon_id": str(coupon_id)})


class _Retry(Exception):
    """A race the SQL detected before anything was decided: run the whole call again."""


class _Undo(Exception):
    """A refusal found after writing: the transaction rolls back, then the refusal is reported."""

    def __init__(self, refusal: Refusal, coupon_id: int, metadata: dict[str, str] | None = None) -> None:
        super().__init__(refusal.reason)
        self.refusal, self.coupon_id, self.metadata = refusal, coupon_id, metadata or {}


def _run(work: Callable[[Connection, datetime], T], user_id: str, now: datetime | None, *, count_failures: bool) -> T:
    """Runs `work` in a transaction (retried on deadlock), re-running it after a detected race. A
    limit refusal found by the writes may be due to reservations past their time that the sweep has
    not given back yet: they are expired then and the call runs once more."""
    for attempt in range(4):
        at = now or datetime.now(UTC)
        try:
            outcome = db.retrying(lambda conn: work(conn, at))
        except _Retry:
            continue
        except _Undo as e:
            if attempt == 0 and e.refusal.reason in ("EXHAUSTED", "ALREADY_REDEEMED") and expire_reservations(at, coupon_id=e.coupon_id):
                continue
            if count_failures:
                db.retrying(lambda conn: repository.record_failure(conn, user_id, at))
            raise _refused(e.refusal, e.metadata) from None
        if isinstance(outcome, Refusal):
            raise _refused(outcome)
        return outcome
    raise Aborted("CONTENDED", "the coupon is heavily contended; retry", metadata={"user_id": user_id})


def _refuse(conn: Connection, user_id: str, now: datetime, refusal: Refusal) -> Refusal:
    """A refusal found by the checks: nothing changed, the failed attempt is recorded and committed."""
    repository.record_failure(conn, user_id, now)
    return refusal


def _standing(row: sa.Row) -> domain.Standing:
    return domain.Standing(
        status=row.status,
        starts_at=row.starts_at,
        expires_at=row.expires_at,
        assigned_user_id=row.assigned_user_id,
        segment=row.segment,
        usage_limit=row.usage_limit,
        per_user_limit=row.per_user_limit,
        live_uses=row.live_uses,
        user_live_uses=row.user_live_uses,
    )


def _check(conn: Connection, row: sa.Row, user_id: str, now: datetime, *, count_limits: bool = True) -> Refusal | None:
    user_segment = segmentation.segment_of(conn, user_id) if row.segment else None
    return domain.refusal(_standing(row), user_id, user_segment, now, count_limits=count_limits)


def _budget_owners(row: sa.Row) -> list[tuple[str, str]]:
    """The budgets a redemption counts against: the coupon's own, and its campaign's (a CAMPAIGN
    budget whose owner_id is the coupon's `campaign`), in that order (the lock order)."""
    owners = [("COUPON", str(row.id))] if row.budgeted else []
    return owners + ([("CAMPAIGN", row.campaign)] if row.campaign_budgeted else [])


def _amount(conn: Connection, row: sa.Row, user_id: str) -> int:
    balance = wallet.balance(conn, user_id, row.token_type) if row.type == "PERCENTAGE" else 0
    return domain.grant_amount(row.type, row.value, row.max_value, balance)


def _look_up(conn: Connection, user_id: str, code: str, request_id: str | None, now: datetime) -> sa.Row:
    repository.lock_user(conn, user_id)
    return repository.lookup(conn, user_id=user_id, code=code, request_id=request_id, now=now, since=now - ATTEMPT_WINDOW)


def _guard_attempts(row: sa.Row) -> None:
    limit = failed_attempt_limit()
    if row.recent_failures >= limit:
        raise ResourceExhausted(
            "TOO_MANY_ATTEMPTS",
            "too many failed coupon attempts; wait a minute and try again",
            metadata={"limit": str(limit), "window_seconds": str(int(ATTEMPT_WINDOW.total_seconds()))},
        )


# ---- redemption ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Redeemed:
    redemption: sa.Row | repository.Redemption
    replayed: bool


def redeem(user_id: str, code: str, request_id: str, *, now: datetime | None = None) -> Redeemed:
    """Redeems `code` for the user, exactly once per (user, request_id); see the module docstring.
    A replay with the same code answers the first redemption; with another code, REQUEST_ID_REUSED."""
    code = code.strip()
    return _run(lambda conn, at: _redeem(conn, user_id, code, request_id, at), user_id, now, count_failures=True)


def _redeem(conn: Connection, user_id: str, code: str, request_id: str, now: datetime) -> Redeemed | Refusal:
    row = _look_up(conn, user_id, code, request_id, now)
    if row.prior_redemption_id is not None:
        if row.prior_code.lower() != code.lower():
            raise _reused(request_id)
        return Redeemed(repository.redemption(conn, row.prior_redemption_id), True)
    _guard_attempts(row)
    if row.id is None:
        return _refuse(conn, user_id, now, Refusal("NOT_FOUND"))
    if row.held_id is not None and row.held_coupon_id != row.id:
        raise _reused(request_id)
    held = row.held_id if row.held_state == "HELD" and row.held_expires_at > now else None
    refusal = _check(conn, row, user_id, now, count_limits=held is None)
    amount = _amount(conn, row, user_id) if refusal is None else 0
    if refusal is None and amount <= 0:
        refusal = Refusal("NOT_ELIGIBLE", "NOTHING_TO_PAY_BACK")
    if refusal is not None:
        return _refuse(conn, user_id, now, refusal)

    converting = held is not None
    if converting and not repository.convert_reservation(conn, held, now):
        raise _Retry  # the sweep expired it a moment ago: redeem as a plain use
    claim = repository.claim_redemption(
        conn, coupon_id=row.id, user_id=user_id, request_id=request_id, code=row.code, type=row.type,
        token_type=row.token_type, amount=amount, reservation_id=held, now=now, converting=int(converting),
        per_user_limit=row.per_user_limit,
    )
    if claim.id is None:
        raise _Retry  # a concurrent call with this request id committed first: answer its result
    if not claim.counted:
        raise _Undo(Refusal("ALREADY_REDEEMED"), row.id)
    entry = wallet.post(
        conn, user_id=user_id, token_type=row.token_type, delta=amount, reason="COUPON_REDEEM",
        idempotency_key=f"coupon:redeem:{claim.id}", label=row.code,
        meta={"coupon_id": row.id, "redemption_id": claim.id, "request_id": request_id}, now=now,
    )
    for kind, owner in _budget_owners(row):
        try:
            budgets.consume(
                conn, owner_kind=kind, owner_id=owner, key=f"coupon:redeem:{claim.id}", tokens=amount,
                token_type=row.token_type, now=now,
            )
        except FailedPrecondition as e:
            if e.reason == "BUDGET_EXHAUSTED":
                raise _Undo(Refusal("BUDGET_EXHAUSTED"), row.id, {"limit": e.metadata.get("limit", ""), "budget": kind}) from None
            raise
    if not repository.count_redemption(
        conn, coupon_id=row.id, redemption_id=claim.id, entry_id=entry.id, reservation_id=held,
        converting=int(converting),
    ):
        raise _Undo(Refusal("EXHAUSTED"), row.id)
    redemption = repository.Redemption(
        id=claim.id, coupon_id=row.id, user_id=user_id, request_id=request_id, code=row.code, type=row.type,
        token_type=row.token_type, amount=amount, ledger_entry_id=entry.id, reservation_id=held, redeemed_at=now,
    )
    return Redeemed(redemption, False)


@dataclass(frozen=True)
class Offer:
    code: str
    type: str
    token_type: str
    amount: int
    expires_at: datetime | None


def validate(user_id: str, code: str, *, now: datetime | None = None) -> Offer:
    """The checks of a redemption, changing nothing but the failed-attempt record."""
    code = code.strip()
    return _run(lambda conn, at: _validate(conn, user_id, code, at), user_id, now, count_failures=True)


def _validate(conn: Connection, user_id: str, code: str, now: datetime) -> Offer | Refusal:
    row = _look_up(conn, user_id, code, None, now)
    _guard_attempts(row)
    if row.id is None:
        return _refuse(conn, user_id, now, Refusal("NOT_FOUND"))
    refusal = _check(conn, row, user_id, now)
    amount = _amount(conn, row, user_id) if refusal is None else 0
    if refusal is None and amount <= 0:
        refusal = Refusal("NOT_ELIGIBLE", "NOTHING_TO_PAY_BACK")
    for kind, owner in _budget_owners(row) if refusal is None else ():
        left = budgets.allowance(conn, owner_kind=kind, owner_id=owner, now=now)
        if left is not None and not left.allows(tokens=amount, token_type=row.token_type):
            refusal = Refusal("BUDGET_EXHAUSTED")
            break
    if refusal is not None:
        return _refuse(conn, user_id, now, refusal)
    return Offer(row.code, row.type, row.token_type, amount, row.expires_at)


def list_user_redemptions(user_id: str, size: int, token: str) -> tuple[list[sa.Row], str]:
    return _redemption_page({"user": user_id}, size, token, user_id=user_id)


def list_coupon_redemptions(coupon_id: int, size: int, token: str) -> tuple[list[sa.Row], str]:
    with db.transaction() as conn:
        if repository.coupon(conn, coupon_id) is None:
            raise _coupon_not_found(coupon_id)
    return _redemption_page({"coupon": coupon_id}, size, token, coupon_id=coupon_id)


def _redemption_page(scope: dict, size: int, token: str, **owner) -> tuple[list[sa.Row], str]:
    after = pagination.decode(token, scope, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = repository.list_redemptions(
            conn, coupon_id=owner.get("coupon_id"), user_id=owner.get("user_id"), after=after[0] if after else None,
            limit=limit + 1,
        )
    return pagination.split(rows, limit, scope)


# ---- reservations and rollbacks --------------------------------------------------------------

@dataclass(frozen=True)
class Reserved:
    reservation: sa.Row
    replayed: bool


def reserve(user_id: str, code: str, request_id: str, ttl: timedelta | None, by: str, *, now: datetime | None = None) -> Reserved:
    """Holds one use of `code` for the user until `now + ttl` (never past the coupon's expiry),
    exactly once per (user, request_id). The same checks as a redemption except the budget (counted
    when the reservation is redeemed); refusals do not count as failed attempts (backends call it)."""
    code = code.strip()
    ttl = ttl or DEFAULT_RESERVATION_TTL
    return _run(lambda conn, at: _reserve(conn, user_id, code, request_id, ttl, by, at), user_id, now, count_failures=False)


def _reserve(conn: Connection, user_id: str, code: str, key: str, ttl: timedelta, by: str, now: datetime) -> Reserved | Refusal:
    row = _look_up(conn, user_id, code, key, now)
    if row.held_id is not None:
        if row.id is None or row.held_coupon_id != row.id:
            raise _reused(key)
        return Reserved(repository.reservation(conn, row.held_id), True)
    if row.prior_redemption_id is not None:
        raise _reused(key)  # the key already made a plain redemption
    if row.id is None:
        return Refusal("NOT_FOUND")
    refusal = _check(conn, row, user_id, now)
    if refusal is not None:
        return refusal
    expires_at = min(now + ttl, row.expires_at) if row.expires_at else now + ttl
    claim = repository.claim_reservation(
        conn, coupon_id=row.id, user_id=user_id, request_id=key, expires_at=expires_at, now=now, by=by,
        per_user_limit=row.per_user_limit,
    )
    if claim.id is None:
        raise _Retry
    if not claim.counted:
        raise _Undo(Refusal("ALREADY_REDEEMED"), row.id)
    if not repository.count_reservation(conn, row.id):
        raise _Undo(Refusal("EXHAUSTED"), row.id)
    return Reserved(repository.reservation(conn, claim.id), False)


def release(user_id: str, request_id: str, *, now: datetime | None = None) -> sa.Row:
    """Gives a held reservation's use back; a released or expired one is answered unchanged."""
    now = now or datetime.now(UTC)

    def work(conn: Connection) -> sa.Row:
        repository.lock_user(conn, user_id)
        held = repository.lock_reservation(conn, user_id, request_id)
        if held is None:
            raise NotFound("RESERVATION_NOT_FOUND", "no reservation has this key", metadata={"request_id": request_id})
        if held.state == "CONVERTED":
            raise FailedPrecondition(
                "RESERVATION_CONVERTED",
                "the reservation was redeemed; roll the redemption back instead",
                metadata={"redemption_id": str(held.redemption_id)},
            )
        if held.state == "HELD":
            repository.close_reservation(conn, held.id, "EXPIRED" if held.expires_at <= now else "RELEASED", now)
        return repository.reservation(conn, held.id)

    return db.retrying(work)


def expire_reservations(now: datetime | None = None, *, coupon_id: int | None = None, batch: int = 1000) -> int:
    """Expires every held reservation past its time and gives its use back, a batch per transaction
    (set-based, skipping rows being redeemed or released right now); returns how many."""
    now = now or datetime.now(UTC)
    total = 0
    while True:
        n = db.retrying(lambda conn: repository.expire_held(conn, now, batch, coupon_id))
        total += n
        if n < batch:
            return total


def prune_failed_attempts(now: datetime | None = None) -> int:
    """Forgets failed attempts older than an hour (only the last minute counts)."""
    before = (now or datetime.now(UTC)) - timedelta(hours=1)
    return db.retrying(lambda conn: repository.prune_failures(conn, before))


def rollback(user_id: str, request_id: str, reason: str, *, now: datetime | None = None) -> sa.Row:
    """Undoes a redemption: the use returns (user and coupon), the budget gets the grant back, and
    the credit is reversed by a debit. Refused with GRANT_ALREADY_SPENT, changing nothing, when the
    user's balance no longer covers it. Idempotent: a second call answers the rolled-back redemption."""
    now = now or datetime.now(UTC)

    def work(conn: Connection) -> sa.Row:
        repository.lock_user(conn, user_id)
        r = repository.lock_redemption(conn, user_id, request_id)
        if r is None:
            raise NotFound("REDEMPTION_NOT_FOUND", "no redemption has this request id", metadata={"request_id": request_id})
        if r.state == "ROLLED_BACK":
            return r
        repository.unuse(conn, r.coupon_id, user_id)
        try:
            entry = wallet.post(
                conn, user_id=user_id, token_type=r.token_type, delta=-r.amount, reason="COUPON_ROLLBACK",
                idempotency_key=f"coupon:rollback:{r.id}", label=reason,
                meta={"coupon_id": r.coupon_id, "redemption_id": r.id, "code": r.code}, now=now,
            )
        except FailedPrecondition as e:
            if e.reason != "INSUFFICIENT_BALANCE":
                raise
            raise FailedPrecondition(
                "GRANT_ALREADY_SPENT",
                "the user has already spent the tokens this redemption credited; nothing was changed",
                metadata={**e.metadata, "redemption_id": str(r.id)},
            ) from None
        budgets.release(conn, key=f"coupon:redeem:{r.id}", now=now)
        return repository.roll_back(conn, id=r.id, coupon_id=r.coupon_id, reason=reason, entry_id=entry.id, now=now)

    return db.retrying(work)


# ---- definitions -----------------------------------------------------------------------------

def _checked(code: str, spec: Spec) -> str:
    """Refuses a bad definition naming every field; returns the token type it credits."""
    problems = domain.check_code(code) + domain.check_spec(spec)
    if problems:
        raise InvalidArgument.fields(problems)
    return domain.credited_token(spec)


def _code_taken(e: sa.exc.IntegrityError, code: str) -> AlreadyExists:
    if "ux_coupons_code" not in str(e.orig):
        raise e
    return AlreadyExists("CODE_TAKEN", f"a coupon with code {code!r} exists", metadata={"code": code})


def create_coupon(code: str, spec: Spec, status: str | None, by: str, *, now: datetime | None = None) -> sa.Row:
    token_type = _checked(code, spec)
    try:
        with db.transaction() as conn:
            return repository.insert_coupon(conn, code, spec, token_type, status or "ACTIVE", by, now or datetime.now(UTC))
    except sa.exc.IntegrityError as e:
        raise _code_taken(e, code) from None


def get_coupon(coupon_id: int) -> sa.Row:
    with db.transaction() as conn:
        row = repository.coupon(conn, coupon_id)
    if row is None:
        raise _coupon_not_found(coupon_id)
    return row


def update_coupon(
    coupon_id: int, code: str, spec: Spec, status: str | None, by: str, *, expected_version: int | None = None,
    now: datetime | None = None,
) -> sa.Row:
    """Replaces the definition; the counters stay. A usage limit below the uses already counted is
    refused (the row lock makes the comparison exact)."""
    token_type = _checked(code, spec)
    try:
        with db.transaction() as conn:
            before = repository.coupon(conn, coupon_id, lock=True)
            if before is None:
                raise _coupon_not_found(coupon_id)
            if expected_version is not None and before.version != expected_version:
                raise Aborted(
                    "COUPON_VERSION_MISMATCH",
                    f"the coupon is at version {before.version}, not {expected_version}; reload it and retry",
                    metadata={"version": str(before.version)},
                )
            in_use = before.used_count + before.reserved_count
            if spec.usage_limit is not None and spec.usage_limit < in_use:
                raise FailedPrecondition(
                    "USAGE_LIMIT_BELOW_USE",
                    f"usage_limit {spec.usage_limit} is below the {in_use} uses already counted",
                    metadata={"used_count": str(before.used_count), "reserved_count": str(before.reserved_count)},
                )
            return repository.update_coupon(conn, coupon_id, code, spec, token_type, status or before.status, by, now or datetime.now(UTC))
    except sa.exc.IntegrityError as e:
        raise _code_taken(e, code) from None


def delete_coupon(coupon_id: int) -> None:
    """Deletes a coupon never used: one with redemptions or held reservations keeps its history and
    can be disabled instead."""
    with db.transaction() as conn:
        before = repository.coupon(conn, coupon_id, lock=True)
        if before is None:
            raise _coupon_not_found(coupon_id)
        if before.reserved_count or before.used_count or repository.has_redemptions(conn, coupon_id):
            raise FailedPrecondition(
                "COUPON_IN_USE", "the coupon has redemptions or reservations; disable it instead",
                metadata={"coupon_id": str(coupon_id)},
            )
        repository.delete_coupon(conn, coupon_id)


def list_coupons(filters: dict, size: int, token: str) -> tuple[list[sa.Row], str]:
    after = pagination.decode(token, filters, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = repository.list_coupons(conn, filters, after[0] if after else None, limit + 1)
    return pagination.split(rows, limit, filters)


@dataclass(frozen=True)
class Generated:
    batch: sa.Row
    codes: list[str]
    replayed: bool


MAX_BATCH = 10_000


def generate_coupons(request_id: str, prefix: str, count: int, spec: Spec, by: str, *, now: datetime | None = None) -> Generated:
    """Creates `count` coupons with fresh unguessable codes `<PREFIX>-<12 symbols>` in one
    transaction (one INSERT; a code colliding with an existing one in any case is replaced by a new
    draw). Exactly once per request id: a retry answers the same codes, a different payload
    REQUEST_ID_REUSED."""
    problems = ([] if domain.PREFIX.fullmatch(prefix) else [FieldViolation("prefix", "must be 1 to 16 letters or digits")])
    problems += domain.check_spec(spec)
    if not 1 <= count <= MAX_BATCH:
        problems.append(FieldViolation("count", f"must be from 1 to {MAX_BATCH}"))
    if problems:
        raise InvalidArgument.fields(problems)
    prefix = prefix.upper()
    if spec.usage_limit is None:
        spec = replace(spec, usage_limit=1)  # generated codes are single-use unless told otherwise
    token_type = domain.credited_token(spec)
    fingerprint = hashlib.sha256(
        json.dumps({"prefix": prefix, "count": count, **asdict(spec)}, sort_keys=True, default=str).encode()
    ).hexdigest()
    now = now or datetime.now(UTC)

    def work(conn: Connection) -> Generated:
        batch = repository.claim_batch(conn, request_id, fingerprint, prefix, count, spec.campaign, by, now)
        if batch is None:
            batch = repository.batch_by_request(conn, request_id)
            if batch.fingerprint != fingerprint:
                raise _reused(request_id)
            return Generated(batch, repository.batch_codes(conn, batch.id), True)
        made: list[str] = []
        for _ in range(10):  # each round replaces the (astronomically rare) collisions of the last
            made += repository.insert_codes(
                conn, [domain.new_code(prefix) for _ in range(count - len(made))], batch.id, spec, token_type, by, now
            )
            if len(made) == count:
                return Generated(batch, repository.batch_codes(conn, batch.id), False)
        raise RuntimeError("could not draw unique codes")  # unreachable with 59 random bits per code

    return db.retrying(work)


def usable_templates(conn: Connection, template_ids: list[int], now: datetime) -> set[int]:
    """Which of these coupons prizes may be issued from now (not expired), in the caller's
    transaction: pools leave the other prizes out of the draw."""
    return repository.usable_templates(conn, template_ids, now) if template_ids else set()


def issue_personal_code(conn: Connection, *, template_coupon_id: int, user_id: str, idempotency_key: str) -> str:
    """Creates, in the caller's transaction and exactly once per `idempotency_key`, a single-use code
    only `user_id` may redeem (another user gets NOT_ELIGIBLE), with the template's type, value,
    token type, cap, campaign, start and expiry; returns the code. The template's own counts are
    untouched. Raises NOT_FOUND COUPON_NOT_FOUND for an unknown template, FAILED_PRECONDITION
    PRIZE_UNAVAILABLE for an expired one, ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED when the
    key issued a code from another template or for another user."""
    now = datetime.now(UTC)
    for _ in range(10):
        code = repository.insert_personal_code(
            conn, template_id=template_coupon_id, code=domain.new_code(""), user_id=user_id, key=idempotency_key, now=now
        )
        if code is not None:
            return code
        first = repository.personal_code_by_key(conn, idempotency_key)
        if first is not None:
            if (first.template_id, first.assigned_user_id) != (template_coupon_id, user_id):
                raise AlreadyExists(
                    "IDEMPOTENCY_KEY_REUSED", "this key already issued another personal code",
                    metadata={"idempotency_key": idempotency_key},
                )
            return first.code
        if repository.coupon(conn, template_coupon_id) is None:
            raise _coupon_not_found(template_coupon_id)
        if not repository.usable_templates(conn, [template_coupon_id], now):
            raise FailedPrecondition(
                "PRIZE_UNAVAILABLE", f"coupon {template_coupon_id} has expired: no code can be issued from it",
                metadata={"coupon_id": str(template_coupon_id)},
            )
        # Otherwise the drawn code collided with an existing one: draw again.
    raise RuntimeError("could not draw a unique code")


def issue_personal_codes(conn: Connection, *, template_coupon_id: int, grants: list[tuple[str, str]]) -> dict[str, tuple[str, int]]:
    """`issue_personal_code` for many (user_id, idempotency_key) at once (campaign batches), in a
    fixed number of statements: returns each user's (code, coupon id). Exactly once per key like the
    single form (a replay answers the first code); the same errors."""
    now = datetime.now(UTC)
    want = dict(grants)  # user -> key
    out: dict[str, tuple[str, int]] = {}
    if not want:
        return out
    for _ in range(10):
        # Keys that issued a code already (a replay, or a concurrent issuer that just committed).
        for prior in repository.personal_codes_by_key(conn, [k for u, k in want.items() if u not in out]):
            user = prior.assigned_user_id
            if (prior.template_id, want.get(user)) != (template_coupon_id, prior.issue_key):
                raise AlreadyExists("IDEMPOTENCY_KEY_REUSED", "this key already issued another personal code",
                                    metadata={"idempotency_key": prior.issue_key})
            out[user] = (prior.code, prior.id)
        todo = [(domain.new_code(""), u, k) for u, k in want.items() if u not in out]
        if not todo:
            return out
        for r in repository.insert_personal_codes(conn, template_id=template_coupon_id, rows=todo, now=now):
            out[r.assigned_user_id] = (r.code, r.id)
        if len(out) < len(want) and not repository.usable_templates(conn, [template_coupon_id], now):
            if repository.coupon(conn, template_coupon_id) is None:
                raise _coupon_not_found(template_coupon_id)
            raise FailedPrecondition(
                "PRIZE_UNAVAILABLE", f"coupon {template_coupon_id} has expired: no code can be issued from it",
                metadata={"coupon_id": str(template_coupon_id)},
            )
        # Otherwise the rest drew codes that collided with existing ones: draw again for them.
    raise RuntimeError("could not draw unique codes")
