"""Pure rules of activity ingestion: what an event must carry, who may send it, its fingerprint.

No I/O here: `now` and the caller's trust are arguments, so tests control both.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.errors import FieldViolation, InvalidArgument, PermissionDenied

# Events that carry money: accepted only from trusted callers (admin, service), never a user token.
# Cart events carry the cart's value (a user could otherwise fake carts to farm recovery offers);
# they never count as purchases.
CART_EVENTS = frozenset({"CART_UPDATED", "CHECKOUT"})
VALUE_BEARING = frozenset({"PURCHASE", "PURCHASE_REFUND", "CHARGE"}) | CART_EVENTS
AMOUNT_REQUIRED = VALUE_BEARING - {"CHECKOUT"}
# Money that moves is at least one minor unit; a cart's value may be 0 (an emptied cart).
POSITIVE_AMOUNT = VALUE_BEARING - CART_EVENTS
ORDER_EVENTS = frozenset({"PURCHASE", "PURCHASE_REFUND"})
MAX_FUTURE_SKEW = timedelta(minutes=5)
MAX_META_BYTES = 4096


@dataclass(frozen=True)
class NewEvent:
    event_id: str  # a UUID in canonical lower-case form
    user_id: str
    event_type: str
    value: int | None
    amount: int | None
    currency: str | None
    category: str | None
    order_id: str | None
    meta: dict | None
    occurred_at: datetime
    occurred_at_given: bool  # sent by the caller, so part of the payload the fingerprint covers

    def meta_json(self) -> str | None:
        return None if self.meta is None else json.dumps(self.meta, sort_keys=True, separators=(",", ":"))


def check(event: NewEvent, *, trusted: bool, now: datetime, currency: str, path: str = "") -> list[FieldViolation]:
    """Returns the field violations of `event`; raises PermissionDenied for what only trusted callers may send."""
    if not trusted and event.event_type in VALUE_BEARING:
        raise PermissionDenied(
            "TRUSTED_CALLER_REQUIRED",
            f"{event.event_type} events are accepted only from trusted services",
            metadata={"event_type": event.event_type},
        )
    if not trusted and event.occurred_at_given:
        raise PermissionDenied("TRUSTED_CALLER_REQUIRED", "occurred_at may be set only by trusted services")
    found: list[FieldViolation] = []

    def bad(name: str, text: str) -> None:
        found.append(FieldViolation(f"{path}{name}", text))

    if not event.user_id:
        bad("user_id", "is required")
    if event.event_type == "PLAY_DURATION" and event.value is None:
        bad("value", "is required for PLAY_DURATION (seconds)")
    if event.event_type in VALUE_BEARING:
        if event.amount is None and event.event_type in AMOUNT_REQUIRED:
            bad("amount", f"is required for {event.event_type}")
        elif event.amount is not None and event.amount < 1 and event.event_type in POSITIVE_AMOUNT:
            bad("amount", "must be at least 1")
        if event.currency is not None and event.currency != currency:
            raise InvalidArgument(
                "CURRENCY_NOT_SUPPORTED",
                f"amounts must be in {currency}, the platform currency",
                metadata={"currency": event.currency, "supported": currency},
                violations=[FieldViolation(f"{path}currency", f"must be {currency}")],
            )
    else:
        for name in ("amount", "currency"):
            if getattr(event, name) is not None:
                bad(name, f"applies only to {', '.join(sorted(VALUE_BEARING))}")
    if event.event_type in ORDER_EVENTS:
        if not event.order_id:
            bad("order_id", f"is required for {event.event_type}")
    else:
        if event.category:
            bad("category", "applies only to PURCHASE and PURCHASE_REFUND")
        if event.order_id and event.event_type not in CART_EVENTS:  # a cart event's order_id is its cart
            bad("order_id", "applies only to PURCHASE, PURCHASE_REFUND, CART_UPDATED and CHECKOUT")
    if event.occurred_at > now + MAX_FUTURE_SKEW:
        bad("occurred_at", "must not be more than 5 minutes in the future")
    meta = event.meta_json()
    if meta is not None and len(meta.encode()) > MAX_META_BYTES:
        bad("meta_json", f"must be at most {MAX_META_BYTES} bytes once serialized")
    return found


def fingerprint(event: NewEvent) -> bytes:
    """A digest of everything the sender said about the event: a replay must match it exactly."""
    said = [
        event.user_id,
        event.event_type,
        event.value,
        event.amount,
        event.currency,
        event.category or None,
        event.order_id or None,
        event.meta,
        event.occurred_at.isoformat() if event.occurred_at_given else None,
    ]
    return hashlib.sha256(json.dumps(said, sort_keys=True, separators=(",", ":")).encode()).digest()[:16]
