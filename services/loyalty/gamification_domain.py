"""Pure rules of streaks, badges and challenges: how a day moves a streak (freezes, milestones), what
a badge or challenge condition counts, and which counters an event moves.

No I/O: `day`/`today` (already in the platform timezone) and the settings are arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.common.errors import FieldViolation

STREAK_TYPES = ("daily_visit", "purchase")
# Which activity events move which streak: a login counts as a visit.
STREAK_OF_EVENT = {"VISIT": "daily_visit", "LOGIN": "daily_visit", "PURCHASE": "purchase"}
# Events that can change anything here; others are ignored without touching the database.
GAMIFIED_EVENTS = frozenset({"VISIT", "LOGIN", "PURCHASE", "PURCHASE_REFUND", "REVIEW"})
# Events that only move a streak: one on a day already counted changes nothing at all.
VISIT_EVENTS = frozenset({"VISIT", "LOGIN"})

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
    run_freezes_used: int = 0  # freezes the current run spent on its gaps (given back if a late day fills one)


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
        current, run_start, run_used = 1, day, 0
    else:
        current, run_start, run_used = s.current + 1, s.run_start or day, s.run_freezes_used + used
    reached = tuple((d, p) for d, p in sorted(rules.milestones.items()) if d == current)
    freezes = s.freezes - used
    earned = min(int(current in rules.freeze_milestones), max(rules.max_freezes - freezes, 0))
    state = StreakState(current, max(s.max, current), day, run_start, freezes + earned, run_used)
    return StreakStep(state, True, current > s.max, broken, s.current if broken else 0, used, reached, earned)


def rebuild(s: StreakState, days: Sequence[date], rules: StreakRules, paid: Mapping[date, int] | None = None) -> StreakStep:
    """The streak after a late event added an active day before `s.last_day`; `days` are every
    active day counted up to `s.last_day`, the late one included, newest first; `paid` the freezes
    already spent on the missed days just before a day (the stored `bridged` of each day).

    The run is rebuilt from the stored days as they would have been counted in order: walking back
    from the last day, each gap of missed days costs its days less what was already paid for it (by
    this run or an older one: never paid twice), while the freezes the member holds cover the cost.
    A late day that fills a gap a freeze bridged costs less than was paid: the freeze comes back
    (never past `max_freezes`, or the freezes already held when more). The run only grows: milestones
    between the old and the new length are reached now (their points keyed by the new run start, so
    a milestone the same run start already paid is not paid twice), and freeze milestones among them
    earn freezes up to the cap. `advanced` is False when the late day joins no run (it is only
    stored). The caller re-stores each run day's gap as paid."""
    paid = paid or {}
    cost, gaps, count, start = 0, 0, 1, days[0]
    for prev in days[1:]:
        gap = (start - prev).days - 1
        step_cost = gap - paid.get(start, 0)
        if cost + step_cost > s.freezes:
            break
        cost, gaps, count, start = cost + step_cost, gaps + gap, count + 1, prev
    if count <= s.current:
        return StreakStep(s, False, False, False, 0, 0, (), 0)
    reached = tuple((d, p) for d, p in sorted(rules.milestones.items()) if s.current < d <= count)
    freezes = min(s.freezes - cost, max(rules.max_freezes, s.freezes))
    crossed = sum(1 for d in rules.freeze_milestones if s.current < d <= count)
    earned = min(crossed, max(rules.max_freezes - freezes, 0))
    state = StreakState(count, max(s.max, count), s.last_day, start, freezes + earned, gaps)
    return StreakStep(state, True, count > s.max, False, 0, 0, reached, earned)


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

@dataclass(frozen=True)
class OrderTotals:
    """An order as gamification counts it: PURCHASE events seen, amounts purchased and refunded."""

    purchases: int = 0
    purchased: int = 0
    refunded: int = 0

    @property
    def counted(self) -> int:
        """1 while the order counts as a purchase: purchased and not fully refunded."""
        return int(self.purchases > 0 and (self.purchased > self.refunded or self.refunded == 0))

    @property
    def net(self) -> int:
        return max(self.purchased - self.refunded, 0) if self.purchases else 0


@dataclass(frozen=True)
class OrderMove:
    count: int  # +1 when the order starts counting as a purchase, -1 when a refund empties it
    amount: int  # what the order's net amount moved (negative for a refund)

    def counters(self, category: str | None) -> list[tuple[str, int]]:
        """(counter, delta) the move adds. Badges compare these with their targets."""
        out: list[tuple[str, int]] = []
        if self.count:
            out += [("purchases", self.count)] + ([(f"category_count:{category}", self.count)] if category else [])
        if self.amount:
            out += [("purchase_amount", self.amount)] + ([(f"category_amount:{category}", self.amount)] if category else [])
        return out


def order_move(before: OrderTotals, after: OrderTotals) -> OrderMove:
    """What a purchase or refund of an order moves: a refund takes back exactly what its order added
    (its share of the amount; the purchase itself once nothing of the order is left), whatever order
    the two events arrive in."""
    return OrderMove(after.counted - before.counted, after.net - before.net)


def refund_take(challenge_type: str, contributed: int, counted: bool, drop: OrderMove) -> int:
    """What a refund takes back from a challenge the order added to: purchase_amount loses up to the
    order's contribution; counting challenges lose the purchase once the order no longer counts."""
    if challenge_type == "purchase_amount":
        return min(contributed, max(-drop.amount, 0))
    return int(counted and drop.count < 0)


def review_counts(user_id: str, recorded_by: str | None) -> bool:
    """A REVIEW counts towards badges only when a trusted backend recorded it: a user token may
    record only its own events, so an event recorded by the member themselves (or by nobody known)
    is self-reported and would let anyone mint review badges."""
    return bool(recorded_by) and recorded_by != user_id


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


def merged_tokens(tokens: list[dict]) -> list[tuple[str, int]]:
    """A reward's tokens, one amount per type (definitions refuse repeats; rows saved before that
    are merged rather than posted twice under one idempotency key)."""
    out: dict[str, int] = {}
    for t in tokens:
        out[t["token_type"]] = out.get(t["token_type"], 0) + int(t["amount"])
    return list(out.items())


def days_left(end_date: date, today: date) -> int:
    """Days left including today: 1 on the last day, 0 once over."""
    return max((end_date - today).days + 1, 0)


def check_reward(reward: dict, token_types: tuple[str, ...], path: str = "reward") -> list[FieldViolation]:
    p: list[FieldViolation] = []
    if reward.get("points", 0) < 0:
        p.append(FieldViolation(f"{path}.points", "must not be negative"))
    seen: set[str] = set()
    for i, t in enumerate(reward.get("tokens", [])):
        if t.get("token_type") not in token_types:
            p.append(FieldViolation(f"{path}.tokens[{i}].token_type", f"must be one of {', '.join(token_types)}"))
        elif t["token_type"] in seen:
            p.append(FieldViolation(f"{path}.tokens[{i}].token_type", "must not repeat a token type: give one amount per type"))
        seen.add(t.get("token_type"))
        if not 1 <= t.get("amount", 0) <= 1_000_000:
            p.append(FieldViolation(f"{path}.tokens[{i}].amount", "must be from 1 to 1000000"))
    return p
