"""Campaign rules without I/O: the status machine, templates, reward values, quiet hours, the
control-group hash and the effect statistics."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.campaign import domain

STATUSES = ("DRAFT", "SCHEDULED", "RUNNING", "PAUSED", "COMPLETED", "CANCELED")
ACTIONS = ("schedule", "start", "pause", "resume", "complete", "cancel")
ALLOWED = {
    ("DRAFT", "schedule"): "SCHEDULED",
    ("DRAFT", "cancel"): "CANCELED",
    ("SCHEDULED", "start"): "RUNNING",
    ("SCHEDULED", "cancel"): "CANCELED",
    ("RUNNING", "pause"): "PAUSED",
    ("RUNNING", "complete"): "COMPLETED",
    ("RUNNING", "cancel"): "CANCELED",
    ("PAUSED", "resume"): "RUNNING",
    ("PAUSED", "complete"): "COMPLETED",
    ("PAUSED", "cancel"): "CANCELED",
}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_only_the_documented_moves_exist(status, action):
    assert domain.next_status(status, action) == ALLOWED.get((status, action))


def test_finished_campaigns_cannot_move_and_only_drafts_scheduled_and_paused_are_editable():
    assert all(domain.next_status(s, a) is None for s in ("COMPLETED", "CANCELED") for a in ACTIONS)
    assert domain.EDITABLE == {"DRAFT", "SCHEDULED", "PAUSED"}
    assert all(domain.ACTION_TARGET[a] == t for (_, a), t in ALLOWED.items())


# ---- templates ---------------------------------------------------------------------------------

def test_known_placeholders_render_and_doubled_braces_are_literal():
    template = "Hi {user_id}, {campaign_name} gives you {reward} {{really}} {coupon_code}{offer}"
    assert domain.template_problems(template) == []
    out = domain.render(template, {"user_id": "u1", "campaign_name": "Spring", "reward": "2 DICE_TOKEN"})
    assert out == "Hi u1, Spring gives you 2 DICE_TOKEN {really} "


@pytest.mark.parametrize(
    "template, start",
    [
        ("Hello {name}", "UNKNOWN_PLACEHOLDER: {name}"),
        ("Hello {}", "UNKNOWN_PLACEHOLDER: {}"),
        ("Hello {0}", "UNKNOWN_PLACEHOLDER: {0}"),
        ("Hello {user_id.__class__}", "UNKNOWN_PLACEHOLDER"),
        ("Hello {user_id[0]}", "UNKNOWN_PLACEHOLDER"),
        ("Hello {user_id!r}", "BAD_TEMPLATE: {user_id} takes no conversion"),
        ("Hello {reward:>10}", "BAD_TEMPLATE: {reward} takes no conversion"),
        ("Hello {user_id", "BAD_TEMPLATE"),
        ("Hello }", "BAD_TEMPLATE"),
    ],
)
def test_bad_templates_are_named(template, start):
    problems = domain.template_problems(template)
    assert len(problems) == 1 and problems[0].startswith(start), problems


def test_every_unknown_placeholder_is_reported():
    assert [p.split(":")[0] for p in domain.template_problems("{a} {user_id} {b}")] == ["UNKNOWN_PLACEHOLDER"] * 2


# ---- rewards -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "reward_type, value, expected",
    [
        ("NONE", {}, domain.Reward("NONE")),
        ("NONE", None, domain.Reward("NONE")),
        ("TOKEN", {"token_type": "DICE_TOKEN", "amount": 2}, domain.Reward("TOKEN", token_type="DICE_TOKEN", amount=2)),
        ("TOKEN", {"token_type": "CC_COIN", "amount": 5.0}, domain.Reward("TOKEN", token_type="CC_COIN", amount=5)),
        ("POINTS", {"points": 500}, domain.Reward("POINTS", amount=500)),
        ("POINTS", {"points": "500", "expiry_days": 30}, domain.Reward("POINTS", amount=500, expiry_days=30)),
        ("COUPON", {"coupon_id": "12"}, domain.Reward("COUPON", coupon_id=12)),
        ("COUPON", {"coupon_id": 12.0}, domain.Reward("COUPON", coupon_id=12)),
    ],
)
def test_reward_values_that_fit_their_type(reward_type, value, expected):
    spec, problems = domain.parse_reward(reward_type, value)
    assert problems == [] and spec == domain.RewardSpec(expected)


@pytest.mark.parametrize(
    "reward_type, value",
    [
        ("NONE", {"amount": 1}),
        ("TOKEN", {"token_type": "DICE_TOKEN"}),
        ("TOKEN", {"token_type": "GOLD", "amount": 2}),
        ("TOKEN", {"token_type": "DICE_TOKEN", "amount": 0}),
        ("TOKEN", {"token_type": "DICE_TOKEN", "amount": 2.5}),
        ("TOKEN", {"token_type": "DICE_TOKEN", "amount": True}),
        ("TOKEN", {"token_type": "DICE_TOKEN", "amount": 1_000_001}),
        ("TOKEN", {"token_type": "DICE_TOKEN", "amount": 2, "extra": 1}),
        ("POINTS", {}),
        ("POINTS", {"points": -5}),
        ("POINTS", {"points": 5, "expiry_days": 0}),
        ("COUPON", {"coupon_id": "abc"}),
        ("COUPON", {}),
        ("OFFER", {"offers": []}),
        # Not objects, and numbers that only look like ASCII digits.
        ("TOKEN", [[1]]),
        ("NONE", 5),
        ("OFFER", [{"offers": []}]),
        ("TOKEN", {"token_type": "DICE_TOKEN", "amount": "\u00b2"}),
        ("TOKEN", {"token_type": "DICE_TOKEN", "amount": "\u0663"}),
        ("TOKEN", {"token_type": "DICE_TOKEN", "amount": " 2"}),
        ("POINTS", {"points": "12345678901234567890"}),
        ("COUPON", {"coupon_id": "\uff11\uff12"}),
    ],
)
def test_reward_values_that_do_not_fit_are_refused_on_the_field(reward_type, value):
    spec, problems = domain.parse_reward(reward_type, value)
    assert spec is None and [p.field for p in problems] == ["reward_value"]


def test_offers_parse_with_their_arms_and_each_bad_offer_is_named():
    offers = [
        {"arm": "free_shipping", "label": "Free shipping", "reward_type": "COUPON", "reward_value": {"coupon_id": "7"}},
        {"arm": "double_points", "label": "2x points", "reward_type": "POINTS", "reward_value": {"points": 200}},
    ]
    spec, problems = domain.parse_reward("OFFER", {"offers": offers})
    assert problems == [] and spec.reward is None
    assert [(o.arm, o.type, o.coupon_id, o.amount) for o in spec.offers] == [("free_shipping", "COUPON", 7, 0), ("double_points", "POINTS", None, 200)]
    assert spec.by_arm("double_points").label == "2x points"

    bad = offers + [{**offers[0]}, {"arm": "x", "label": "X", "reward_type": "OFFER", "reward_value": {}}]
    spec, problems = domain.parse_reward("OFFER", {"offers": bad})
    assert spec is None
    assert [p.field for p in problems] == ["reward_value.offers[2].arm", "reward_value.offers[3].reward_value"]


# ---- quiet hours -------------------------------------------------------------------------------

SEOUL = ZoneInfo("Asia/Seoul")


def seoul(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SEOUL).astimezone(UTC)


@pytest.mark.parametrize("raw, parsed", [("00:00", time(0, 0)), ("23:59", time(23, 59)), ("9:00", None), ("24:00", None), ("12:60", None), ("", None), ("12:00\n", None)])
def test_hhmm(raw, parsed):
    assert domain.parse_hhmm(raw) == parsed


def test_a_daytime_window_holds_messages_until_it_ends():
    start, end = time(12, 0), time(14, 0)
    assert domain.quiet_until(seoul(13, 30), start, end, SEOUL) == datetime(2026, 3, 10, 14, 0, tzinfo=SEOUL)
    assert domain.quiet_until(seoul(12, 0), start, end, SEOUL) == datetime(2026, 3, 10, 14, 0, tzinfo=SEOUL)
    assert domain.quiet_until(seoul(14, 0), start, end, SEOUL) is None  # the end is outside
    assert domain.quiet_until(seoul(11, 59), start, end, SEOUL) is None


def test_a_window_spanning_midnight_ends_the_next_morning():
    start, end = time(22, 0), time(8, 0)
    assert domain.quiet_until(seoul(23, 0), start, end, SEOUL) == datetime(2026, 3, 11, 8, 0, tzinfo=SEOUL)
    assert domain.quiet_until(seoul(22, 0), start, end, SEOUL) == datetime(2026, 3, 11, 8, 0, tzinfo=SEOUL)
    assert domain.quiet_until(seoul(3, 0), start, end, SEOUL) == datetime(2026, 3, 10, 8, 0, tzinfo=SEOUL)
    assert domain.quiet_until(seoul(8, 0), start, end, SEOUL) is None
    assert domain.quiet_until(seoul(15, 0), start, end, SEOUL) is None


def test_quiet_hours_are_read_in_the_campaigns_zone_and_none_means_off():
    utc_now = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # 23:00 in Seoul, 14:00 in London
    assert domain.quiet_until(utc_now, time(22, 0), time(8, 0), SEOUL) is not None
    assert domain.quiet_until(utc_now, time(22, 0), time(8, 0), ZoneInfo("Europe/London")) is None
    assert domain.quiet_until(utc_now, None, None, SEOUL) is None
    assert domain.quiet_until(utc_now, time(9, 0), time(9, 0), SEOUL) is None
    assert domain.zone("Asia/Seoul") == SEOUL and domain.zone("Mars/Olympus") is None and domain.zone("../etc") is None


# ---- control group -----------------------------------------------------------------------------

def test_the_control_bucket_is_stable_per_user_and_campaign_and_roughly_uniform():
    assert domain.control_bucket(7, "u-1") == domain.control_bucket(7, "u-1")
    buckets = [domain.control_bucket(7, f"u-{i}") for i in range(20_000)]
    assert all(0 <= b < 100 for b in buckets)
    held = sum(b < 10 for b in buckets)
    assert 1_700 < held < 2_300  # 10 % of 20,000 within ~7 standard deviations
    assert max(Counter(buckets).values()) < 300
    other = [domain.control_bucket(8, f"u-{i}") for i in range(1000)]
    assert other != buckets[:1000]  # another campaign draws another group


# ---- effect ------------------------------------------------------------------------------------

def _two_sided_p(x1: int, n1: int, x2: int, n2: int) -> float:
    p = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return 2 * (1 - statistics.NormalDist().cdf(abs(z)))


def test_effect_rates_lift_and_p_value():
    e = domain.effect(delivered=1000, redeemed=120, held_out=1000, control_converted=100)
    assert (e.treated_rate, e.control_rate) == (0.12, 0.1)
    assert e.lift == pytest.approx(0.2)
    assert e.p_value == pytest.approx(_two_sided_p(120, 1000, 100, 1000), rel=1e-9)
    assert e.p_value == pytest.approx(0.1529, abs=1e-3)
    worse = domain.effect(delivered=200, redeemed=10, held_out=50, control_converted=5)
    assert worse.lift == pytest.approx(-0.5) and worse.p_value == pytest.approx(_two_sided_p(10, 200, 5, 50), rel=1e-9)


def test_offer_reward_values_that_are_not_objects_are_named():
    for bad in ([[1]], 5, "x", [1, 2]):
        offers = [{"arm": "a", "label": "A", "reward_type": "TOKEN", "reward_value": bad},
                  {"arm": "b", "label": "B", "reward_type": "NONE", "reward_value": {}}]
        spec, problems = domain.parse_reward("OFFER", {"offers": offers})
        assert spec is None and [(p.field, p.description) for p in problems] == [
            ("reward_value.offers[0].reward_value", "must be an object")], bad


@pytest.mark.parametrize("name, ok", [("Asia/Seoul", True), ("UTC", True), ("Asia", False), ("America", False),
                                      ("../etc/passwd", False), ("/etc/localtime", False), ("Asia/Seoul\x00", False), ("", False)])
def test_only_iana_zone_names_are_zones(name, ok):
    assert (domain.zone(name) is not None) == ok


def test_control_characters_except_line_breaks_and_tabs_in_templates():
    assert not domain.has_control("plain text ünïcode") and not domain.has_control(None)
    assert all(domain.has_control(f"a{c}b") for c in ("\x00", "\x1b", "\x7f", "\x85", "\n", "\t"))
    assert not domain.has_control("line\n\tindented", template=True)
    assert domain.has_control("a\rb", template=True) and domain.has_control("a\x00", template=True)


def test_effect_edge_cases():
    assert domain.effect(0, 0, 0, 0) == domain.Effect(0.0, 0.0, None, None)
    # Nothing delivered yet, control converting: no lift (not -100%).
    assert domain.effect(0, 0, 10, 3).lift is None
    no_control = domain.effect(100, 10, 0, 0)
    assert (no_control.treated_rate, no_control.lift, no_control.p_value) == (0.1, None, None)
    no_control_conversions = domain.effect(100, 10, 20, 0)
    assert no_control_conversions.lift is None and 0 < no_control_conversions.p_value < 1
    assert domain.effect(100, 0, 100, 0).p_value == 1.0  # nobody converted anywhere: no evidence
