"""The segment rule condition language: parse and validate, compile to SQL, evaluate in Python.

A condition is JSON:
    {"all": [cond, ...]}  {"any": [cond, ...]}  {"not": cond}
    {"field": NAME, "op": OP, "value": V}
with OP one of == != > >= < <= (a scalar), in / not_in (a non-empty list), between ([low, high],
inclusive), is_null / not_null (no value). Fields come from a closed list (FIELDS), typed int or
datetime; datetime values are RFC 3339 strings with an offset.

Nulls: a comparison with a null field is false (so `not` of it is true); only is_null and not_null
see null. The SQL and the Python evaluator follow the same rules (tested against each other on
PostgreSQL), so the batch (SQL) and an operator's "why is this user not VIP?" (Python) agree.

Values are always bound parameters; field names map to fixed SQL expressions, never to input text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Union

MAX_DEPTH = 10
MAX_NODES = 100
MAX_LIST = 100
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
# RFC 3339 date-time with a required offset; fractions up to microseconds (what PostgreSQL keeps).
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "int" or "datetime"
    sql: str  # expression over the facts row `f` and the bound parameter :now
    since: str | None = None  # for days_since_* fields: the timestamp column counted from


def _days_since(name: str, column: str) -> Field:
    # Whole days elapsed (floor), so "7 days since" means at least 7 × 24 hours.
    sql = f"floor(extract(epoch FROM (CAST(:now AS timestamptz) - f.{column})) / 86400)::bigint"
    return Field(name, "int", sql, since=column)


FIELDS: dict[str, Field] = {
    f.name: f
    for f in [
        Field("last_login_at", "datetime", "f.last_login_at"),
        Field("last_charge_at", "datetime", "f.last_charge_at"),
        Field("last_active_at", "datetime", "f.last_active_at"),
        Field("first_seen_at", "datetime", "f.first_seen_at"),
        _days_since("days_since_last_login", "last_login_at"),
        _days_since("days_since_last_charge", "last_charge_at"),
        _days_since("days_since_last_active", "last_active_at"),
        _days_since("days_since_first_seen", "first_seen_at"),
        Field("deposit_amount", "int", "f.deposit_amount"),
        Field("roulette_plays", "int", "f.roulette_plays"),
        Field("dice_plays", "int", "f.dice_plays"),
        Field("lottery_plays", "int", "f.lottery_plays"),
        Field("total_play_duration", "int", "f.total_play_duration"),
        Field("purchase_count", "int", "f.purchase_count"),
        Field("purchase_total", "int", "f.purchase_total"),
    ]
}
COMPARISONS = {"==": "=", "!=": "<>", ">": ">", ">=": ">=", "<": "<", "<=": "<="}
LIST_OPS = {"in", "not_in"}
NULL_OPS = {"is_null", "not_null"}
OPS = set(COMPARISONS) | LIST_OPS | NULL_OPS | {"between"}


@dataclass(frozen=True)
class Leaf:
    path: str
    field: Field
    op: str
    value: Any = None  # int | datetime | list of them | (low, high)


@dataclass(frozen=True)
class Group:
    path: str
    kind: str  # "all" | "any"
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    path: str
    item: "Node"


Node = Union[Leaf, Group, Not]


class ConditionError(ValueError):
    """A condition that cannot be used; `problems` lists (JSON path, what is wrong)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
        self.problems = problems


def parse(condition: Any) -> Node:
    """Validates a condition and returns its tree; raises ConditionError naming every bad node."""
    problems: list[tuple[str, str]] = []
    count = [0]
    node = _parse(condition, "$", 1, problems, count)
    if count[0] > MAX_NODES:
        problems.append(("$", f"has more than {MAX_NODES} nodes"))
    if problems or node is None:
        raise ConditionError(problems or [("$", "is not a condition")])
    return node


