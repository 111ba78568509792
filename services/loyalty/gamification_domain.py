"""Pure rules of streaks, badges and challenges: how a day moves a streak (freezes, milestones), what
a badge or challenge condition counts, and which counters an event moves.

No I/O: `day`/`today` (already in the platform timezone) and the settings are arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.common.errors import FieldViolation

STREAK_TYPES = ("daily_visit", "purchase")
# Which activity events move which streak: a login counts as a visit.
STREAK_OF_EVENT = {"VISIT": "daily_visit", "LOGIN": "daily_visit", "PURCHASE": "purchase"}
# Events that can change anything here; others are ignored without touching the database.
GAMIFIED_EVENTS = frozenset({"VISIT", "LOGIN", "PURCHASE", "REVIEW"})

BADGE_CONDITIONS = ("first_purchase", "review_count", "streak", "category", "amount", "collection", "challenge")
CHALLENGE_TYPES = ("purchase_count", "purchase_amount", "category", "streak")
MAX_TARGET = 10**15


@dataclass(frozen=True)
class StreakRules:
    milestones: Mapping[int, int] = field(default_factory=lambda: {7: 500, 30: 3000, 100: 10000})  # day -> points
    max_freezes: int = 2
    freeze_milestones: frozenset[int] = frozenset({7, 30})  # each earns one freeze
    timezone: str = "Asia/Seoul"

    @classmethod
    def from_settings(cls, s) -> StreakRules:
        return cls(
            milestones=dict(s.loyalty_streak_milestones),
            max_freezes=s.loyalty_streak_max_freezes,
            freeze_milestones=frozenset(s.loyalty_streak_freeze_milestones),
            timezone=s.timezone,
        )

    def day(self, at: datetime) -> date:
        return at.astimezone(ZoneInfo(self.timezone)).date()


# ---- streaks ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StreakState:
    current: int = 0
    max: int = 0
    last_day: date | None = None
    run_start: date | None = None
    freezes: int = 0


@dataclass(frozen=True)
class StreakStep:
    """What one active day did to a streak."""

    state: StreakState
    advanced: bool  # False: the day was already counted (same day, or an older event)
    is_record: bool  # the streak is now longer than any before
    broken: bool
    previous: int  # the length before a break (0 otherwise)
    freezes_used: int
    milestones: tuple[tuple[int, int], ...]  # (day, points) reached now
    freezes_earned: int


def advance(s: StreakState, day: date, rules: StreakRules) -> StreakStep:
    """The streak after an active `day`.

    Same day (or an event older than the last counted day): nothing changes. Next day: +1. A gap of
    N missed days is bridged when the member holds at least N freezes, using N of them (frozen days
    do not count, the active day does); with fewer, the streak breaks to 1 and the freezes are kept
    for a later run (half a bridge would be spent for nothing). Milestones are the days reached by
    this step; each milestone in `freeze_milestones` earns a freeze, up to `max_freezes`.
    """
    if s.last_day is not None and day <= s.last_day:
        return StreakStep(s, False, False, False, 0, 0, (), 0)
    missed = (day - s.last_day).days - 1 if s.last_day is not None else 0
    broken = s.last_day is not None and missed > s.freezes
    used = 0 if broken else missed
    if s.last_day is None or broken:
        current, run_start = 1, day
    else:
        current, run_start = s.current + 1, s.run_start or day
    reached = tuple((d, p) for d, p in sorted(rules.milestones.items()) if d == current)
    freezes = s.freezes - used
    earned = min(int(current in rules.freeze_milestones), max(rules.max_freezes - freezes, 0))
    state = StreakState(current, max(s.max, current), day, run_start, freezes + earned)
    return StreakStep(state, True, current > s.max, broken, s.current if broken else 0, used, reached, earned)


def alive(s: StreakState, today: date) -> int:
    """The streak as the member sees it today: 0 once the missed days are more than the freezes
    could bridge (the stored row changes only at the next active day)."""
    if s.last_day is None:
        return 0
    missed = (today - s.last_day).days - 1
    return s.current if missed <= s.freezes else 0


def next_milestone(current: int, milestones: Mapping[int, int]) -> int | None:
    ahead = [d for d in milestones if d > current]
    return min(ahead) if ahead else None


# ---- counters ------------------------------------------------------------------------------------

def counters_for(event_type: str, amount: int, category: str | None) -> list[tuple[str, int]]:
    """(counter, delta) an event adds. Badges compare these with their targets."""
    if event_type == "PURCHASE":
        out = [("purchases", 1), ("purchase_amount", max(amount, 0))]
        if category:
            out += [(f"category_count:{category}", 1), (f"category_amount:{category}", max(amount, 0))]
        return out
    if event_type == "REVIEW":
        return [("reviews", 1)]
    return []


def streak_counter(streak_type: str) -> str:
    """The best streak of a type: set (never added) when a streak grows."""
    return f"streak_max:{streak_type}"


# ---- badge and challenge conditions ---------------------------------------------------------------

def _positive(value: dict, key: str, path: str, problems: list[FieldViolation], default: int | None = None) -> int:
    raw = value.get(key, default)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or int(raw) != raw or not 1 <= raw <= MAX_TARGET:
        problems.append(FieldViolation(f"{path}.{key}", f"must be a whole number from 1 to {MAX_TARGET}"))
        return 1
    return int(raw)


def _category(value: dict, path: str, problems: list[FieldViolation]) -> str:
    raw = value.get("category")
    if not isinstance(raw, str) or not 1 <= len(raw) <= 64:
        problems.append(FieldViolation(f"{path}.category", "must be a category name of 1 to 64 characters"))
        return ""
    return raw


@dataclass(frozen=True)
class BadgeRule:
    counter: str | None  # None: a collection, counted over the member's badges
    target: int


def badge_rule(condition_type: str, value: dict, path: str = "condition_value") -> tuple[BadgeRule, list[FieldViolation]]:
    """The counter a badge watches and the value that earns it, from its condition:
    first_purchase {}; review_count {"count"}; streak {"days", "streak_type"?: daily_visit};
    category {"category", "count"?: 1} or {"category", "min_amount"} (spend in the category);
    amount {"min_amount"} (cumulative purchases); collection {"badges": [codes]};
    challenge {"count"?: 1} (challenges completed)."""
    p: list[FieldViolation] = []
    if condition_type == "first_purchase":
        rule = BadgeRule("purchases", 1)
    elif condition_type == "review_count":
        rule = BadgeRule("reviews", _positive(value, "count", path, p))
    elif condition_type == "streak":
        kind = value.get("streak_type", "daily_visit")
        if kind not in STREAK_TYPES:
            p.append(FieldViolation(f"{path}.streak_type", "must be daily_visit or purchase"))
        rule = BadgeRule(streak_counter(kind), _positive(value, "days", path, p))
    elif condition_type == "category":
        cat = _category(value, path, p)
        if "min_amount" in value:
            rule = BadgeRule(f"category_amount:{cat}", _positive(value, "min_amount", path, p))
        else:
            rule = BadgeRule(f"category_count:{cat}", _positive(value, "count", path, p, default=1))
    elif condition_type == "amount":
        rule = BadgeRule("purchase_amount", _positive(value, "min_amount", path, p))
    elif condition_type == "collection":
        codes = value.get("badges")
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and c for c in codes) or len(set(codes)) != len(codes):
            p.append(FieldViolation(f"{path}.badges", "must list distinct badge codes"))
            codes = [""]
        rule = BadgeRule(None, len(codes))
    elif condition_type == "challenge":
        rule = BadgeRule("challenges_completed", _positive(value, "count", path, p, default=1))
    else:
        p.append(FieldViolation("condition_type", f"must be one of {', '.join(BADGE_CONDITIONS)}"))
        rule = BadgeRule(None, 1)
    return rule, p


@dataclass(frozen=True)
class ChallengeRule:
    target: int
    category: str | None


def challenge_rule(challenge_type: str, value: dict, path: str = "target_value") -> tuple[ChallengeRule, list[FieldViolation]]:
    """What a challenge counts: purchase_count {"count"}; purchase_amount {"amount"}; category
    {"category", "count"} (purchases in it); streak {"days"} (consecutive visit days after joining)."""
    p: list[FieldViolation] = []
    if challenge_type == "purchase_count":
        rule = ChallengeRule(_positive(value, "count", path, p), None)
    elif challenge_type == "purchase_amount":
        rule = ChallengeRule(_positive(value, "amount", path, p), None)
    elif challenge_type == "category":
        cat = _category(value, path, p)
        rule = ChallengeRule(_positive(value, "count", path, p, default=1), cat)
    elif challenge_type == "streak":
        rule = ChallengeRule(_positive(value, "days", path, p), None)
    else:
        p.append(FieldViolation("challenge_type", f"must be one of {', '.join(CHALLENGE_TYPES)}"))
        rule = ChallengeRule(1, None)
    return rule, p


def challenge_step(challenge_type: str, event_type: str, amount: int) -> int:
    """What one event adds to a counting challenge (streak challenges follow the streak instead)."""
    if event_type != "PURCHASE":
        return 0
    return max(amount, 0) if challenge_type == "purchase_amount" else 1


def streak_progress(streak: int, joined_day: date, day: date) -> int:
    """A streak challenge counts only the run's days since joining."""
    return min(streak, (day - joined_day).days + 1)


def days_left(end_date: date, today: date) -> int:
    """Days left including today: 1 on the last day, 0 once over."""
    return max((end_date - today).days + 1, 0)


def check_reward(reward: dict, token_types: tuple[str, ...], path: str = "reward") -> list[FieldViolation]:
    p: list[FieldViolation] = []
    if reward.get("points", 0) < 0:
        p.append(FieldViolation(f"{path}.points", "must not be negative"))
    for i, t in enumerate(reward.get("tokens", [])):
        if t.get("token_type") not in token_types:
            p.append(FieldViolation(f"{path}.tokens[{i}].token_type", f"must be one of {', '.join(token_types)}"))
        if not 1 <= t.get("amount", 0) <= 1_000_000:
            p.append(FieldViolation(f"{path}.tokens[{i}].amount", "must be from 1 to 1000000"))
    return p
