"""Pure rules of the Reward service: reward shapes, weighted draws, published odds, and the
learning selector's choice. No I/O; randomness is passed in, so tests can fix it."""

from __future__ import annotations

import functools
import itertools
import math
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


def win_probabilities(posteriors: Mapping[str, tuple[int, int]], candidates: Sequence[str]) -> dict[str, float]:
    """The probability that each arm wins a Thompson draw: P(X_i > X_j for all j) with X_i ~
    Beta(1 + successes_i, 1 + failures_i)."""
    key = tuple((arm, *posteriors.get(arm, (0, 0))) for arm in candidates)
    return dict(zip(candidates, _win_probabilities(key)))


@functools.lru_cache(maxsize=4096)  # posteriors change only when an outcome arrives
def _win_probabilities(arms: tuple[tuple[str, int, int], ...], points: int = 1024) -> tuple[float, ...]:
    """Numerical integration over a grid covering every posterior's mass; each density is
    normalized on the grid, and ties within a cell count half."""
    shapes = [(1 + s, 1 + f) for _, s, f in arms]
    lo, hi = 1.0, 0.0
    for a, b in shapes:
        mean, sd = a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        lo, hi = min(lo, mean - 12 * sd), max(hi, mean + 12 * sd)
    lo, hi = max(lo, 0.0), min(hi, 1.0)
    xs = [lo + (hi - lo) * (k + 0.5) / points for k in range(points)]
    logs_x, logs_1x = [math.log(x) for x in xs], [math.log1p(-x) for x in xs]
    mass, below = [], []
    for a, b in shapes:
        logs = [(a - 1) * u + (b - 1) * v for u, v in zip(logs_x, logs_1x)]
        top = max(logs)
        w = [math.exp(v - top) for v in logs]
        total = sum(w)
        w = [v / total for v in w]
        cumulative = list(itertools.accumulate(w, initial=0.0))
        mass.append(w)
        below.append([c + v / 2 for c, v in zip(cumulative, w)])  # P(X < x_k), half of cell k
    all_below = [1.0] * points  # P(every arm draws less than x_k)
    for c in below:
        all_below = [p * q for p, q in zip(all_below, c)]
    # Arm i wins at x_k when every other arm is below: all_below / its own below (which is 0 only
    # where arm i has no mass at or before x_k, so the term is 0 anyway).
    wins = [sum(v * p / q for v, p, q in zip(w, all_below, c) if q > 0) for w, c in zip(mass, below)]
    total = sum(wins) or 1.0
    return tuple(p / total for p in wins)


def thompson_choice(
    posteriors: Mapping[str, tuple[int, int]],
    candidates: Sequence[str],
    *,
    explore_share: float,
    rng: random.Random,
) -> Choice:
    """Picks an arm: with probability `explore_share` uniformly (a permanent exploration slice),
    otherwise the arm with the highest draw from its Beta(1 + successes, 1 + failures) posterior.

    The propensity is the probability that this policy picks the chosen arm, explore_share / k plus
    (1 - explore_share) times the chance it wins a Thompson draw (computed, not sampled). Logged with
    the choice, it lets an analyst evaluate another policy on these logs (inverse propensity)."""
    k = len(candidates)
    explored = rng.random() < explore_share
    if explored:
        arm = candidates[rng.randrange(k)]
    else:
        draws = {c: rng.betavariate(1 + posteriors.get(c, (0, 0))[0], 1 + posteriors.get(c, (0, 0))[1]) for c in candidates}
        arm = max(candidates, key=draws.__getitem__)
    propensity = explore_share / k + (1 - explore_share) * win_probabilities(posteriors, candidates)[arm]
    return Choice(arm=arm, propensity=min(propensity, 1.0), explored=explored)
