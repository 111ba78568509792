"""The segment rule condition language: validation names the bad node, evaluation follows the null rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.segmentation import conditions as c

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def problems(condition) -> dict[str, str]:
    with pytest.raises(c.ConditionError) as e:
        c.parse(condition)
    return dict(e.value.problems)


def test_the_seed_conditions_parse():
    vip = c.parse({"field": "deposit_amount", "op": ">=", "value": 1_000_000})
    dormant = c.parse({"all": [{"field": "days_since_last_active", "op": ">=", "value": 14}, {"field": "last_charge_at", "op": "is_null"}]})
    assert isinstance(vip, c.Leaf) and isinstance(dormant, c.Group)


@pytest.mark.parametrize(
    ("condition", "path"),
    [
        ({"field": "colour", "op": "==", "value": 1}, "$.field"),
        ({"field": "dice_plays", "op": "~=", "value": 1}, "$.op"),
        ({"field": "dice_plays", "op": ">", "value": "3"}, "$.value"),
        ({"field": "dice_plays", "op": ">", "value": True}, "$.value"),
        ({"field": "dice_plays", "op": ">", "value": 1.5}, "$.value"),
        ({"field": "dice_plays", "op": ">"}, "$.value"),
        ({"field": "last_charge_at", "op": "is_null", "value": 1}, "$.value"),
        ({"field": "last_login_at", "op": ">", "value": "2026-01-01"}, "$.value"),
        ({"field": "last_login_at", "op": ">", "value": "2026-01-01T00:00:00"}, "$.value"),
        ({"field": "dice_plays", "op": "in", "value": []}, "$.value"),
        ({"field": "dice_plays", "op": "between", "value": [5, 1]}, "$.value"),
        ({"all": []}, "$.all"),
        ({"any": [{"field": "dice_plays", "op": ">", "value": 1}, {"field": "x", "op": ">", "value": 1}]}, "$.any[1].field"),
        ({"not": {"all": [{"field": "dice_plays", "op": "in", "value": [1, "2"]}]}}, "$.not.all[0].value[1]"),
        ({"field": "dice_plays", "op": ">", "value": 1, "extra": 1}, "$"),
        ([], "$"),
        ({"field": [], "op": "=="}, "$.field"),
        ({"field": "dice_plays", "op": {}}, "$.op"),
        ({"field": "last_login_at", "op": ">", "value": "2026-01-31 00:00+09:00"}, "$.value"),
        ({"field": "last_login_at", "op": ">", "value": "2026W051T00+09"}, "$.value"),
    ],
)
def test_a_bad_condition_names_the_json_path_of_the_bad_node(condition, path):
    assert path in problems(condition)


def test_every_bad_node_is_reported_at_once():
    found = problems({"all": [{"field": "nope", "op": ">", "value": 1}, {"field": "dice_plays", "op": "??", "value": 1}]})
    assert set(found) == {"$.all[0].field", "$.all[1].op"}


def test_depth_and_size_are_limited():
    deep: dict = {"field": "dice_plays", "op": ">", "value": 1}
    for _ in range(12):
        deep = {"not": deep}
    assert any("deeper" in m for m in problems(deep).values())
    wide = {"any": [{"field": "dice_plays", "op": "==", "value": i} for i in range(120)]}
    assert any("nodes" in m for m in problems(wide).values())


def test_a_comparison_with_null_is_false_and_only_null_ops_see_null():
    facts = {"last_charge_at": None, "deposit_amount": 5}
    assert not c.evaluate(c.parse({"field": "days_since_last_charge", "op": ">=", "value": 0}), facts, NOW)
    assert not c.evaluate(c.parse({"field": "days_since_last_charge", "op": "<", "value": 0}), facts, NOW)
    assert c.evaluate(c.parse({"not": {"field": "days_since_last_charge", "op": ">=", "value": 0}}), facts, NOW)
    assert c.evaluate(c.parse({"field": "last_charge_at", "op": "is_null"}), facts, NOW)
    assert not c.evaluate(c.parse({"field": "last_charge_at", "op": "not_null"}), facts, NOW)


def test_days_since_counts_whole_days_elapsed():
    node = c.parse({"field": "days_since_last_active", "op": "==", "value": 7})
    assert c.evaluate(node, {"last_active_at": NOW - timedelta(days=7, hours=23)}, NOW)
    assert not c.evaluate(node, {"last_active_at": NOW - timedelta(days=6, hours=23)}, NOW)


def test_datetimes_compare_across_offsets():
    node = c.parse({"field": "last_login_at", "op": ">=", "value": "2026-11-21T21:00:00+09:00"})
    assert c.evaluate(node, {"last_login_at": datetime(2026, 11, 21, 12, tzinfo=UTC)}, NOW)
    assert not c.evaluate(node, {"last_login_at": datetime(2026, 11, 21, 11, 59, tzinfo=UTC)}, NOW)


def test_the_explanation_names_the_failing_conditions():
    node = c.parse({"all": [{"field": "deposit_amount", "op": ">=", "value": 1_000_000}, {"field": "dice_plays", "op": ">", "value": 0}]})
    failed = c.failed_leaves(node, {"deposit_amount": 10, "dice_plays": 3}, NOW)
    assert [leaf.path for leaf in failed] == ["$.all[0]"]


def test_the_explanation_under_not_names_the_leaf_that_held():
    node = c.parse({"not": {"any": [{"field": "dice_plays", "op": "==", "value": 1}, {"field": "roulette_plays", "op": "==", "value": 2}]}})
    failed = c.failed_leaves(node, {"dice_plays": 5, "roulette_plays": 2}, NOW)
    assert [leaf.field.name for leaf in failed] == ["roulette_plays"]


def test_compiled_parameters_can_be_prefixed_to_combine_conditions():
    sql, params = c.to_sql(c.parse({"field": "dice_plays", "op": ">", "value": 3}), prefix="r7_")
    assert params == {"r7_0": 3} and ":r7_0" in sql
