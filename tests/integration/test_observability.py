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


def test_errors_carry_the_request_id_too(activity, as_user, user_id):
    import grpc

    try:
        activity.RecordActivity(pb.RecordActivityRequest(), metadata=(*as_user(user_id), ("x-request-id", "req-err")), timeout=5)
    except grpc.RpcError as e:
        assert ("x-request-id", "req-err") in tuple(e.trailing_metadata())
    else:
        raise AssertionError("the call should have failed")


def test_the_admin_rule_applies_to_direct_grpc_callers_sending_the_edge_header(activity, as_user, user_id):
    import grpc

    md = (*as_user(user_id), ("x-envoy-original-path", "/admin/api/users/x/activity"))
    try:
        activity.GetUserActivity(pb.GetUserActivityRequest(), metadata=md, timeout=5)
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.PERMISSION_DENIED
    else:
        raise AssertionError("a user must not pass the admin rule")


def test_an_engage_rpc_without_a_policy_is_refused(settings):
    from concurrent import futures

    import grpc

    from engage.activity.v1 import activity_service_pb2_grpc
    from services.activity.servicer import ActivityServicer
    from services.common import auth
    from services.common.interceptor import EngageInterceptor

    server = grpc.server(futures.ThreadPoolExecutor(2), interceptors=[EngageInterceptor(auth.Authenticator(settings), {})])
    activity_service_pb2_grpc.add_ActivityServiceServicer_to_server(ActivityServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            stub = activity_service_pb2_grpc.ActivityServiceStub(ch)
            try:
                stub.RecordActivity(pb.RecordActivityRequest(event_type=a.VISIT), timeout=5)
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.PERMISSION_DENIED
            else:
                raise AssertionError("an RPC with no enforced policy must not be served")
    finally:
        server.stop(0)
