"""Referrals: every member's code, a referee attaching one, and both sides rewarded once when the
referee's first purchase reaches the floor, held through a clawback window.

Rules (each one tested):
- A code is created on first use (10 characters of a 31-letter alphabet without look-alikes:
  ~8·10^14 codes, drawn with `secrets`) and never changes.
- A member attaches one code, once (ALREADY_EXISTS REFERRAL_ALREADY_ATTACHED; the same code again
  answers the referral as it is), never their own (INVALID_ARGUMENT SELF_REFERRAL), only before their
  first purchase (FAILED_PRECONDITION ALREADY_PURCHASED), and never one that closes a cycle (the
  referrer, or anyone above them, is the member: FAILED_PRECONDITION REFERRAL_CYCLE).
- Unknown, malformed and own codes are failed attempts; more than LOYALTY_REFERRAL_FAILED_ATTACH_LIMIT
  within an hour are answered RESOURCE_EXHAUSTED TOO_MANY_ATTEMPTS (codes cannot be enumerated). The
  count and the recording of a failure happen under one per-member advisory lock, in one
  transaction, so parallel guesses cannot all pass the count; old attempts are pruned hourly.
- The referee's first purchase processed while attached decides, once: it pays when it was made
  (`occurred_at`) after the code was attached, and its order's net (purchases minus refunds already
  processed: a refund may arrive before its purchase; only those made inside the clawback window
  count, kept with their time in `loyalty.early_refunds`) is at least LOYALTY_REFERRAL_MIN_PURCHASE,
  with no such refund. Both sides then earn their points as lots held pending until the
  clawback window (LOYALTY_REFERRAL_CLAWBACK_DAYS from the purchase's `occurred_at`) ends, when the
  points sweep releases them; otherwise the referral never pays (NOT_QUALIFIED).
- Any refund of that purchase made (`occurred_at`) inside the window reverses both rewards (the
  issue's rule), whenever it is processed: held lots are cancelled; lots already released are taken
  back through `points.take_back` (spent points charged to other lots, the rest as debt, never a
  negative balance).
- The members' lots and ledger entries name neither the referee nor their order: both reward lots
  carry `order_id = referral:<reward_ref>` (random, drawn when the referral pays), grants carry fixed
  labels and no ids in `meta`, a clawback entry the label "referral"; `loyalty.referrals` keeps the
  referee and the order for admins.
- A referrer is rewarded for at most LOYALTY_REFERRAL_MONTHLY_CAP referrals per calendar month (of the
  purchase, in the platform timezone); the referee of a capped referral is still rewarded.

Locks: attaching takes the member's attempt lock (advisory, per member), their member row, then
one transaction-level advisory lock shared by every attach (the cycle check reads the whole chain
above the referrer, which another attach could be extending; attaches are rare, so serializing them
costs nothing). A purchase holds the referee's member and account rows (record_order_event), then
takes the referrer's account row, which also serializes the referrer's monthly cap count; a
clawback takes the same two in the same order.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common import db, pagination
from services.common.config import settings
from services.common.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
)
from services.loyalty import leaderboards, points, tiers

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: codes are read aloud and retyped
CODE_LENGTH = 10
ATTEMPT_WINDOW = timedelta(hours=1)
_ATTACH_LOCK = 0x4C52_4546  # pg_advisory_xact_lock key of attaches ("LREF")
_ATTEMPT_LOCK = 0x4C52_4141  # with hashtext(user_id): one member's attempts ("LRAA")


@dataclass(frozen=True)
class Rules:
    min_purchase: int = 30_000
    referrer_points: int = 3_000
    referee_points: int = 2_000
    clawback_days: int = 14
    monthly_cap: int = 10
    failed_attach_limit: int = 5
    expiry_days: int = 365
    timezone: str = "Asia/Seoul"

    @classmethod
    def from_settings(cls, s) -> Rules:
        return cls(
            min_purchase=s.loyalty_referral_min_purchase,
            referrer_points=s.loyalty_referral_referrer_points,
            referee_points=s.loyalty_referral_referee_points,
            clawback_days=s.loyalty_referral_clawback_days,
            monthly_cap=s.loyalty_referral_monthly_cap,
            failed_attach_limit=s.loyalty_referral_failed_attach_limit,
            expiry_days=s.loyalty_points_expiry_days,
            timezone=s.timezone,
        )


def current_rules() -> Rules:
    return Rules.from_settings(settings())


def status(row, now: datetime) -> str:
    """What a referral shows: ATTACHED, PENDING (rewarded, inside the clawback window), REWARDED,
    NOT_QUALIFIED or REVERSED."""
    if row.state == "QUALIFIED":
        return "PENDING" if row.release_at > now else "REWARDED"
    return row.state


def normalize(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(c in ALPHABET for c in code)


# ---- codes ----------------------------------------------------------------------------------------

def code_for(conn: Connection, user_id: str, now: datetime) -> str:
    """The member's code, created on first use (a collision with another member's code, about one in
    10^8 at a million members, draws again)."""
    while True:
        code = conn.execute(sa.text("SELECT code FROM loyalty.referral_codes WHERE user_id = :u"), {"u": user_id}).scalar()
        if code is not None:
            return code
        conn.execute(
            sa.text("INSERT INTO loyalty.referral_codes (user_id, code, created_at) VALUES (:u, :c, :now) ON CONFLICT DO NOTHING"),
            {"u": user_id, "c": "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)), "now": now},
        )


# ---- attaching ------------------------------------------------------------------------------------

_COLUMNS = (
    "referee_id, referrer_id, code, attached_at, state, order_id, first_purchase, qualified_at, release_at, reversed_at, "
    "referrer_points, referee_points, referrer_capped, reward_ref"
)

# Walks up from the referrer: a cycle if the member is found above them.
_CYCLE = sa.text(
    """
