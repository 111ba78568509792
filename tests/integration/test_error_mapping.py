"""Unexpected failures never leak their text; a database outage is UNAVAILABLE (retryable)."""

from __future__ import annotations

import grpc
import pytest
import sqlalchemy.exc

from engage.activity.v1 import activity_service_pb2 as pb
from services.activity import service


def _fail_with(monkeypatch, exc):
    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(service, "get_user_activity", boom)


def test_an_unexpected_error_is_internal_with_a_generic_message(activity, as_user, user_id, monkeypatch):
    _fail_with(monkeypatch, RuntimeError("password=hunter2 in a stack trace"))
    with pytest.raises(grpc.RpcError) as e:
        activity.GetUserActivity(pb.GetUserActivityRequest(), metadata=as_user(user_id), timeout=5)
    assert e.value.code() == grpc.StatusCode.INTERNAL
    assert "hunter2" not in e.value.details() and e.value.details() == "internal error; see the server log"


def test_a_database_outage_is_unavailable(activity, as_user, user_id, monkeypatch):
    _fail_with(monkeypatch, sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused")))
    with pytest.raises(grpc.RpcError) as e:
        activity.GetUserActivity(pb.GetUserActivityRequest(), metadata=as_user(user_id), timeout=5)
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "refused" not in e.value.details()
