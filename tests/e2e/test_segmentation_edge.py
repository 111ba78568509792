"""Segmentation's admin REST paths through the real Envoy edge."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e


def test_the_admin_console_manages_rules_and_reads_segments(edge, token, sql):
    admin = token("ops-choi", "admin")
    name = f"api-edge-{uuid.uuid4().hex[:6]}"
    body = {"name": name, "segment": "HIGH_ROLLER", "priority": 2,
            "condition_json": {"all": [{"field": "deposit_amount", "op": ">=", "value": 3000000}, {"field": "last_charge_at", "op": "not_null"}]}}
    created = edge("POST", "/admin/api/segment-rules", body, token=admin)
    assert created.status == 200, created.body
    rule = created.json()["rule"]
    assert rule["condition_json"] == body["condition_json"] and rule["version"] == 1
    rid = rule["rule_id"]

    listed = edge("GET", "/admin/api/segment-rules?page_size=200", token=admin).json()["rules"]
    assert rid in [r["rule_id"] for r in listed]
    put = edge("PUT", f"/admin/api/segment-rules/{rid}", {**body, "priority": 1, "enabled": True}, token=admin)
    assert put.status == 200 and put.json()["rule"]["version"] == 2

    bad = edge("POST", "/admin/api/segment-rules", {**body, "name": name + "-x", "condition_json": {"any": [{"field": "deposit_amount", "op": "≥", "value": 1}]}}, token=admin)
    assert bad.status == 400 and bad.reason == "INVALID_CONDITION" and bad.fields == {"condition_json.any[0].op"}

    uid = f"edge-{uuid.uuid4().hex[:8]}"
    sql("INSERT INTO activity.external_deposits (user_id, deposit_amount, updated_at, updated_by) VALUES (%(u)s, 123456787, now(), 't')", u=uid)
    preview = edge("POST", "/admin/api/segment-rules/preview", {"condition_json": {"field": "deposit_amount", "op": "==", "value": 123456787}}, token=admin)
    assert preview.status == 200 and preview.json()["matched_count"] == "1" and preview.json()["sample_user_ids"] == [uid]

    run = edge("POST", "/admin/api/segments/recompute", {}, token=admin)
    assert run.status == 200 and run.json()["run"]["error"] == ""
    segments = edge("GET", "/admin/api/segments", token=admin)
    assert segments.status == 200
    assert edge("GET", "/admin/api/segment-runs?page_size=1", token=admin).json()["runs"][0]["run_id"] == run.json()["run"]["run_id"]
    assert edge("GET", "/admin/api/users/nobody-here/segment", token=admin).status == 404

    assert edge("DELETE", f"/admin/api/segment-rules/{rid}", token=admin).status == 200
    assert edge("DELETE", f"/admin/api/segment-rules/{rid}", token=admin).status == 404
    assert edge("GET", "/admin/api/segments", token=token("svc", "service")).status == 403  # admin paths: admin only