WITH RECURSIVE up(user_id, depth) AS (
  SELECT CAST(:referrer AS text), 0
  UNION ALL
  SELECT r.referrer_id, up.depth + 1 FROM loyalty.referrals r JOIN up ON r.referee_id = up.user_id WHERE up.depth < 10000
)
SELECT EXISTS (SELECT 1 FROM up WHERE user_id = :me)
"""
)

_COUNTED = ("REFERRAL_CODE_NOT_FOUND", "SELF_REFERRAL", "INVALID_REFERRAL_CODE")


@dataclass(frozen=True)
class Attached:
    referral: sa.Row
    replayed: bool


def attach(user_id: str, code: str, *, now: datetime | None = None, rules: Rules | None = None) -> Attached:
    """Attaches `code` as the member's referrer (see the module docstring for the refusals)."""
    now = now or datetime.now(UTC)
    r = rules or current_rules()
    code = normalize(code)

    def run(conn: Connection) -> Attached | DomainError:
        # One member's attempts run one at a time: the count below and the recording of a failure
        # are one critical section, so parallel guesses cannot all pass the limit.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k, hashtext(:u))"), {"k": _ATTEMPT_LOCK, "u": user_id})
        _check_attempts(conn, user_id, now, r)
        try:
            with conn.begin_nested():  # a refused attach leaves nothing but its recorded attempt
                return _attach(conn, user_id, code, now, r)
        except DomainError as e:
            if e.reason not in _COUNTED:
                raise
            conn.execute(
                sa.text("INSERT INTO loyalty.referral_attempts (user_id, reason, attempted_at) VALUES (:u, :r, :now)"),
                {"u": user_id, "r": e.reason, "now": now},
            )
            return e  # committed with the attempt, raised after

    out = db.retrying(run)
    if isinstance(out, DomainError):
        raise out
    return out


