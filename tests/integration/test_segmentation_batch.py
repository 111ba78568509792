"""The segmentation batch: one statement over all users, defaults, priorities, idempotent reruns,
one run at a time, and a failed run that changes nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import FailedPrecondition
from services.segmentation import service

NOW = datetime(2026, 11, 21, 3, tzinfo=UTC)


@pytest.fixture
def rules(sql):
    """add(name, segment, priority, condition) inserts an operator rule; all are removed afterwards."""
    added: list[int] = []

    def add(segment, priority, condition, enabled=True):
        (row,) = sql(
            "INSERT INTO segmentation.segment_rules (name, segment, priority, enabled, condition, created_by, updated_by) "
            "VALUES (%(n)s, %(s)s, %(p)s, %(e)s, %(c)s, 'test', 'test') RETURNING id",
            n=f"rule-{uuid.uuid4().hex[:8]}", s=segment, p=priority, e=enabled, c=json.dumps(condition),
        )
        added.append(row[0])
        return row[0]

    yield add
    sql("DELETE FROM segmentation.segment_rules WHERE id = ANY(%(ids)s)", ids=added)


def user(sql, *, deposit=None, charged_days_ago=None, first_seen_days_ago=30, dice=0) -> str:
    uid = f"seg-{uuid.uuid4().hex[:10]}"
    sql(
        "INSERT INTO activity.user_activity (user_id, dice_plays, first_seen_at, last_active_at, last_charge_at) "
        "VALUES (%(u)s, %(d)s, %(f)s, %(f)s, %(c)s)",
        u=uid, d=dice, f=NOW - timedelta(days=first_seen_days_ago),
        c=None if charged_days_ago is None else NOW - timedelta(days=charged_days_ago, hours=1),
    )
    if deposit is not None:
        sql(
            "INSERT INTO activity.external_deposits (user_id, deposit_amount, updated_at, updated_by) VALUES (%(u)s, %(a)s, now(), 't')",
            u=uid, a=deposit,
        )
    return uid


def segment_of(sql, uid):
    rows = sql("SELECT segment, rule_id FROM segmentation.user_segments WHERE user_id = %(u)s", u=uid)
    return rows[0] if rows else None


def test_the_built_in_defaults_apply_when_no_rule_matches(sql):
    vip = user(sql, deposit=1_000_000, charged_days_ago=30)
    long_ = user(sql, charged_days_ago=14)
    short = user(sql, charged_days_ago=7)
    short_edge = user(sql, charged_days_ago=13)
    new = user(sql, first_seen_days_ago=3)
    active = user(sql, charged_days_ago=2)
    never_charged = user(sql)
    result = service.run_batch(now=NOW)
    assert result.evaluated >= 7
    expected = {vip: "VIP", long_: "DORMANT_LONG", short: "DORMANT_SHORT", short_edge: "DORMANT_SHORT",
                new: "NEW", active: "ACTIVE", never_charged: "ACTIVE"}
    assert {u: segment_of(sql, u) for u in expected} == {u: (s, None) for u, s in expected.items()}


def test_operator_rules_come_first_by_priority_then_id(sql, rules):
    whale_id = rules("WHALE", 5, {"field": "deposit_amount", "op": ">=", "value": 5_000_000})
    first_id = rules("GAMER", 1, {"field": "dice_plays", "op": ">", "value": 10})
    rules("GAMER_TWIN", 1, {"field": "dice_plays", "op": ">", "value": 10})  # same priority, later id
    rules("OFF", 0, {"field": "dice_plays", "op": ">", "value": 0}, enabled=False)
    whale = user(sql, deposit=9_000_000)
    gamer_whale = user(sql, deposit=9_000_000, dice=50)
    service.run_batch(now=NOW)
    assert segment_of(sql, whale) == ("WHALE", whale_id)
    assert segment_of(sql, gamer_whale) == ("GAMER", first_id)


def test_a_rerun_without_changes_writes_nothing_and_history_follows_segment_changes(sql):
    uid = user(sql, charged_days_ago=2)
    service.run_batch(now=NOW)
    again = service.run_batch(now=NOW)
    assert again.changed == 0
    before = sql("SELECT count(*) FROM segmentation.segment_history WHERE user_id = %(u)s", u=uid)
    later = service.run_batch(now=NOW + timedelta(days=6))  # 8 days since the charge: dormant now
    assert segment_of(sql, uid)[0] == "DORMANT_SHORT" and later.changed >= 1
    history = sql("SELECT from_segment, to_segment, run_id FROM segmentation.segment_history WHERE user_id = %(u)s ORDER BY id", u=uid)
    assert before == [(1,)] and [(h[0], h[1]) for h in history] == [(None, "ACTIVE"), ("ACTIVE", "DORMANT_SHORT")]
    assert history[-1][2] == later.run_id
    (run,) = sql("SELECT users_evaluated, changes, counts, error FROM segmentation.segment_runs WHERE id = %(i)s", i=later.run_id)
    assert run[0] == later.evaluated and run[1] == later.changed and run[3] is None
    assert sum(run[2].values()) == later.evaluated


def test_only_one_run_at_a_time(settings):
    import psycopg

    from services.common.config import libpq_url
    from services.segmentation.repository import RUN_LOCK

    with psycopg.connect(libpq_url(settings.database_url)) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (RUN_LOCK,))
        with pytest.raises(FailedPrecondition) as e:
            service.run_batch(now=NOW)
        assert e.value.reason == "RUN_IN_PROGRESS"
    assert service.run_batch(now=NOW).evaluated > 0  # free again once the other run ended


def test_a_failed_run_is_recorded_and_changes_nothing(sql, rules):
    uid = user(sql, charged_days_ago=2)
    service.run_batch(now=NOW)
    # A rule whose stored condition no longer parses (e.g. a retired field) fails the whole run.
    rules("BROKEN", 1, {"field": "retired_field", "op": ">", "value": 1})
    with pytest.raises(Exception):
        service.run_batch(now=NOW + timedelta(days=20))
    assert segment_of(sql, uid) == ("ACTIVE", None)
    (run,) = sql("SELECT error FROM segmentation.segment_runs ORDER BY id DESC LIMIT 1")
    assert "retired_field" in run[0]


def test_the_batch_agrees_with_the_python_evaluator(sql, rules):
    from services.common import db
    from services.segmentation import domain
    from services.segmentation.service import load_rules

    rules("MID", 3, {"any": [{"field": "deposit_amount", "op": "between", "value": [100, 500]}, {"not": {"field": "last_charge_at", "op": "not_null"}}]})
    users = [user(sql, deposit=d, charged_days_ago=c, first_seen_days_ago=f)
             for d, c, f in [(None, None, 1), (200, 3, 40), (700, 20, 40), (2_000_000, 9, 2), (None, 8, 40), (50, None, 10)]]
    service.run_batch(now=NOW)
    with db.transaction() as conn:
        plan = load_rules(conn)
    for uid in users:
        (facts,) = sql("SELECT * FROM activity.user_facts WHERE user_id = %(u)s", u=uid)
        names = [d for d in ("user_id", "last_login_at", "last_charge_at", "last_active_at", "first_seen_at", "deposit_amount",
                             "roulette_plays", "dice_plays", "lottery_plays", "total_play_duration", "purchase_count", "purchase_total")]
        seg, rule = domain.decide(plan, dict(zip(names, facts)), NOW)
        assert segment_of(sql, uid) == (seg, rule.rule_id if rule else None)
