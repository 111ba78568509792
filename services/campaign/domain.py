"""Campaign rules without I/O: the status machine, templates, reward values, quiet hours, the
control group and the statistics of a campaign's effect."""

from __future__ import annotations

import hashlib
import math
import re
import string
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from services.common.errors import FieldViolation

# ---------------------------------------------------------------------------------------------
# The status machine: (from, action) -> to. The scheduler's own moves are "start" and "complete".

TRANSITIONS: dict[tuple[str, str], str] = {
    ("DRAFT", "schedule"): "SCHEDULED",
    ("SCHEDULED", "start"): "RUNNING",
    ("RUNNING", "pause"): "PAUSED",
    ("PAUSED", "resume"): "RUNNING",
    ("RUNNING", "complete"): "COMPLETED",
    ("PAUSED", "complete"): "COMPLETED",
    ("DRAFT", "cancel"): "CANCELED",
    ("SCHEDULED", "cancel"): "CANCELED",
    ("RUNNING", "cancel"): "CANCELED",
    ("PAUSED", "cancel"): "CANCELED",
}
ACTION_TARGET = {"schedule": "SCHEDULED", "start": "RUNNING", "pause": "PAUSED", "resume": "RUNNING",
                 "complete": "COMPLETED", "cancel": "CANCELED"}
EDITABLE = frozenset({"DRAFT", "SCHEDULED", "PAUSED"})
EVENTS = ("CART_ABANDONED",)  # what an EVENT campaign may react to
LIVE = frozenset({"SCHEDULED", "RUNNING", "PAUSED"})


def next_status(current: str, action: str) -> str | None:
    """The status `action` leads to from `current`, or None when the move does not exist."""
    return TRANSITIONS.get((current, action))


# ---------------------------------------------------------------------------------------------
# Templates: str.format fields, only the known names, no conversions, specs or attribute access.

PLACEHOLDERS = ("user_id", "reward", "campaign_name", "coupon_code", "offer")


