"""Access policies declared in the protos: startup checks and the per-call rules."""

from __future__ import annotations

import pytest

from engage.activity.v1 import activity_service_pb2 as pb
from services.common import auth
from services.common.errors import InvalidArgument, PermissionDenied
from services.common.interceptor import MethodPolicy, check_policy, policies_for

ACTIVITY = pb.DESCRIPTOR.services_by_name["ActivityService"]
USER, ADMIN, SERVICE = auth.Role.USER, auth.Role.ADMIN, auth.Role.SERVICE


def test_the_activity_policies_come_from_the_protos():
    policies = policies_for([ACTIVITY])
    record = policies["/engage.activity.v1.ActivityService/RecordActivity"]
    assert record.roles == {USER, ADMIN, SERVICE} and record.subject_field == "user_id"
    assert policies["/engage.activity.v1.ActivityService/UpsertExternalDeposits"].roles == {ADMIN}


def test_a_user_callable_rpc_without_a_subject_field_refuses_to_start():
    with pytest.raises(SystemExit):
        check_policy(MethodPolicy("/engage.x.v1.X/Y", "engage.x.v1", frozenset({USER}), ""))


def test_a_user_is_bound_to_their_own_id():
    policy = policies_for([ACTIVITY])["/engage.activity.v1.ActivityService/GetUserActivity"]
    req = pb.GetUserActivityRequest()
    policy.authorize(auth.Principal("alice", USER), req)
    assert req.user_id == "alice"
    with pytest.raises(PermissionDenied):
        policy.authorize(auth.Principal("alice", USER), pb.GetUserActivityRequest(user_id="bob"))
    with pytest.raises(InvalidArgument):
        policy.authorize(auth.Principal("svc", SERVICE), pb.GetUserActivityRequest())


def test_admin_paths_need_the_admin_role_whatever_the_rpc_allows():
    policy = policies_for([ACTIVITY])["/engage.activity.v1.ActivityService/GetUserActivity"]
    for who in (auth.Principal("alice", USER), auth.Principal("svc", SERVICE)):
        with pytest.raises(PermissionDenied) as e:
            policy.authorize(who, pb.GetUserActivityRequest(user_id="alice"), admin_surface=True)
        assert e.value.reason == "ADMIN_REQUIRED"
    policy.authorize(auth.Principal("ops", ADMIN), pb.GetUserActivityRequest(user_id="alice"), admin_surface=True)