def _check_attempts(conn: Connection, user_id: str, now: datetime, r: Rules) -> None:
    failures = conn.execute(
        sa.text("SELECT count(*) FROM loyalty.referral_attempts WHERE user_id = :u AND attempted_at > :since"),
        {"u": user_id, "since": now - ATTEMPT_WINDOW},
    ).scalar_one()
    if failures >= r.failed_attach_limit:
        raise ResourceExhausted("TOO_MANY_ATTEMPTS", "too many refused referral codes; try again later",
                                metadata={"limit": str(r.failed_attach_limit), "window_seconds": str(int(ATTEMPT_WINDOW.total_seconds()))})


def prune_attempts(now: datetime | None = None) -> int:
    """The hourly job: deletes the attempts older than the window (they no longer count), in one
    set-based statement. Returns how many."""
    now = now or datetime.now(UTC)
    with db.transaction() as conn:
        return conn.execute(sa.text("DELETE FROM loyalty.referral_attempts WHERE attempted_at <= :since"),
                            {"since": now - ATTEMPT_WINDOW}).rowcount


def _attach(conn: Connection, user_id: str, code: str, now: datetime, r: Rules) -> Attached:
    if not well_formed(code):
        raise InvalidArgument("INVALID_REFERRAL_CODE", "this is not a referral code",
                              violations=[FieldViolation("code", f"must be {CODE_LENGTH} letters and digits")])
    tiers.lock_member(conn, user_id, now)  # a first purchase and an attach of the member never interleave
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ATTACH_LOCK})
    referrer = conn.execute(sa.text("SELECT user_id FROM loyalty.referral_codes WHERE code = :c"), {"c": code}).scalar()
    if referrer is None:
        raise NotFound("REFERRAL_CODE_NOT_FOUND", "no member has this referral code")
    if referrer == user_id:
        raise InvalidArgument("SELF_REFERRAL", "a member cannot use their own referral code")
    existing = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM loyalty.referrals WHERE referee_id = :u"), {"u": user_id}).one_or_none()
    if existing is not None:
        if existing.code == code:
            return Attached(existing, True)
        raise AlreadyExists("REFERRAL_ALREADY_ATTACHED", "a referral code is already attached")
    if conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM loyalty.orders WHERE user_id = :u AND purchased > 0)"), {"u": user_id}).scalar():
        raise FailedPrecondition("ALREADY_PURCHASED", "a referral code can be attached only before the first purchase")
    if conn.execute(_CYCLE, {"referrer": referrer, "me": user_id}).scalar():
        raise FailedPrecondition("REFERRAL_CYCLE", "this member was referred, directly or not, by you")
    row = conn.execute(
        sa.text(f"INSERT INTO loyalty.referrals (referee_id, referrer_id, code, attached_at) VALUES (:u, :r, :c, :now) RETURNING {_COLUMNS}"),
        {"u": user_id, "r": referrer, "c": code, "now": now},
    ).one()
    return Attached(row, False)


# ---- the referee's purchases (inside record_order_event's transaction) ---------------------------

def on_order_event(conn: Connection, event: dict, order: sa.Row, now: datetime, r: Rules | None = None) -> None:
    """A referee's first purchase qualifies (or not) their referral; any refund of it that happened
    inside the clawback window reverses both rewards, whenever it is processed. Windows run on the
    events' own `occurred_at`, not on processing time. The caller holds the referee's member and
    account rows (and settled the account)."""
    r = r or current_rules()
    user = event["user_id"]
    if event["event_type"] == "PURCHASE":
        ref = conn.execute(
            sa.text(f"SELECT {_COLUMNS} FROM loyalty.referrals WHERE referee_id = :u AND state = 'ATTACHED' FOR UPDATE"), {"u": user}
        ).one_or_none()
        if ref is not None:
            _qualify(conn, ref, event, order, now, r)
    else:
        if order.purchased == 0:  # a refund ahead of its purchase: when it was made decides (`_qualify`)
            conn.execute(
                sa.text("INSERT INTO loyalty.early_refunds (user_id, order_id, event_id, amount, occurred_at) "
                        "VALUES (:u, :o, :e, :a, :at) ON CONFLICT DO NOTHING"),
                {"u": user, "o": event["order_id"], "e": event["event_id"], "a": event["amount"], "at": event["occurred_at"]},
            )
        ref = conn.execute(
            sa.text(f"SELECT {_COLUMNS} FROM loyalty.referrals WHERE referee_id = :u AND state = 'QUALIFIED' AND order_id = :o "
                    "AND release_at > :at FOR UPDATE"),
            {"u": user, "o": event["order_id"], "at": event["occurred_at"]},
        ).one_or_none()
        if ref is not None:
            _reverse(conn, ref, now)


