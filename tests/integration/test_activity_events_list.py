"""Listing a user's events: keyset pages, newest first, tokens bound to the request."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import struct_pb2, timestamp_pb2

from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as pb

T = 5
BASE = datetime(2026, 10, 1, 12, tzinfo=UTC)


def _record(activity, as_user, user_id, kind, minutes, **kw):
    when = timestamp_pb2.Timestamp()
    when.FromDatetime(BASE + timedelta(minutes=minutes))
    req = pb.RecordActivityRequest(user_id=user_id, event_type=kind, occurred_at=when, event_id=str(uuid.uuid4()), **kw)
    return activity.RecordActivity(req, metadata=as_user("svc", "service"), timeout=T).event_id


def test_pages_walk_every_event_once_newest_first(activity, as_user, user_id):
    meta = struct_pb2.Struct()
    meta.update({"k": 1})
    ids = [_record(activity, as_user, user_id, a.VISIT, m) for m in range(4)]
    ids.append(_record(activity, as_user, user_id, a.PLAY_DURATION, 2, value=30, meta_json=meta))  # same minute as ids[2]
    seen, token, pages = [], "", 0
    while True:
        page = activity.ListUserEvents(pb.ListUserEventsRequest(page_size=2, page_token=token), metadata=as_user(user_id), timeout=T)
        seen += list(page.events)
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert pages == 3 and sorted(e.event_id for e in seen) == sorted(ids)
    keys = [(e.occurred_at.ToDatetime(), e.event_id) for e in seen]
    assert keys == sorted(keys, reverse=True)
    duration = next(e for e in seen if e.event_type == a.PLAY_DURATION)
    assert duration.value == 30 and dict(duration.meta_json) == {"k": 1}


def test_a_filter_by_event_type(activity, as_user, user_id):
    _record(activity, as_user, user_id, a.VISIT, 0)
    login = _record(activity, as_user, user_id, a.LOGIN, 1)
    page = activity.ListUserEvents(pb.ListUserEventsRequest(event_type=a.LOGIN), metadata=as_user(user_id), timeout=T)
    assert [e.event_id for e in page.events] == [login] and page.next_page_token == ""


def test_a_token_only_continues_the_request_it_came_from(activity, as_user, user_id):
    for m in range(3):
        _record(activity, as_user, user_id, a.VISIT, m)
    token = activity.ListUserEvents(pb.ListUserEventsRequest(page_size=1), metadata=as_user(user_id), timeout=T).next_page_token
    svc = as_user("svc", "service")
    for req in (
        pb.ListUserEventsRequest(user_id="someone-else", page_token=token),
        pb.ListUserEventsRequest(user_id=user_id, page_token=token, event_type=a.LOGIN),
        pb.ListUserEventsRequest(user_id=user_id, page_token=token[:-2] + "xx"),
        pb.ListUserEventsRequest(user_id=user_id, page_token="garbage"),
    ):
        with pytest.raises(grpc.RpcError) as e:
            activity.ListUserEvents(req, metadata=svc, timeout=T)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("size", [-1, 201])
def test_page_sizes_are_bounded(activity, as_user, user_id, size):
    with pytest.raises(grpc.RpcError) as e:
        activity.ListUserEvents(pb.ListUserEventsRequest(page_size=size), metadata=as_user(user_id), timeout=T)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_users_list_only_their_own_events(activity, as_user, user_id):
    with pytest.raises(grpc.RpcError) as e:
        activity.ListUserEvents(pb.ListUserEventsRequest(user_id="someone-else"), metadata=as_user(user_id), timeout=T)
    assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED
