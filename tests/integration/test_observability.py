"""Metrics count RPCs by method and code; the request id travels back to the caller."""

from __future__ import annotations

from prometheus_client import REGISTRY

from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as pb

METHOD = "/engage.activity.v1.ActivityService/RecordActivity"


def _count(code: str) -> float:
    return REGISTRY.get_sample_value("engage_rpc_total", {"method": METHOD, "code": code}) or 0.0


def test_rpcs_are_counted_and_timed(activity, as_user, user_id):
    ok, bad = _count("OK"), _count("INVALID_ARGUMENT")
    activity.RecordActivity(pb.RecordActivityRequest(event_type=a.VISIT), metadata=as_user(user_id), timeout=5)
    try:
        activity.RecordActivity(pb.RecordActivityRequest(), metadata=as_user(user_id), timeout=5)
    except Exception:
        pass
    assert _count("OK") == ok + 1 and _count("INVALID_ARGUMENT") == bad + 1
    assert REGISTRY.get_sample_value("engage_rpc_seconds_count", {"method": METHOD}) >= 2


def test_the_request_id_is_echoed(activity, as_user, user_id):
    _, call = activity.RecordActivity.with_call(
        pb.RecordActivityRequest(event_type=a.VISIT), metadata=(*as_user(user_id), ("x-request-id", "req-123")), timeout=5
    )
    assert ("x-request-id", "req-123") in tuple(call.trailing_metadata())
