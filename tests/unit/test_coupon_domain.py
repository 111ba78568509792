"""Pure coupon rules: definitions, the order of refusals, what a redemption credits, generated codes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.coupon import domain
from services.coupon.domain import Refusal, Spec, Standing

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SPEC = Spec("FIXED", 10, "CC_COIN", None, None, None, None, 1, None, None, "")
OPEN = Standing("ACTIVE", None, None, None, None, usage_limit=10, per_user_limit=1, live_uses=0, user_live_uses=0)


def test_definitions_are_checked_together():
    assert domain.check_spec(SPEC) == []
    pct = replace(SPEC, type="PERCENTAGE", value=10_001)
    assert {v.field for v in domain.check_spec(pct)} == {"value", "max_value"}
    assert {v.field for v in domain.check_spec(replace(SPEC, max_value=5))} == {"max_value"}
    assert {v.field for v in domain.check_spec(replace(SPEC, token_type=None))} == {"token_type"}
    assert domain.check_spec(replace(SPEC, type="FREE_SPIN", token_type=None)) == []
    assert domain.credited_token(replace(SPEC, type="FREE_SPIN", token_type=None)) == "ROULETTE_COIN"
    window = replace(SPEC, starts_at=NOW, expires_at=NOW)
    assert {v.field for v in domain.check_spec(window)} == {"expires_at"}


def test_codes_are_letters_digits_dash_and_underscore():
    assert domain.check_code("WELCOME-10_a") == []
    for bad in ("AB", "-LEADING", "with space", "x" * 41, "ÜBER10"):
        assert domain.check_code(bad), bad


def test_refusals_come_in_a_fixed_order():
    assert domain.refusal(OPEN, "u", None, NOW) is None
    everything_wrong = replace(OPEN, status="DISABLED", starts_at=NOW + timedelta(1), live_uses=10, user_live_uses=1)
    assert domain.refusal(everything_wrong, "u", None, NOW) == Refusal("NOT_ELIGIBLE", "DISABLED")
    assert domain.refusal(replace(OPEN, starts_at=NOW + timedelta(seconds=1)), "u", None, NOW) == Refusal("NOT_STARTED")
    assert domain.refusal(replace(OPEN, starts_at=NOW), "u", None, NOW) is None
    assert domain.refusal(replace(OPEN, expires_at=NOW), "u", None, NOW) == Refusal("EXPIRED")  # expires_at is exclusive
    assert domain.refusal(replace(OPEN, assigned_user_id="v"), "u", None, NOW) == Refusal("NOT_ELIGIBLE", "ASSIGNED_TO_ANOTHER_USER")
    assert domain.refusal(replace(OPEN, segment="VIP"), "u", "NEW", NOW) == Refusal("NOT_ELIGIBLE", "SEGMENT")
    assert domain.refusal(replace(OPEN, segment="VIP"), "u", "VIP", NOW) is None
    both = replace(OPEN, live_uses=10, user_live_uses=1)
    assert domain.refusal(both, "u", None, NOW) == Refusal("ALREADY_REDEEMED")  # the user's own limit first
    assert domain.refusal(replace(OPEN, live_uses=10), "u", None, NOW) == Refusal("EXHAUSTED")
    assert domain.refusal(both, "u", None, NOW, count_limits=False) is None  # a held reservation counts already
    assert domain.refusal(replace(OPEN, usage_limit=None, live_uses=10**9), "u", None, NOW) is None


def test_a_percentage_is_basis_points_of_the_balance_rounded_down_and_capped():
    assert domain.grant_amount("PERCENTAGE", 1000, 500, 1234) == 123
    assert domain.grant_amount("PERCENTAGE", 1000, 500, 100_000) == 500
    assert domain.grant_amount("PERCENTAGE", 1, 500, 9_999) == 0
    assert domain.grant_amount("BONUS_TOKEN", 7, None, 1_000_000) == 7


def test_generated_codes_use_the_unambiguous_alphabet():
    codes = {domain.new_code("spring") for _ in range(1000)}
    assert len(codes) == 1000
    assert all(c.startswith("SPRING-") and len(c) == 19 and set(c[7:]) <= set(domain.ALPHABET) for c in codes)
    assert not set("01ILOU") & set(domain.ALPHABET)
    assert len(domain.new_code("")) == 12