def _keys(referee_id: str) -> tuple[str, str]:
    return f"referral:{referee_id}:referee", f"referral:{referee_id}:referrer"


LABEL = "referral"  # the label of a clawback entry: the ledger names neither the referee nor their order


def _lot_order(reward_ref: str) -> str:
    """The `order_id` of both referral lots (what `points.take_back` takes them back by): the
    referral's random `reward_ref`, so the members' lots and entries name neither the referee nor
    their order (the referral's own row keeps both, for admins)."""
    return f"referral:{reward_ref}"


def disqualified(occurred_at: datetime, attached_at: datetime, purchased: int, refunded: int, r: Rules) -> str | None:
    """Why a first purchase does not pay (None when it does): made before the code was attached
    (processed late), or its order's net (purchases minus `refunded`: the refunds already processed,
    which may arrive before their purchase, made inside its clawback window) under the floor, or any
    such refund (a refund inside the window reverses both rewards, so it never pays; one made after
    the window changes nothing, whenever it is processed)."""
    if occurred_at < attached_at:
        return "BEFORE_ATTACH"
    if purchased - refunded < r.min_purchase:
        return "UNDER_FLOOR"
    if refunded > 0:
        return "REFUNDED"
    return None


def _qualify(conn: Connection, ref: sa.Row, event: dict, order: sa.Row, now: datetime, r: Rules) -> None:
    order_id, at = event["order_id"], event["occurred_at"]
    release_at = at + timedelta(days=r.clawback_days)  # from the purchase, not from when it was processed
    # Refunds processed before this purchase count only if made inside its window.
    refunded = conn.execute(
        sa.text("SELECT CAST(coalesce(sum(amount), 0) AS bigint) FROM loyalty.early_refunds "
                "WHERE user_id = :u AND order_id = :o AND occurred_at < :until"),
        {"u": ref.referee_id, "o": order_id, "until": release_at},
    ).scalar_one()
    net = order.purchased - refunded
    if disqualified(at, ref.attached_at, order.purchased, refunded, r) is not None:
        conn.execute(
            sa.text("UPDATE loyalty.referrals SET state = 'NOT_QUALIFIED', order_id = :o, first_purchase = :a, qualified_at = :now "
                    "WHERE referee_id = :u"),
            {"u": ref.referee_id, "o": order_id, "a": max(net, 0), "now": now},
        )
        return
    month = leaderboards.period_start("MONTHLY", leaderboards.today(at, r.timezone))  # the purchase's month
    points.lock_account(conn, ref.referrer_id, now)  # serializes the referrer's cap count
    rewarded = conn.execute(
        sa.text("SELECT count(*) FROM loyalty.referrals WHERE referrer_id = :r AND reward_month = :m "
                "AND state = 'QUALIFIED' AND referrer_points > 0"),
        {"r": ref.referrer_id, "m": month},
    ).scalar_one()
    capped = rewarded >= r.monthly_cap
    referee_key, referrer_key = _keys(ref.referee_id)  # idempotency keys: never shown to members
    reward_ref = secrets.token_hex(8)
    common = {"reason": "REFERRAL", "source": "referral", "available_at": release_at, "expiry_days": r.expiry_days, "now": now,
              "order_id": _lot_order(reward_ref)}
    meta: dict = {}  # who and which order stay in loyalty.referrals
    if r.referee_points > 0:
        points.grant_points(conn, user_id=ref.referee_id, points=r.referee_points, idempotency_key=referee_key,
                            label="referral: welcome", meta=meta, **common)
    if r.referrer_points > 0 and not capped:
        points.grant_points(conn, user_id=ref.referrer_id, points=r.referrer_points, idempotency_key=referrer_key,
                            label="referral: friend's first purchase", meta=meta, **common)
    conn.execute(
        sa.text(
            "UPDATE loyalty.referrals SET state = 'QUALIFIED', order_id = :o, first_purchase = :a, qualified_at = :now, "
            "reward_month = :m, release_at = :rel, referee_points = :ep, referrer_points = :rp, referrer_capped = :capped, "
            "reward_ref = :ref WHERE referee_id = :u"
        ),
        {"u": ref.referee_id, "o": order_id, "a": net, "now": now, "m": month, "rel": release_at, "ref": reward_ref,
         "ep": r.referee_points, "rp": 0 if capped else r.referrer_points, "capped": capped},
    )


