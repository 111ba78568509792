"""Pure rules of ingestion: who may send what, what each event must carry, and the payload fingerprint."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.activity import domain
from services.activity.domain import NewEvent
from services.common.errors import InvalidArgument, PermissionDenied

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def event(kind: str = "VISIT", **kw) -> NewEvent:
    base = dict(
        event_id=str(uuid.UUID(int=1)), user_id="u1", event_type=kind, value=None, amount=None, currency=None,
        category=None, order_id=None, meta=None, occurred_at=NOW, occurred_at_given=False,
    )
    return NewEvent(**{**base, **kw})


def problems(e: NewEvent, trusted: bool = True) -> set[str]:
    return {v.field for v in domain.check(e, trusted=trusted, now=NOW, currency="KRW")}


@pytest.mark.parametrize("kind", sorted(domain.VALUE_BEARING))
def test_value_bearing_events_need_a_trusted_caller(kind):
    order = "o" if kind in domain.ORDER_EVENTS else None
    with pytest.raises(PermissionDenied) as e:
        domain.check(event(kind, amount=1, order_id=order), trusted=False, now=NOW, currency="KRW")
    assert e.value.reason == "TRUSTED_CALLER_REQUIRED"
    assert problems(event(kind, amount=1, order_id=order, currency="KRW")) == set()


def test_users_may_not_date_their_events():
    with pytest.raises(PermissionDenied):
        domain.check(event(occurred_at_given=True), trusted=False, now=NOW, currency="KRW")


def test_each_event_type_carries_what_it_needs():
    assert problems(event("PLAY_DURATION")) == {"value"}
    assert problems(event("PURCHASE")) == {"amount", "order_id"}
    assert problems(event("CHARGE")) == {"amount"}
    assert problems(event("VISIT", amount=5, currency="KRW", order_id="o", category="c")) == {"amount", "currency", "order_id", "category"}
    assert problems(event(user_id="")) == {"user_id"}


def test_money_must_be_in_the_platform_currency():
    with pytest.raises(InvalidArgument) as e:
        domain.check(event("PURCHASE", amount=5, order_id="o", currency="USD"), trusted=True, now=NOW, currency="KRW")
    assert e.value.reason == "CURRENCY_NOT_SUPPORTED"


def test_occurred_at_may_be_slightly_but_not_far_in_the_future():
    assert problems(event(occurred_at=NOW + timedelta(minutes=4))) == set()
    assert problems(event(occurred_at=NOW + timedelta(minutes=6))) == {"occurred_at"}


def test_meta_json_is_capped_at_4_kib():
    assert problems(event(meta={"k": "x" * 4000})) == set()
    assert problems(event(meta={"k": "x" * 4100})) == {"meta_json"}


def test_the_fingerprint_covers_the_payload_but_not_server_time():
    e = event("ROULETTE_PLAY", meta={"a": 1, "b": 2})
    assert domain.fingerprint(e) == domain.fingerprint(replace(e, meta={"b": 2, "a": 1}))
    assert domain.fingerprint(e) == domain.fingerprint(replace(e, occurred_at=NOW + timedelta(seconds=3)))
    for changed in (replace(e, user_id="u2"), replace(e, event_type="DICE_PLAY"), replace(e, value=1), replace(e, meta={"a": 2})):
        assert domain.fingerprint(changed) != domain.fingerprint(e)
    dated = replace(e, occurred_at_given=True)
    assert domain.fingerprint(dated) != domain.fingerprint(replace(dated, occurred_at=NOW + timedelta(seconds=3)))