def _parse(c: Any, path: str, depth: int, problems: list, count: list) -> Node | None:
    count[0] += 1
    if count[0] > MAX_NODES:
        return None  # reported once by parse(); stop walking an oversized condition
    if depth > MAX_DEPTH:
        problems.append((path, f"nests deeper than {MAX_DEPTH} levels"))
        return None
    if not isinstance(c, dict):
        problems.append((path, "must be an object"))
        return None
    keys = set(c)
    for kind in ("all", "any"):
        if kind in keys:
            if keys != {kind}:
                problems.append((path, f'a "{kind}" node takes no other keys'))
                return None
            items = c[kind]
            if not isinstance(items, list) or not items:
                problems.append((f"{path}.{kind}", "must be a non-empty list of conditions"))
                return None
            parsed = [_parse(x, f"{path}.{kind}[{i}]", depth + 1, problems, count) for i, x in enumerate(items)]
            if any(p is None for p in parsed):
                return None
            return Group(path, kind, tuple(parsed))  # type: ignore[arg-type]
    if "not" in keys:
        if keys != {"not"}:
            problems.append((path, 'a "not" node takes no other keys'))
            return None
        inner = _parse(c["not"], f"{path}.not", depth + 1, problems, count)
        return None if inner is None else Not(path, inner)
    return _parse_leaf(c, path, problems)


def _parse_leaf(c: dict, path: str, problems: list) -> Leaf | None:
    extra = set(c) - {"field", "op", "value"}
    if extra:
        problems.append((path, f"unknown keys {sorted(extra)}; a node is all/any/not or field/op/value"))
        return None
    name, op = c.get("field"), c.get("op")
    ok = True
    if not isinstance(name, str) or name not in FIELDS:
        problems.append((f"{path}.field", f"unknown field {name!r}; known: {', '.join(sorted(FIELDS))}"))
        ok = False
    if not isinstance(op, str) or op not in OPS:
        problems.append((f"{path}.op", f"unknown operator {op!r}; known: {', '.join(sorted(OPS))}"))
        ok = False
    if not ok:
        return None
    field = FIELDS[name]
    vpath = f"{path}.value"
    if op in NULL_OPS:
        if "value" in c:
            problems.append((vpath, f"{op} takes no value"))
            return None
        return Leaf(path, field, op)
    if "value" not in c:
        problems.append((vpath, f"{op} needs a value"))
        return None
    raw = c["value"]
    if op in LIST_OPS:
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_LIST:
            problems.append((vpath, f"{op} needs a list of 1 to {MAX_LIST} values"))
            return None
        values = [_value(field, v, f"{vpath}[{i}]", problems) for i, v in enumerate(raw)]
        return None if any(v is None for v in values) else Leaf(path, field, op, tuple(values))
    if op == "between":
        if not isinstance(raw, list) or len(raw) != 2:
            problems.append((vpath, "between needs [low, high]"))
            return None
        low, high = (_value(field, v, f"{vpath}[{i}]", problems) for i, v in enumerate(raw))
        if low is None or high is None:
            return None
        if low > high:
            problems.append((vpath, "low must not be greater than high"))
            return None
        return Leaf(path, field, op, (low, high))
    value = _value(field, raw, vpath, problems)
    return None if value is None else Leaf(path, field, op, value)


