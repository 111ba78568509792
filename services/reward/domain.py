"""Pure rules of the Reward service: reward shapes, weighted draws, published odds, and the
learning selector's choice. No I/O; randomness is passed in, so tests can fix it."""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.common.errors import FieldViolation

REWARD_TYPES = ("TOKEN", "POINTS", "COUPON", "NOTHING")
MAX_AMOUNT = 1_000_000_000

# The draw must not be predictable from earlier draws: the OS's CSPRNG, not Mersenne Twister.
secure_random = secrets.SystemRandom()


def check_reward_value(reward_type: str, value: Mapping, path: str, token_types: Sequence[str]) -> list[FieldViolation]:
    """The shape each reward type takes; returns every problem, with its field path."""
    problems: list[FieldViolation] = []

    def amount(key: str) -> None:
        v = value.get(key)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v != int(v) or not 1 <= v <= MAX_AMOUNT:
            problems.append(FieldViolation(f"{path}.{key}", f"must be a whole number from 1 to {MAX_AMOUNT:,}"))

    expected = {"TOKEN": {"token_type", "amount"}, "POINTS": {"points"}, "COUPON": {"coupon_id"}, "NOTHING": set()}[reward_type]
    for extra in sorted(set(value) - expected):
        problems.append(FieldViolation(f"{path}.{extra}", f"is not a field of a {reward_type} reward"))
    if reward_type == "TOKEN":
        if value.get("token_type") not in token_types:
            problems.append(FieldViolation(f"{path}.token_type", f"must be one of {', '.join(token_types)}"))
        amount("amount")
    elif reward_type == "POINTS":
        amount("points")
    elif reward_type == "COUPON":
        amount("coupon_id")
    return problems


def normalized_reward_value(value: Mapping) -> dict:
    """JSON numbers arrive as floats through a protobuf Struct; amounts are stored as integers."""
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in value.items()}


@dataclass(frozen=True)
class Candidate:
    item_id: int
    weight: int
    quantity: int | None  # None: unlimited


def drawable(items: Sequence[Candidate]) -> list[Candidate]:
    return [c for c in items if c.weight > 0 and (c.quantity is None or c.quantity > 0)]


def odds(items: Sequence[Candidate]) -> dict[int, float]:
    """The published probability of each item on the next draw: weight over the total weight of the
    items in stock; out-of-stock items have 0."""
    live = drawable(items)
    total = sum(c.weight for c in live)
    return {c.item_id: (c.weight / total if total and c in live else 0.0) for c in items}


def weighted_choice(items: Sequence[Candidate], rng: random.Random = secure_random) -> Candidate:
    """One item drawn with probability proportional to its weight, among items in stock."""
    live = drawable(items)
    if not live:
        raise ValueError("nothing in stock")
    point = rng.randrange(sum(c.weight for c in live))
    for c in live:
        point -= c.weight
        if point < 0:
            return c
    raise AssertionError("unreachable")


# ---- learning selection -------------------------------------------------------------------------

def bucket(context: Mapping[str, str]) -> str:
    """The context bucket: sorted key=value pairs, so the same context always shares posteriors."""
    return "|".join(f"{k}={context[k]}" for k in sorted(context)) or "*"


@dataclass(frozen=True)
class Choice:
    arm: str
    propensity: float
    explored: bool


def thompson_choice(
    posteriors: Mapping[str, tuple[int, int]],
    candidates: Sequence[str],
    *,
    explore_share: float,
    rng: random.Random,
    propensity_samples: int = 200,
) -> Choice:
    """Picks an arm: with probability `explore_share` uniformly (a permanent exploration slice),
    otherwise the arm with the highest draw from its Beta(1 + successes, 1 + failures) posterior.

    The propensity is the probability that this policy picks the chosen arm: explore_share / k plus
    (1 - explore_share) times the chance it wins a Thompson draw, estimated by Monte Carlo. Logged
    with the choice, it lets an analyst evaluate another policy on these logs (inverse propensity)."""
    k = len(candidates)

    def sample_winner() -> str:
        best, best_value = candidates[0], -1.0
        for arm in candidates:
            s, f = posteriors.get(arm, (0, 0))
            value = rng.betavariate(1 + s, 1 + f)
            if value > best_value:
                best, best_value = arm, value
        return best

    explored = rng.random() < explore_share
    arm = candidates[rng.randrange(k)] if explored else sample_winner()
    wins = sum(1 for _ in range(propensity_samples) if sample_winner() == arm)
    # Never log 0 for an arm that was actually chosen: the estimate has at least one win's worth.
    p_thompson = max(wins, 1 if not explored else 0) / propensity_samples
    propensity = explore_share / k + (1 - explore_share) * p_thompson
    return Choice(arm=arm, propensity=min(propensity, 1.0), explored=explored)