def template_problems(template: str) -> list[str]:
    """What is wrong with a template, as sentences (empty when it is valid)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        return [f"BAD_TEMPLATE: {e} (write {{{{ and }}}} for literal braces)"]
    problems = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            shown = name if name else ""
            problems.append(
                f"UNKNOWN_PLACEHOLDER: {{{shown}}} is not a placeholder; use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
            )
        elif spec or conversion:
            problems.append(f"BAD_TEMPLATE: {{{name}}} takes no conversion or format spec")
    return problems


def render(template: str, values: dict[str, str]) -> str:
    """Fills a validated template; missing values render empty."""
    return template.format_map({p: values.get(p, "") for p in PLACEHOLDERS})


# ---------------------------------------------------------------------------------------------
# Reward values by reward type.

TOKEN_TYPES = ("ROULETTE_COIN", "DICE_TOKEN", "LOTTERY_TICKET", "CC_COIN")
MAX_TOKENS = 1_000_000
MAX_POINTS = 10_000_000
ARM = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Reward:
    """One concrete reward: what to grant a user."""

    type: str  # NONE, TOKEN, POINTS, COUPON
    token_type: str | None = None
    amount: int = 0  # tokens or points
    coupon_id: int | None = None
    expiry_days: int | None = None
    arm: str | None = None  # the offer's arm in an OFFER campaign
    label: str = ""  # the offer's label in an OFFER campaign

    def describe(self) -> str:
        """The reward in words, for the {reward} placeholder (a coupon's code is added when issued)."""
        if self.type == "TOKEN":
            return f"{self.amount} {self.token_type}"
        if self.type == "POINTS":
            return f"{self.amount} points"
        return self.label


# ASCII digits only: str.isdigit() also accepts "²" or "٣", which int() then refuses or reads.
DIGITS = re.compile(r"[0-9]{1,19}")


def _integer(raw, low: int, high: int) -> int | None:
    """A whole number from a JSON value (a Struct number is a double; a string of ASCII digits
    also counts), or None when it is not one within low..high."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str) and DIGITS.fullmatch(raw):
        raw = int(raw)
    return raw if isinstance(raw, int) and low <= raw <= high else None


def _single(reward_type: str, value, path: str) -> tuple[Reward | None, list[FieldViolation]]:
    bad = lambda msg: (None, [FieldViolation(path, msg)])  # noqa: E731
    if not isinstance(value, dict):
        return bad("must be an object")
    keys = set(value)
    if reward_type == "NONE":
        return (Reward("NONE"), []) if not keys else bad("must be empty for reward_type NONE")
    if reward_type == "TOKEN":
        if keys != {"token_type", "amount"}:
            return bad('must be {"token_type": <one of ' + ", ".join(TOKEN_TYPES) + '>, "amount": <1..1000000>}')
        amount = _integer(value["amount"], 1, MAX_TOKENS)
        if value["token_type"] not in TOKEN_TYPES or amount is None:
            return bad(f"token_type must be one of {', '.join(TOKEN_TYPES)} and amount an integer from 1 to {MAX_TOKENS}")
        return Reward("TOKEN", token_type=value["token_type"], amount=amount), []
    if reward_type == "POINTS":
        if not keys <= {"points", "expiry_days"} or "points" not in keys:
            return bad('must be {"points": <1..10000000>} with an optional "expiry_days" (1..3650)')
        points = _integer(value["points"], 1, MAX_POINTS)
        days = _integer(value.get("expiry_days", 365), 1, 3650)
        if points is None or days is None:
            return bad(f"points must be an integer from 1 to {MAX_POINTS} and expiry_days from 1 to 3650")
        return Reward("POINTS", amount=points, expiry_days=days if "expiry_days" in keys else None), []
    if reward_type == "COUPON":
        coupon_id = _integer(value.get("coupon_id"), 1, 2**63 - 1)
        if keys != {"coupon_id"} or coupon_id is None:
            return bad('must be {"coupon_id": "<the template coupon id>"}')
        return Reward("COUPON", coupon_id=coupon_id), []
    return bad(f"reward_type {reward_type} cannot be an offer")


@dataclass(frozen=True)
class RewardSpec:
    """A campaign's reward: one reward, or the offers the learning selection chooses among."""

    reward: Reward | None
    offers: tuple[Reward, ...] = ()

    def by_arm(self, arm: str) -> Reward:
        return next(o for o in self.offers if o.arm == arm)


def parse_reward(reward_type: str, value: dict | None, path: str = "reward_value") -> tuple[RewardSpec | None, list[FieldViolation]]:
    """Checks `value` against `reward_type` and returns what it grants, or the field violations."""
    value = {} if value is None else value
    if not isinstance(value, dict):
        return None, [FieldViolation(path, "must be an object")]
    if reward_type != "OFFER":
        reward, problems = _single(reward_type, value, path)
        return (RewardSpec(reward) if reward else None), problems
    offers = value.get("offers")
    if set(value) != {"offers"} or not isinstance(offers, list) or not 2 <= len(offers) <= 8:
        return None, [FieldViolation(path, 'must be {"offers": [2 to 8 offers]} for reward_type OFFER')]
    parsed, problems, arms = [], [], set()
    for i, offer in enumerate(offers):
        where = f"{path}.offers[{i}]"
        if not isinstance(offer, dict) or not set(offer) <= {"arm", "label", "reward_type", "reward_value"}:
            problems.append(FieldViolation(where, 'must be {"arm", "label", "reward_type", "reward_value"}'))
            continue
        arm, label = offer.get("arm"), offer.get("label", "")
        if not isinstance(arm, str) or not ARM.match(arm) or arm in arms:
            problems.append(FieldViolation(f"{where}.arm", "must be a unique name of lower-case letters, digits and _ (at most 40)"))
            continue
        if not isinstance(label, str) or not 1 <= len(label) <= 200:
            problems.append(FieldViolation(f"{where}.label", "must be 1 to 200 characters"))
            continue
        arms.add(arm)
        given = offer.get("reward_value")
        reward, more = _single(str(offer.get("reward_type", "")), {} if given is None else given, f"{where}.reward_value")
        problems += more
        if reward:
            parsed.append(Reward(**{**reward.__dict__, "arm": arm, "label": label}))
    if problems:
        return None, problems
    return RewardSpec(None, tuple(parsed)), []


# ---------------------------------------------------------------------------------------------
# Text that is stored: PostgreSQL refuses NUL in text, and other control characters have no place
# in a name or message (templates may hold line breaks and tabs).

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEMPLATE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def has_control(text: str | None, *, template: bool = False) -> bool:
    return bool(text) and bool((_CONTROL_IN_TEMPLATE if template else _CONTROL).search(text))


# ---------------------------------------------------------------------------------------------
# Quiet hours, in the campaign's time zone.

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(raw: str) -> time | None:
    m = HHMM.fullmatch(raw or "")  # fullmatch: `$` alone would accept a trailing newline
    return time(int(m.group(1)), int(m.group(2))) if m else None


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo | None:
    """The IANA zone, or None. Membership first: ZoneInfo("Asia") opens a directory (an OSError)
    and other odd names raise ValueError."""
    if name not in _zone_names():
        return None
    try:
        return ZoneInfo(name)
    except (OSError, ValueError):
        return None


def quiet_until(now: datetime, start: time | None, end: time | None, tz: ZoneInfo) -> datetime | None:
    """When the quiet window around `now` ends, or None when `now` is outside it (or there is none).
    A window whose end is before its start spans midnight (22:00 to 08:00)."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=tz)


# ---------------------------------------------------------------------------------------------
# The control group: a stable hash of (campaign, user). CONTROL_SQL computes the same bucket.

CONTROL_SQL = "(('x' || substr(md5({campaign} || ':' || {user}), 1, 8))::bit(32)::bigint % 100)"


def control_bucket(campaign_id: int, user_id: str) -> int:
    """0..99; users whose bucket is below the campaign's control_group_percent are held out."""
    return int(hashlib.md5(f"{campaign_id}:{user_id}".encode()).hexdigest()[:8], 16) % 100


# ---------------------------------------------------------------------------------------------
# Statistics.


@dataclass(frozen=True)
class Effect:
    treated_rate: float
    control_rate: float
    lift: float | None
    p_value: float | None


def effect(delivered: int, redeemed: int, held_out: int, control_converted: int) -> Effect:
    """Conversion of treated and control users, the relative lift, and a two-sided two-proportion
    z-test's p-value (pooled variance)."""
    treated = redeemed / delivered if delivered else 0.0
    control = control_converted / held_out if held_out else 0.0
    # No deliveries means no treated rate to compare: 0% would read as a -100% lift.
    lift = (treated - control) / control if control > 0 and delivered else None
    p_value = None
    if delivered and held_out:
        pooled = (redeemed + control_converted) / (delivered + held_out)
        se = math.sqrt(pooled * (1 - pooled) * (1 / delivered + 1 / held_out))
        p_value = 1.0 if se == 0 else math.erfc(abs(treated - control) / se / math.sqrt(2))
    return Effect(treated, control, lift, p_value)