def _value(field: Field, v: Any, path: str, problems: list) -> int | datetime | None:
    if field.kind == "int":
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()):
            problems.append((path, f"{field.name} compares with whole numbers"))
            return None
        if isinstance(v, float) and abs(v) > 2**53:  # a JSON double this large may not be the number sent
            problems.append((path, "is too large to be exact; at most 9007199254740992"))
            return None
        if not INT_MIN <= v <= INT_MAX:
            problems.append((path, "is out of range"))
            return None
        return int(v)
    if not isinstance(v, str):
        problems.append((path, f"{field.name} compares with RFC 3339 times such as 2026-01-31T00:00:00+09:00"))
        return None
    dt = None
    if _RFC3339.fullmatch(v):
        try:
            dt = datetime.fromisoformat(v.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            dt = None
    if dt is None or dt.tzinfo is None:
        problems.append((path, "must be an RFC 3339 time with an offset, such as 2026-01-31T00:00:00+09:00"))
        return None
    return dt


def to_sql(node: Node, prefix: str = "c") -> tuple[str, dict[str, Any]]:
    """A boolean SQL expression over the facts row `f` (and :now), with its bound parameters named
    `<prefix>0`, `<prefix>1`, ...: give each condition compiled into one statement its own prefix."""
    params: dict[str, Any] = {}

    def bind(v: Any) -> str:
        name = f"{prefix}{len(params)}"
        params[name] = v
        return f":{name}"

    def walk(n: Node) -> str:
        if isinstance(n, Group):
            joiner = " AND " if n.kind == "all" else " OR "
            return "(" + joiner.join(walk(x) for x in n.items) + ")"
        if isinstance(n, Not):
            return f"(NOT {walk(n.item)})"
        expr = n.field.sql
        if n.op == "is_null":
            return f"({expr} IS NULL)"
        if n.op == "not_null":
            return f"({expr} IS NOT NULL)"
        # coalesce(..., false): a comparison with null is false, so NOT of it is true.
        if n.op in COMPARISONS:
            return f"coalesce({expr} {COMPARISONS[n.op]} {bind(n.value)}, false)"
        if n.op == "between":
            low, high = n.value
            return f"coalesce({expr} BETWEEN {bind(low)} AND {bind(high)}, false)"
        listed = "(" + ", ".join(bind(v) for v in n.value) + ")"
        if n.op == "in":
            return f"coalesce({expr} IN {listed}, false)"
        return f"coalesce({expr} NOT IN {listed}, false)"

    return walk(node), params


def field_value(field: Field, facts: dict[str, Any], now: datetime) -> int | datetime | None:
    """The value of `field` for one user's facts, computed as the SQL expression computes it."""
    if field.since is not None:
        at = facts.get(field.since)
        return None if at is None else (now - at) // timedelta(days=1)
    return facts.get(field.name)


def evaluate(node: Node, facts: dict[str, Any], now: datetime) -> bool:
    return not failed_leaves(node, facts, now)


def failed_leaves(node: Node, facts: dict[str, Any], now: datetime) -> list[Leaf]:
    """The leaves that make `node` false for these facts (empty when it holds): an explanation."""
    return _witnesses(node, facts, now, False)


def _witnesses(node: Node, facts: dict[str, Any], now: datetime, value: bool) -> list[Leaf]:
    """The leaves that make `node` evaluate to `value`; empty when it evaluates to the opposite."""
    if isinstance(node, Leaf):
        return [node] if _holds(node, facts, now) is value else []
    if isinstance(node, Not):
        return _witnesses(node.item, facts, now, not value)
    found = [_witnesses(x, facts, now, value) for x in node.items]
    # "all" is true (and "any" false) only when every item is; otherwise one item decides.
    every_item_needed = (node.kind == "all") is value
    if every_item_needed and any(not w for w in found):
        return []
    return [leaf for w in found for leaf in w]


def _holds(leaf: Leaf, facts: dict[str, Any], now: datetime) -> bool:
    v = field_value(leaf.field, facts, now)
    if leaf.op == "is_null":
        return v is None
    if leaf.op == "not_null":
        return v is not None
    if v is None:
        return False
    op, x = leaf.op, leaf.value
    if op == "==":
        return v == x
    if op == "!=":
        return v != x
    if op == ">":
        return v > x
    if op == ">=":
        return v >= x
    if op == "<":
        return v < x
    if op == "<=":
        return v <= x
    if op == "between":
        return x[0] <= v <= x[1]
    if op == "in":
        return v in x
    return v not in x
