"""Pure rules of streaks, badges and challenges."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.loyalty import gamification_domain as gd

R = gd.StreakRules(milestones={7: 500, 30: 3000}, max_freezes=2, freeze_milestones=frozenset({7, 30}))
D = date(2026, 3, 1)


EMPTY = gd.StreakState()


def run(days: list[date], start: gd.StreakState = EMPTY, rules: gd.StreakRules = R) -> tuple[gd.StreakState, list[gd.StreakStep]]:
    steps, s = [], start
    for d in days:
        step = gd.advance(s, d, rules)
        steps.append(step)
        s = step.state
    return s, steps


def test_the_first_day_starts_a_record_streak_of_one():
    step = gd.advance(gd.StreakState(), D, R)
    assert (step.state.current, step.state.max, step.state.run_start, step.is_record, step.advanced) == (1, 1, D, True, True)


def test_the_same_day_and_older_days_change_nothing():
    s, _ = run([D, D + timedelta(days=1)])
    for day in (D + timedelta(days=1), D):
        step = gd.advance(s, day, R)
        assert step.state == s and not step.advanced and not step.is_record


def test_the_next_day_adds_one_and_a_gap_breaks_to_one_with_the_previous_length():
    s, _ = run([D, D + timedelta(days=1), D + timedelta(days=2)])
    assert (s.current, s.max) == (3, 3)
    step = gd.advance(s, D + timedelta(days=5), R)
    assert (step.state.current, step.state.max, step.broken, step.previous, step.is_record) == (1, 3, True, 3, False)
    assert step.state.run_start == D + timedelta(days=5)


def test_day_seven_reaches_the_milestone_and_earns_a_freeze():
    s, steps = run([D + timedelta(days=i) for i in range(7)])
    assert steps[-1].milestones == ((7, 500),) and steps[-1].freezes_earned == 1 and s.freezes == 1
    assert all(not st.milestones for st in steps[:-1])


def test_one_missed_day_uses_one_freeze_and_keeps_the_run():
    start = gd.StreakState(5, 5, D, D - timedelta(days=4), freezes=1)
    step = gd.advance(start, D + timedelta(days=2), R)
    assert (step.state.current, step.freezes_used, step.state.freezes, step.broken) == (6, 1, 0, False)
    assert step.state.run_start == start.run_start  # same run: milestone keys stay the same


def test_two_missed_days_use_two_freezes_when_the_member_holds_them():
    step = gd.advance(gd.StreakState(5, 9, D, D, freezes=2), D + timedelta(days=3), R)
    assert (step.state.current, step.freezes_used, step.state.freezes) == (6, 2, 0)


def test_more_missed_days_than_freezes_break_the_streak_and_keep_the_freezes():
    step = gd.advance(gd.StreakState(5, 9, D, D, freezes=1), D + timedelta(days=3), R)
    assert (step.state.current, step.broken, step.previous, step.freezes_used, step.state.freezes) == (1, True, 5, 0, 1)


def test_freezes_never_pass_the_maximum():
    step = gd.advance(gd.StreakState(6, 6, D, D, freezes=2), D + timedelta(days=1), R)
    assert (step.freezes_earned, step.state.freezes) == (0, 2)


def test_a_streak_shows_zero_once_the_freezes_cannot_bridge_the_missed_days():
    s = gd.StreakState(4, 4, D, D, freezes=1)
    assert [gd.alive(s, D + timedelta(days=n)) for n in (0, 1, 2, 3)] == [4, 4, 4, 0]
    assert gd.next_milestone(4, R.milestones) == 7 and gd.next_milestone(30, R.milestones) is None


def test_days_are_counted_in_the_configured_timezone():
    # 23:59 and 00:01 in Seoul are the same UTC date but two Seoul days.
    late = datetime(2026, 3, 1, 14, 59, tzinfo=UTC)
    assert R.day(late) == date(2026, 3, 1) and R.day(late + timedelta(minutes=2)) == date(2026, 3, 2)


@pytest.mark.parametrize(
    ("kind", "value", "rule"),
    [
        ("first_purchase", {}, gd.BadgeRule("purchases", 1)),
        ("review_count", {"count": 5}, gd.BadgeRule("reviews", 5)),
        ("streak", {"days": 7}, gd.BadgeRule("streak_max:daily_visit", 7)),
        ("category", {"category": "shoes", "min_amount": 100000}, gd.BadgeRule("category_amount:shoes", 100000)),
        ("category", {"category": "shoes"}, gd.BadgeRule("category_count:shoes", 1)),
        ("amount", {"min_amount": 50000}, gd.BadgeRule("purchase_amount", 50000)),
        ("collection", {"badges": ["A", "B"]}, gd.BadgeRule(None, 2)),
        ("challenge", {}, gd.BadgeRule("challenges_completed", 1)),
    ],
)
def test_each_badge_condition_watches_one_counter(kind, value, rule):
    assert gd.badge_rule(kind, value) == (rule, [])


def test_bad_badge_conditions_name_their_fields():
    assert [v.field for v in gd.badge_rule("review_count", {"count": 0})[1]] == ["condition_value.count"]
    assert [v.field for v in gd.badge_rule("streak", {"days": 7, "streak_type": "x"})[1]] == ["condition_value.streak_type"]
    assert [v.field for v in gd.badge_rule("collection", {"badges": []})[1]] == ["condition_value.badges"]
    assert [v.field for v in gd.badge_rule("nope", {})[1]] == ["condition_type"]


def test_challenge_rules_progress_and_days_left():
    assert gd.challenge_rule("category", {"category": "shoes", "count": 3}) == (gd.ChallengeRule(3, "shoes"), [])
    assert [gd.days_left(D, D - timedelta(days=1)), gd.days_left(D, D), gd.days_left(D, D + timedelta(days=1))] == [2, 1, 0]


def test_counters_of_a_purchase_include_its_category():
    move = gd.order_move(gd.OrderTotals(), gd.OrderTotals(1, 30000, 0))
    assert move.counters("shoes") == [
        ("purchases", 1), ("category_count:shoes", 1), ("purchase_amount", 30000), ("category_amount:shoes", 30000)
    ]
    assert gd.order_move(gd.OrderTotals(1, 30000, 0), gd.OrderTotals(1, 30000, 0)).counters(None) == []


def test_a_refund_takes_back_what_its_order_added_in_either_order():
    bought = gd.OrderTotals(1, 30000, 0)
    partial = gd.order_move(bought, gd.OrderTotals(1, 30000, 10000))
    assert (partial.count, partial.amount) == (0, -10000)  # still a purchase, worth less
    full = gd.order_move(gd.OrderTotals(1, 30000, 10000), gd.OrderTotals(1, 30000, 30000))
    assert (full.count, full.amount) == (-1, -20000)
    # The refund delivered first: the purchase then adds nothing.
    early = gd.OrderTotals(0, 0, 30000)
    assert gd.order_move(gd.OrderTotals(), early) == gd.OrderMove(0, 0)
    assert gd.order_move(early, gd.OrderTotals(1, 30000, 30000)) == gd.OrderMove(0, 0)
    assert gd.refund_take("purchase_amount", 25000, False, full) == 20000
    assert gd.refund_take("purchase_amount", 5000, False, full) == 5000
    assert gd.refund_take("purchase_count", 0, True, partial) == 0
    assert gd.refund_take("purchase_count", 0, True, full) == 1


def test_only_a_review_recorded_by_a_trusted_backend_counts():
    assert gd.review_counts("u1", "review-service")
    assert not gd.review_counts("u1", "u1")  # self-reported with a user token
    assert not gd.review_counts("u1", None)


def test_reward_tokens_refuse_a_repeated_type_and_merge_old_rows():
    reward = {"points": 0, "tokens": [{"token_type": "ROULETTE_COIN", "amount": 5}, {"token_type": "ROULETTE_COIN", "amount": 7}]}
    assert [v.field for v in gd.check_reward(reward, ("ROULETTE_COIN",))] == ["reward.tokens[1].token_type"]
    assert gd.merged_tokens(reward["tokens"]) == [("ROULETTE_COIN", 12)]


def test_a_late_day_that_fills_the_gap_rebuilds_the_run():
    s, _ = run([D, D + timedelta(days=1), D + timedelta(days=3)])
    assert (s.current, s.run_start) == (1, D + timedelta(days=3))
    step = gd.rebuild(s, [D + timedelta(days=n) for n in (3, 2, 1, 0)], R)
    assert (step.advanced, step.state.current, step.state.max, step.state.run_start, step.state.last_day) == (
        True, 4, 4, D, D + timedelta(days=3))


def test_a_late_day_gives_back_the_freeze_that_bridged_its_gap():
    s, _ = run([D + timedelta(days=n) for n in range(7)] + [D + timedelta(days=8)])  # day 7 bridged by the day-7 freeze
    assert (s.current, s.freezes, s.run_freezes_used) == (8, 0, 1)
    step = gd.rebuild(s, [D + timedelta(days=n) for n in range(8, -1, -1)], R, {D + timedelta(days=8): 1})
    assert (step.state.current, step.state.freezes, step.state.run_freezes_used, step.milestones) == (9, 1, 0, ())


def test_a_late_day_far_before_the_run_changes_nothing_and_milestones_are_crossed_once():
    s, _ = run([D + timedelta(days=10)])
    assert not gd.rebuild(s, [D + timedelta(days=10), D], R).advanced
    s, _ = run([D + timedelta(days=n) for n in (0, 1, 2, 4, 5, 6, 7)])  # broken at day 4 (no freeze yet)
    assert s.current == 4
    step = gd.rebuild(s, [D + timedelta(days=n) for n in range(7, -1, -1)], R)
    assert (step.state.current, step.milestones, step.freezes_earned) == (8, ((7, 500),), 1)


def test_a_freeze_given_back_by_a_rebuild_never_passes_the_maximum():
    # D+2 was bridged by a freeze; the member holds the maximum again when the late D+2 arrives.
    s = gd.StreakState(3, 3, D + timedelta(days=3), D, freezes=2, run_freezes_used=1)
    step = gd.rebuild(s, [D + timedelta(days=n) for n in (3, 2, 1, 0)], R, {D + timedelta(days=3): 1})
    assert (step.state.current, step.state.freezes) == (4, 2)


def test_a_rebuild_never_pays_again_for_a_gap_an_older_run_bridged():
    days = [D + timedelta(days=n) for n in (0, 1, 2, 3, 4, 5, 6, 8)]  # day 7 bridged by the day-7 freeze
    s, steps = run(days + [D + timedelta(days=11)])  # days 9 and 10 missed: broken, a new run
    paid = {d: st.freezes_used for d, st in zip(days, steps) if st.freezes_used}
    assert (s.current, s.freezes, paid) == (1, 0, {D + timedelta(days=8): 1})
    s = replace(s, freezes=1)  # an operator's freeze
    late = [D + timedelta(days=11), D + timedelta(days=10)] + days[::-1]
    step = gd.rebuild(s, late, R, paid)  # the day-9 gap costs the one freeze; the day-7 one was paid
    assert (step.state.current, step.state.run_start, step.state.freezes - step.freezes_earned) == (10, D, 0)
