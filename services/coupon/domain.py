"""Pure rules of coupons: what a definition must satisfy, whether a user may redeem a coupon now,
what a redemption credits, and how generated codes look. No I/O; `now` is passed in."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from services.common.errors import FieldViolation

TYPES = ("PERCENTAGE", "FIXED", "FREE_SPIN", "BONUS_TOKEN")
FREE_SPIN_TOKEN = "ROULETTE_COIN"
BASIS_POINTS = 10_000  # PERCENTAGE values are basis points of the balance: 1000 = 10%

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,39}")
PREFIX = re.compile(r"[A-Za-z0-9]{1,16}")
# Generated codes: no 0/O, 1/I/L, and no U (fewer accidental words). 30 symbols, 12 of them: about
# 59 bits, far beyond guessing at COUPON_FAILED_REDEEM_LIMIT attempts a minute.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 12


@dataclass(frozen=True)
class Spec:
    """A coupon's terms as an operator writes them (create, update, generation)."""

    type: str
    value: int
    token_type: str | None
    max_value: int | None
    starts_at: datetime | None
    expires_at: datetime | None
    usage_limit: int | None
    per_user_limit: int
    segment: str | None
    campaign: str | None
    description: str


def check_spec(spec: Spec) -> list[FieldViolation]:
    """Every rule the fields break together (single-field limits are declared in the proto)."""
    out = []
    if spec.type == "PERCENTAGE":
        if spec.value > BASIS_POINTS:
            out.append(FieldViolation("value", f"is in basis points for PERCENTAGE: at most {BASIS_POINTS} (100%)"))
        if spec.max_value is None:
            out.append(FieldViolation("max_value", "is required for PERCENTAGE (the most one redemption pays back)"))
    elif spec.max_value is not None:
        out.append(FieldViolation("max_value", "applies only to PERCENTAGE coupons"))
    if spec.token_type is None and spec.type != "FREE_SPIN":
        out.append(FieldViolation("token_type", f"is required for {spec.type}"))
    if spec.starts_at and spec.expires_at and spec.expires_at <= spec.starts_at:
        out.append(FieldViolation("expires_at", "must be after starts_at"))
    return out


def check_code(code: str, field: str = "code") -> list[FieldViolation]:
    if CODE.fullmatch(code):
        return []
    return [FieldViolation(field, "must be 3 to 40 letters, digits, '-' or '_', starting with a letter or digit")]


def credited_token(spec: Spec) -> str:
    """The token type a coupon credits: free spins are roulette coins unless told otherwise."""
    return spec.token_type or FREE_SPIN_TOKEN


def new_code(prefix: str) -> str:
    """A fresh unguessable code `<PREFIX>-<12 symbols>` (or just the symbols without a prefix)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{prefix.upper()}-{body}" if prefix else body


@dataclass(frozen=True)
class Refusal:
    """Why a redemption is refused: a reason of the contract and, for NOT_ELIGIBLE, the cause."""

    reason: str
    cause: str | None = None


@dataclass(frozen=True)
class Standing:
    """What the checks need to know about a coupon and the user, read in one statement."""

    status: str
    starts_at: datetime | None
    expires_at: datetime | None
    assigned_user_id: str | None
    segment: str | None
    usage_limit: int | None
    per_user_limit: int
    live_uses: int  # redemptions plus reservations still holding a use
    user_live_uses: int  # the same, for this user


def refusal(s: Standing, user_id: str, user_segment: str | None, now: datetime, *, count_limits: bool = True) -> Refusal | None:
    """The first check a redemption fails, in the order users find most useful; None when it may
    proceed. `count_limits` is false when a held reservation already counts the use."""
    if s.status != "ACTIVE":
        return Refusal("NOT_ELIGIBLE", "DISABLED")
    if s.starts_at is not None and now < s.starts_at:
        return Refusal("NOT_STARTED")
    if s.expires_at is not None and now >= s.expires_at:
        return Refusal("EXPIRED")
    if s.assigned_user_id is not None and s.assigned_user_id != user_id:
        return Refusal("NOT_ELIGIBLE", "ASSIGNED_TO_ANOTHER_USER")
    if s.segment is not None and s.segment != user_segment:
        return Refusal("NOT_ELIGIBLE", "SEGMENT")
    if count_limits:
        if s.user_live_uses >= s.per_user_limit:
            return Refusal("ALREADY_REDEEMED")
        if s.usage_limit is not None and s.live_uses >= s.usage_limit:
            return Refusal("EXHAUSTED")
    return None


def grant_amount(type_: str, value: int, max_value: int | None, balance: int) -> int:
    """Tokens a redemption credits. PERCENTAGE: `value` basis points of the balance, rounded down,
    capped at `max_value`; the others: `value`."""
    if type_ != "PERCENTAGE":
        return value
    share = balance * value // BASIS_POINTS
    return min(share, max_value) if max_value is not None else share
