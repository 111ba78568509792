"""Pure rules of the Reward service: reward shapes, weighted draws and odds, Thompson choices."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from services.reward import domain

TOKENS = ("ROULETTE_COIN", "DICE_TOKEN", "LOTTERY_TICKET", "CC_COIN")


def test_reward_shapes_report_every_problem_with_its_path():
    assert domain.check_reward_value("TOKEN", {"token_type": "CC_COIN", "amount": 5}, "v", TOKENS) == []
    problems = domain.check_reward_value("TOKEN", {"token_type": "GEM", "amount": 1.5, "extra": 1}, "v", TOKENS)
    assert sorted(p.field for p in problems) == ["v.amount", "v.extra", "v.token_type"]
    assert [p.field for p in domain.check_reward_value("POINTS", {}, "v", TOKENS)] == ["v.points"]
    assert [p.field for p in domain.check_reward_value("NOTHING", {"points": 1}, "v", TOKENS)] == ["v.points"]
    assert domain.normalized_reward_value({"amount": 100.0, "token_type": "CC_COIN"}) == {"amount": 100, "token_type": "CC_COIN"}


def test_odds_count_only_items_in_stock():
    items = [domain.Candidate(1, 3, None), domain.Candidate(2, 1, 0), domain.Candidate(3, 1, 4)]
    assert domain.odds(items) == {1: 0.75, 2: 0.0, 3: 0.25}
    assert domain.odds([domain.Candidate(1, 1, 0)]) == {1: 0.0}


def test_weighted_choice_follows_the_weights_and_skips_empty_items():
    """Chi-square over 100,000 draws with a fixed seed (2 degrees of freedom, critical value 13.8 at
    p = 0.001); the out-of-stock item is never drawn."""
    rng = random.Random(7)
    items = [domain.Candidate(1, 60, None), domain.Candidate(2, 30, 10**9), domain.Candidate(3, 10, None), domain.Candidate(4, 50, 0)]
    n = 100_000
    counts = Counter(domain.weighted_choice(items, rng).item_id for _ in range(n))
    assert 4 not in counts
    expected = {1: 0.6 * n, 2: 0.3 * n, 3: 0.1 * n}
    chi2 = sum((counts[k] - e) ** 2 / e for k, e in expected.items())
    assert chi2 < 13.8
    with pytest.raises(ValueError):
        domain.weighted_choice([domain.Candidate(1, 5, 0)], rng)


def test_bucket_is_order_independent():
    assert domain.bucket({"b": "2", "a": "1"}) == domain.bucket({"a": "1", "b": "2"}) == "a=1|b=2"
    assert domain.bucket({}) == "*"


def test_thompson_prefers_the_arm_with_the_better_posterior_and_logs_its_propensity():
    rng = random.Random(3)
    posteriors = {"good": (90, 10), "bad": (10, 90)}
    choices = [domain.thompson_choice(posteriors, ["bad", "good"], explore_share=0.0, rng=rng) for _ in range(200)]
    assert all(c.arm == "good" and not c.explored for c in choices)
    assert all(c.propensity == pytest.approx(1.0, abs=0.01) for c in choices)


def test_the_exploration_slice_picks_uniformly_and_shows_in_the_propensity():
    rng = random.Random(5)
    posteriors = {"good": (900, 100), "bad": (100, 900)}
    choices = [
        domain.thompson_choice(posteriors, ["bad", "good"], explore_share=0.2, rng=rng) for _ in range(2000)
    ]
    explored = [c for c in choices if c.explored]
    assert 0.17 < len(explored) / len(choices) < 0.23
    bad = [c for c in choices if c.arm == "bad"]
    assert 0.08 < len(bad) / len(choices) < 0.12  # half the slice
    assert all(c.propensity == pytest.approx(0.1, abs=0.01) for c in bad)  # 0.2 / 2 + 0.8 * ~0


def test_win_probabilities_match_exact_values_and_sampling():
    # Two uniform posteriors tie; Beta(2,1) beats Beta(1,1) with probability 2/3 exactly.
    assert domain.win_probabilities({}, ["a", "b"]) == pytest.approx({"a": 0.5, "b": 0.5}, abs=1e-3)
    assert domain.win_probabilities({"a": (1, 0)}, ["a", "b"])["a"] == pytest.approx(2 / 3, abs=1e-3)
    # Three arms against a Monte Carlo estimate of 200,000 draws (standard error < 0.0012).
    posteriors = {"x": (30, 70), "y": (25, 60), "z": (3, 5)}
    rng = random.Random(1)
    n = 200_000
    counts = Counter(
        max("xyz", key=lambda arm: rng.betavariate(1 + posteriors[arm][0], 1 + posteriors[arm][1])) for _ in range(n)
    )
    exact = domain.win_probabilities(posteriors, list("xyz"))
    for arm in "xyz":
        assert exact[arm] == pytest.approx(counts[arm] / n, abs=0.005)
    # Very peaked posteriors far apart: the worse arm's chance is tiny, not a sampling floor.
    assert domain.win_probabilities({"a": (9000, 1000), "b": (1000, 9000)}, ["a", "b"])["b"] < 1e-9
