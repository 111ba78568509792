"""Segmentation over gRPC: rule CRUD with versions, validation by JSON path, preview, recompute,
reads and the explanation of a user's segment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import struct_pb2
from grpc_failure import failure

from engage.segmentation.v1 import segmentation_service_pb2 as pb

T = 10


def cond(value: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(value)
    return s


@pytest.fixture
def admin(as_user):
    return as_user("ops-park", "admin")


@pytest.fixture
def cleanup(sql):
    yield
    sql("DELETE FROM segmentation.segment_rules WHERE name LIKE 'api-%%'")


def new_user(sql, deposit: int, charged_days_ago: int | None = None) -> str:
    uid = f"sa-{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC)
    sql(
        "INSERT INTO activity.user_activity (user_id, first_seen_at, last_active_at, last_charge_at) VALUES (%(u)s, %(f)s, %(f)s, %(c)s)",
        u=uid, f=now - timedelta(days=40), c=None if charged_days_ago is None else now - timedelta(days=charged_days_ago),
    )
    sql("INSERT INTO activity.external_deposits (user_id, deposit_amount, updated_at, updated_by) VALUES (%(u)s, %(a)s, now(), 't')", u=uid, a=deposit)
    return uid


def test_rules_are_created_updated_deleted_with_versions(segmentation, admin, sql, cleanup):
    name = f"api-{uuid.uuid4().hex[:6]}"
    created = segmentation.CreateSegmentRule(
        pb.CreateSegmentRuleRequest(name=name, segment="WHALE", priority=5, condition_json=cond({"field": "deposit_amount", "op": ">=", "value": 5000000})),
        metadata=admin, timeout=T,
    ).rule
    assert (created.version, created.enabled, created.created_by) == (1, True, "ops-park")
    assert dict(created.condition_json) == {"field": "deposit_amount", "op": ">=", "value": 5000000}
    updated = segmentation.UpdateSegmentRule(
        pb.UpdateSegmentRuleRequest(rule_id=created.rule_id, name=name, segment="WHALE", priority=4, enabled=False,
                                    condition_json=cond({"field": "deposit_amount", "op": ">=", "value": 6000000})),
        metadata=admin, timeout=T,
    ).rule
    assert (updated.version, updated.priority, updated.enabled) == (2, 4, False)
    segmentation.DeleteSegmentRule(pb.DeleteSegmentRuleRequest(rule_id=created.rule_id), metadata=admin, timeout=T)
    trail = sql("SELECT version, action, before->>'priority', after->>'priority', changed_by FROM segmentation.rule_versions WHERE rule_id = %(r)s ORDER BY version", r=created.rule_id)
    assert trail == [(1, "created", None, "5", "ops-park"), (2, "updated", "5", "4", "ops-park"), (3, "deleted", "4", None, "ops-park")]
    code, reason, _ = failure(lambda: segmentation.DeleteSegmentRule(pb.DeleteSegmentRuleRequest(rule_id=created.rule_id), metadata=admin, timeout=T))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "RULE_NOT_FOUND")


def test_a_bad_condition_is_refused_naming_the_json_path(segmentation, admin, sql, cleanup):
    bad = {"all": [{"field": "deposit_amount", "op": ">=", "value": 1}, {"field": "dice_plays", "op": "~", "value": 1}, {"field": "nope", "op": "==", "value": 1}]}
    code, reason, fields = failure(lambda: segmentation.CreateSegmentRule(
        pb.CreateSegmentRuleRequest(name="api-bad", segment="X", priority=1, condition_json=cond(bad)), metadata=admin, timeout=T))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_CONDITION")
    assert set(fields) == {"condition_json.all[1].op", "condition_json.all[2].field"}
    code, _, fields = failure(lambda: segmentation.CreateSegmentRule(
        pb.CreateSegmentRuleRequest(name="api-bad", segment="not a code", priority=1, condition_json=cond({"field": "dice_plays", "op": "is_null"})), metadata=admin, timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "segment" in fields
    assert sql("SELECT count(*) FROM segmentation.segment_rules WHERE name = 'api-bad'") == [(0,)]


def test_rule_names_are_unique(segmentation, admin, cleanup):
    req = pb.CreateSegmentRuleRequest(name="api-twice", segment="X", priority=1, condition_json=cond({"field": "dice_plays", "op": "is_null"}))
    segmentation.CreateSegmentRule(req, metadata=admin, timeout=T)
    code, reason, _ = failure(lambda: segmentation.CreateSegmentRule(req, metadata=admin, timeout=T))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "RULE_NAME_TAKEN")


def test_rules_list_by_priority_a_page_at_a_time(segmentation, admin, cleanup):
    for p in (30, 10, 20):
        segmentation.CreateSegmentRule(pb.CreateSegmentRuleRequest(name=f"api-p{p}", segment="X", priority=p, condition_json=cond({"field": "dice_plays", "op": "is_null"})), metadata=admin, timeout=T)
    seen, token = [], ""
    while True:
        page = segmentation.ListSegmentRules(pb.ListSegmentRulesRequest(page_size=1, page_token=token), metadata=admin, timeout=T)
        seen += [r.name for r in page.rules if r.name.startswith("api-p")]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["api-p10", "api-p20", "api-p30"]


def test_preview_counts_without_writing(segmentation, admin, sql):
    users = [new_user(sql, deposit=777_777_001 + i) for i in range(3)]
    before = sql("SELECT count(*) FROM segmentation.user_segments")
    r = segmentation.PreviewSegmentRule(pb.PreviewSegmentRuleRequest(condition_json=cond({"field": "deposit_amount", "op": "between", "value": [777_777_001, 777_777_003]}), sample_size=2), metadata=admin, timeout=T)
    assert r.matched_count == 3 and len(r.sample_user_ids) == 2 and set(r.sample_user_ids) <= set(users)
    assert sql("SELECT count(*) FROM segmentation.user_segments") == before


def test_recompute_then_read_segments_users_and_the_explanation(segmentation, admin, sql, as_user):
    almost = new_user(sql, deposit=999_999, charged_days_ago=1)
    vip = new_user(sql, deposit=1_000_000, charged_days_ago=1)
    run = segmentation.RecomputeSegments(pb.RecomputeSegmentsRequest(), metadata=admin, timeout=60).run
    assert run.users_evaluated >= 2 and run.error == "" and run.counts["VIP"] >= 1
    why = segmentation.GetUserSegment(pb.GetUserSegmentRequest(user_id=almost), metadata=as_user("crm", "service"), timeout=T)
    assert why.segment == "ACTIVE" and why.facts["deposit_amount"] == 999_999
    vip_check = next(c for c in why.checks if c.segment == "VIP")
    assert [dict(f)["field"] for f in vip_check.failed_conditions] == ["deposit_amount"]
    assert segmentation.GetUserSegment(pb.GetUserSegmentRequest(user_id=vip), metadata=admin, timeout=T).segment == "VIP"
    counts = {s.segment: s.user_count for s in segmentation.ListSegments(pb.ListSegmentsRequest(), metadata=admin, timeout=T).segments}
    assert counts["VIP"] >= 1 and counts["ACTIVE"] >= 1
    members, token = [], ""
    while True:
        page = segmentation.ListSegmentUsers(pb.ListSegmentUsersRequest(segment="VIP", page_size=50, page_token=token), metadata=admin, timeout=T)
        members += page.user_ids
        token = page.next_page_token
        if not token:
            break
    assert vip in members and almost not in members and members == sorted(members)
    runs = segmentation.ListSegmentRuns(pb.ListSegmentRunsRequest(page_size=5), metadata=admin, timeout=T).runs
    assert runs[0].run_id == run.run_id


def test_an_unevaluated_user_is_not_found(segmentation, admin):
    code, reason, _ = failure(lambda: segmentation.GetUserSegment(pb.GetUserSegmentRequest(user_id="nobody-here"), metadata=admin, timeout=T))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "USER_NOT_SEGMENTED")


def test_users_cannot_call_segmentation(segmentation, as_user, user_id):
    for call in (
        lambda md: segmentation.ListSegmentRules(pb.ListSegmentRulesRequest(), metadata=md, timeout=T),
        lambda md: segmentation.RecomputeSegments(pb.RecomputeSegmentsRequest(), metadata=md, timeout=T),
        lambda md: segmentation.GetUserSegment(pb.GetUserSegmentRequest(user_id=user_id), metadata=md, timeout=T),
    ):
        code, reason, _ = failure(lambda: call(as_user(user_id)))
        assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")


def test_a_stale_edit_is_refused_and_enabled_defaults_to_true(segmentation, admin, cleanup):
    c = cond({"field": "dice_plays", "op": "is_null"})
    rule = segmentation.CreateSegmentRule(pb.CreateSegmentRuleRequest(name="api-stale", segment="X", priority=1, condition_json=c), metadata=admin, timeout=T).rule
    first = segmentation.UpdateSegmentRule(
        pb.UpdateSegmentRuleRequest(rule_id=rule.rule_id, name="api-stale", segment="Y", priority=1, condition_json=c, expected_version=1), metadata=admin, timeout=T
    ).rule
    assert (first.version, first.enabled) == (2, True)  # enabled omitted: true
    code, reason, _ = failure(lambda: segmentation.UpdateSegmentRule(
        pb.UpdateSegmentRuleRequest(rule_id=rule.rule_id, name="api-stale", segment="Z", priority=1, condition_json=c, expected_version=1), metadata=admin, timeout=T))
    assert (code, reason) == (grpc.StatusCode.ABORTED, "RULE_VERSION_MISMATCH")


def test_the_explanation_tells_what_the_rules_decide_today(segmentation, admin, sql):
    uid = new_user(sql, deposit=10, charged_days_ago=1)
    from services.segmentation import service

    service.reevaluate_users([uid])
    sql("UPDATE activity.external_deposits SET deposit_amount = 2000000 WHERE user_id = %(u)s", u=uid)  # no event: not re-evaluated
    why = segmentation.GetUserSegment(pb.GetUserSegmentRequest(user_id=uid), metadata=admin, timeout=T)
    assert (why.segment, why.segment_now) == ("ACTIVE", "VIP")


def test_a_forged_page_token_of_the_wrong_shape_is_refused(segmentation, admin):
    from services.common import pagination

    forged = pagination.encode(["not", "numbers"], "rules")
    code, reason, _ = failure(lambda: segmentation.ListSegmentRules(pb.ListSegmentRulesRequest(page_token=forged), metadata=admin, timeout=T))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")


def test_numbers_beyond_double_precision_are_refused(segmentation, admin, cleanup):
    code, _, fields = failure(lambda: segmentation.CreateSegmentRule(
        pb.CreateSegmentRuleRequest(name="api-huge", segment="X", priority=1, condition_json=cond({"field": "deposit_amount", "op": ">", "value": 2.0**60})), metadata=admin, timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "condition_json.value" in fields
