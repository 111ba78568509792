"""Pure rules of segmentation: the built-in defaults and the plan that decides a user's segment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.segmentation import conditions
from services.segmentation.conditions import Node

FALLBACK_SEGMENT = "ACTIVE"


@dataclass(frozen=True)
class Rule:
    """A rule as evaluated: operator rules carry their id and version, built-in defaults carry none."""

    segment: str
    condition: Node
    rule_id: int | None = None
    version: int | None = None


def _default(segment: str, condition: dict[str, Any]) -> Rule:
    return Rule(segment, conditions.parse(condition))


# Applied after every operator rule (so also when there are none), in this order; ACTIVE otherwise.
DEFAULT_RULES: tuple[Rule, ...] = (
    _default("VIP", {"field": "deposit_amount", "op": ">=", "value": 1_000_000}),
    _default("DORMANT_LONG", {"field": "days_since_last_charge", "op": ">=", "value": 14}),
    _default("DORMANT_SHORT", {"field": "days_since_last_charge", "op": "between", "value": [7, 13]}),
    _default("NEW", {"field": "days_since_first_seen", "op": "<", "value": 7}),
)


def plan(operator_rules: list[Rule]) -> list[Rule]:
    """The rules in the order they are tried: enabled operator rules (already sorted by priority, id),
    then the defaults. The first that holds decides; none holding means FALLBACK_SEGMENT."""
    return [*operator_rules, *DEFAULT_RULES]


def decide(rules: list[Rule], facts: dict[str, Any], now) -> tuple[str, Rule | None]:
    """The segment for one user's facts, and the rule that decided (None for the fallback)."""
    for rule in rules:
        if conditions.evaluate(rule.condition, facts, now):
            return rule.segment, rule
    return FALLBACK_SEGMENT, None