def _reverse(conn: Connection, ref: sa.Row, now: datetime) -> None:
    """Takes both rewards back through the points mechanics: a lot still held is cancelled; one
    already released (a refund from inside the window processed after it ended) is taken back,
    what was spent of it from the member's other points, and what they no longer have becomes
    debt, paid from their next credit (the balance never goes below zero)."""
    referee_key, referrer_key = _keys(ref.referee_id)
    for user, pts, key in ((ref.referee_id, ref.referee_points, referee_key), (ref.referrer_id, ref.referrer_points, referrer_key)):
        if pts <= 0:
            continue
        points.lock_account(conn, user, now)
        points.settle(conn, [user], now)
        points.take_back(conn, user_id=user, order_id=_lot_order(ref.reward_ref), points=pts, charged_before=0,
                         key=f"{key}:clawback", meta={}, label=LABEL, now=now)
    conn.execute(sa.text("UPDATE loyalty.referrals SET state = 'REVERSED', reversed_at = :now WHERE referee_id = :u"),
                 {"u": ref.referee_id, "now": now})


# ---- reads ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mine:
    code: str
    referred_by: sa.Row | None  # the member's own referral (as referee)
    referrals: list[sa.Row]  # those the member referred, newest first
    next_page_token: str
    rewarded_this_month: int
    monthly_cap: int


def mine(user_id: str, size: int = 0, token: str = "", *, now: datetime | None = None, rules: Rules | None = None) -> Mine:
    """The member's code (created on first use), who referred them, and whom they referred."""
    now = now or datetime.now(UTC)
    r = rules or current_rules()
    scope = {"u": user_id}
    after = pagination.decode(token, scope, shape=(str, str))
    limit = pagination.page_size(size)
    month = leaderboards.period_start("MONTHLY", leaderboards.today(now, r.timezone))
    with db.transaction() as conn:
        code = code_for(conn, user_id, now)
        own = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM loyalty.referrals WHERE referee_id = :u"), {"u": user_id}).one_or_none()
        rows = list(conn.execute(
            sa.text(
                f"SELECT {_COLUMNS} FROM loyalty.referrals WHERE referrer_id = :u "
                "AND (CAST(:at AS timestamptz) IS NULL OR (attached_at, referee_id) < (CAST(:at AS timestamptz), :id)) "
                "ORDER BY attached_at DESC, referee_id DESC LIMIT :n"
            ),
            {"u": user_id, "at": after[0] if after else None, "id": after[1] if after else "", "n": limit + 1},
        ))
        rewarded = conn.execute(
            sa.text("SELECT count(*) FROM loyalty.referrals WHERE referrer_id = :u AND reward_month = :m "
                    "AND state = 'QUALIFIED' AND referrer_points > 0"),
            {"u": user_id, "m": month},
        ).scalar_one()
    page = rows[:limit]
    next_token = pagination.encode([page[-1].attached_at.isoformat(), page[-1].referee_id], scope) if len(rows) > limit else ""
    return Mine(code, own, page, next_token, rewarded, r.monthly_cap)
