"""The in-app inbox over gRPC: newest first in pages, unread counts, read receipts that also mark
the campaign log opened, and a user reaching only their own messages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from grpc_failure import failure

from engage.campaign.v1 import campaign_service_pb2 as pb

T = 10
BASE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def add_message(sql, user: str, campaign_id: int, minutes: int, title: str) -> str:
    """An inbox message as the IN_APP channel writes it, `minutes` after BASE."""
    return str(sql(
        "INSERT INTO campaign.inbox_messages (user_id, campaign_id, title, body, created_at) "
        "VALUES (%(u)s, %(c)s, %(t)s, %(b)s, %(at)s) RETURNING id",
        u=user, c=campaign_id, t=title, b=f"body of {title}", at=BASE + timedelta(minutes=minutes),
    )[0][0])


def add_log(sql, user: str, campaign_id: int, opened_at=None) -> None:
    sql("INSERT INTO campaign.campaign_logs (campaign_id, user_id, status, created_at, delivered_at, opened_at) "
        "VALUES (%(c)s, %(u)s, 'DELIVERED', %(at)s, %(at)s, %(o)s)", c=campaign_id, u=user, at=BASE, o=opened_at)


def opened(sql, user: str, campaign_id: int):
    return sql("SELECT opened_at FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND user_id = %(u)s", c=campaign_id, u=user)[0][0]


def new_campaign_id() -> int:
    return uuid.uuid4().int % 10**12 + 10**12  # logs and messages need no campaign row


@pytest.fixture
def me(as_user, user_id):
    return as_user(user_id)


def inbox(stub, md, **kw) -> pb.ListInboxMessagesResponse:
    return stub.ListInboxMessages(pb.ListInboxMessagesRequest(**kw), metadata=md, timeout=T)


def read(stub, md, message_id: str, **kw):
    return stub.MarkInboxMessageRead(pb.MarkInboxMessageReadRequest(message_id=message_id, **kw), metadata=md, timeout=T).message


def test_the_inbox_pages_newest_first_with_ties_broken_by_id(campaigns, me, user_id, sql):
    c = new_campaign_id()
    ids = {add_message(sql, user_id, c, minutes, f"m{minutes}") for minutes in (1, 2, 3)}
    tied = {add_message(sql, user_id, c, 4, "tie-a"), add_message(sql, user_id, c, 4, "tie-b")}  # same created_at
    add_message(sql, "somebody-else", c, 10, "not mine")
    seen, token, pages = [], "", 0
    while True:
        page = inbox(campaigns, me, page_size=2, page_token=token)
        assert page.unread_count == 5
        seen += list(page.messages)
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert pages == 3 and len(seen) == 5
    assert {m.message_id for m in seen} == ids | tied
    assert [m.title for m in seen[2:]] == ["m3", "m2", "m1"]
    assert sorted(m.message_id for m in seen[:2]) == sorted(tied) and seen[0].message_id > seen[1].message_id
    first = seen[2]
    assert (first.body, first.campaign_id, first.created_at.ToDatetime(tzinfo=UTC), first.HasField("read_at")) == (
        "body of m3", c, BASE + timedelta(minutes=3), False)
    assert inbox(campaigns, me).next_page_token == ""  # the default page (20) holds them all


def test_reading_a_message_marks_it_once_and_opens_the_campaign_log(campaigns, me, user_id, sql):
    c, other = new_campaign_id(), new_campaign_id()
    add_log(sql, user_id, c)
    add_log(sql, user_id, other)
    message = add_message(sql, user_id, c, 1, "hello")
    add_message(sql, user_id, other, 2, "unread one")
    first = read(campaigns, me, message)
    assert first.message_id == message and first.HasField("read_at")
    read_at = first.read_at.ToDatetime(tzinfo=UTC)
    assert opened(sql, user_id, c) == read_at and opened(sql, user_id, other) is None
    again = read(campaigns, me, message)
    assert again.read_at == first.read_at and opened(sql, user_id, c) == read_at  # the first read time stays
    listing = inbox(campaigns, me)
    assert listing.unread_count == 1
    assert [m.title for m in inbox(campaigns, me, unread_only=True).messages] == ["unread one"]
    assert [m.read_at == first.read_at for m in listing.messages] == [False, True]


def test_an_opened_log_keeps_its_first_open_time(campaigns, me, user_id, sql):
    c = new_campaign_id()
    earlier = BASE + timedelta(minutes=5)
    add_log(sql, user_id, c, opened_at=earlier)
    read(campaigns, me, add_message(sql, user_id, c, 1, "x"))
    assert opened(sql, user_id, c) == earlier


def test_a_user_reaches_only_their_own_inbox(campaigns, me, as_user, user_id, sql):
    c = new_campaign_id()
    theirs_user = f"u-{uuid.uuid4().hex[:12]}"
    add_log(sql, theirs_user, c)
    theirs = add_message(sql, theirs_user, c, 1, "private")
    code, reason, _ = failure(lambda: inbox(campaigns, me, user_id=theirs_user))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")
    code, reason, _ = failure(lambda: read(campaigns, me, theirs))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "MESSAGE_NOT_FOUND")
    code, reason, _ = failure(lambda: read(campaigns, me, str(uuid.uuid4())))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "MESSAGE_NOT_FOUND")
    assert sql("SELECT read_at FROM campaign.inbox_messages WHERE id = %(id)s", id=theirs) == [(None,)]
    assert opened(sql, theirs_user, c) is None
    assert inbox(campaigns, me).messages == []

    admin = as_user("ops-support", "admin")
    assert [m.title for m in inbox(campaigns, admin, user_id=theirs_user).messages] == ["private"]
    code, _, problems = failure(lambda: inbox(campaigns, admin))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and list(problems) == ["user_id"]
    code, _, problems = failure(lambda: read(campaigns, me, "not-a-uuid"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and list(problems) == ["message_id"]


def test_a_page_token_serves_only_the_request_it_came_from(campaigns, me, user_id, as_user, sql):
    c = new_campaign_id()
    for minutes in range(3):
        add_message(sql, user_id, c, minutes, f"m{minutes}")
    token = inbox(campaigns, me, page_size=1).next_page_token
    assert token
    for call in (lambda: inbox(campaigns, me, page_size=1, page_token=token, unread_only=True),
                 lambda: inbox(campaigns, as_user("ops-support", "admin"), user_id="someone", page_token=token),
                 lambda: inbox(campaigns, me, page_token=token[:-2] + "AA")):
        code, reason, _ = failure(call)
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")



def test_a_forged_page_token_whose_values_do_not_parse_is_invalid(campaigns, me, user_id, as_user):
    from services.common import pagination

    scope = {"inbox": user_id, "unread_only": False}
    for after in (["not-a-time", str(uuid.uuid4())], ["2026-03-01T09:00:00+00:00", "not-a-uuid"],
                  ["2026-03-01T09:00:00", str(uuid.uuid4())], ["2026-03-01T09:00:00+00:00", "\x00"]):
        code, reason, _ = failure(lambda: inbox(campaigns, me, page_token=pagination.encode(after, scope)))
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"), after
    # A well-formed forged key is just a position: it pages from there.
    good = pagination.encode(["2100-01-01T00:00:00+00:00", str(uuid.uuid4())], scope)
    assert inbox(campaigns, me, page_token=good).messages == []
    code, _, problems = failure(lambda: inbox(campaigns, as_user("ops-support", "admin"), user_id="a\x00b"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and list(problems) == ["user_id"]


def test_only_the_users_own_read_opens_the_campaign_log(campaigns, me, as_user, user_id, sql):
    c = new_campaign_id()
    add_log(sql, user_id, c)
    message = add_message(sql, user_id, c, 1, "hello")
    for caller in (as_user("ops-support", "admin"), as_user("crm-backend", "service")):
        marked = read(campaigns, caller, message, user_id=user_id)
        assert marked.HasField("read_at")
        assert opened(sql, user_id, c) is None  # read on the user's behalf: not an open
    read(campaigns, me, message)
    assert opened(sql, user_id, c) is not None
