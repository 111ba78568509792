"""Campaign admin API over gRPC: CRUD with validation, versions and history, the status machine,
stats from the logs, log and campaign listings, contacts, and who may call what."""

from __future__ import annotations

import math
import statistics
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from coupon_support import make_coupon
from google.protobuf import struct_pb2, timestamp_pb2
from google.rpc import error_details_pb2
from grpc_failure import failure
from grpc_status import rpc_status

from engage.campaign.v1 import campaign_pb2 as cpb
from engage.campaign.v1 import campaign_service_pb2 as pb
from services.campaign import domain, repository
from services.common import db

T = 10
C = cpb.Campaign
FP = grpc.StatusCode.FAILED_PRECONDITION
INVALID = grpc.StatusCode.INVALID_ARGUMENT


def ts(dt: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(dt)
    return out


def struct(d: dict) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(d)
    return out


def fields(**overrides) -> dict:
    """A valid SCHEDULED, IN_APP, TOKEN campaign's fields, with overrides. Its segment has no members:
    the scheduler sweeps of the delivery tests see these campaigns and must find nothing to send."""
    now = datetime.now(UTC).replace(microsecond=0)
    base = dict(
        name=f"Spring {uuid.uuid4().hex[:6]}",
        segment=f"NOBODY_{uuid.uuid4().hex[:12].upper()}",
        start_at=ts(now + timedelta(hours=1)),
        end_at=ts(now + timedelta(days=7)),
        reward_type=cpb.TOKEN,
        reward_value=struct({"token_type": "DICE_TOKEN", "amount": 2}),
        message_template="Hi {user_id}, {campaign_name} gives you {reward}",
        channel=cpb.IN_APP,
        trigger=cpb.SCHEDULED,
        control_group_percent=10,
    )
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def create(stub, md, **overrides) -> cpb.Campaign:
    return stub.CreateCampaign(pb.CreateCampaignRequest(**fields(**overrides)), metadata=md, timeout=T).campaign


def update(stub, md, campaign: cpb.Campaign, **overrides):
    """UpdateCampaign with the campaign's current fields and the overrides."""
    keep = {f: getattr(campaign, f) for f in fields() if f not in ("start_at", "end_at", "reward_value")}
    for f in ("start_at", "end_at", "reward_value"):
        if campaign.HasField(f):
            keep[f] = getattr(campaign, f)
    for f in ("event", "webhook_url", "message_title", "quiet_hours_start", "quiet_hours_end", "timezone", "conversion_window_hours"):
        keep[f] = getattr(campaign, f)
    keep.update(overrides)
    keep = {k: v for k, v in keep.items() if v is not None}
    return stub.UpdateCampaign(pb.UpdateCampaignRequest(campaign_id=campaign.campaign_id, **keep), metadata=md, timeout=T).campaign


def error(call) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    """The call must fail: its code, ErrorInfo reason and metadata."""
    with pytest.raises(grpc.RpcError) as exc:
        call()
    for d in rpc_status.from_call(exc.value).details:
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            d.Unpack(info)
            return exc.value.code(), info.reason, dict(info.metadata)
    raise AssertionError("no ErrorInfo")


def set_status(sql, campaign_id: int, status: str) -> None:
    sql("UPDATE campaign.campaigns SET status = %(s)s WHERE id = %(id)s", s=status, id=campaign_id)


def changes(stub, md, campaign_id: int) -> list:
    return list(stub.ListCampaignChanges(pb.ListCampaignChangesRequest(campaign_id=campaign_id), metadata=md, timeout=T).changes)


@pytest.fixture
def ops_a(as_user):
    return as_user("ops-ana", "admin")


@pytest.fixture
def ops_b(as_user):
    return as_user("ops-ben", "admin")


# ---- CRUD ------------------------------------------------------------------------------------------

def test_a_campaign_is_created_read_listed_updated_and_deleted(campaigns, ops_a, ops_b, sql):
    made = create(campaigns, ops_a, message_title="For {user_id}", quiet_hours_start="22:00", quiet_hours_end="08:00",
                  timezone="Asia/Seoul", conversion_window_hours=48)
    assert (made.status, made.version, made.created_by, made.updated_by) == (C.DRAFT, 1, "ops-ana", "ops-ana")
    assert (made.reward_type, made.channel, made.trigger, made.control_group_percent) == (cpb.TOKEN, cpb.IN_APP, cpb.SCHEDULED, 10)
    assert dict(made.reward_value) == {"token_type": "DICE_TOKEN", "amount": 2}
    assert (made.quiet_hours_start, made.quiet_hours_end, made.timezone, made.conversion_window_hours) == ("22:00", "08:00", "Asia/Seoul", 48)
    assert made.webhook_secret == "" and not made.HasField("started_at") and made.created_at == made.updated_at
    assert sql("SELECT reward_value FROM campaign.campaigns WHERE id = %(id)s", id=made.campaign_id) == [
        ({"token_type": "DICE_TOKEN", "amount": 2},)]  # stored as integers, not the Struct's doubles
    got = campaigns.GetCampaign(pb.GetCampaignRequest(campaign_id=made.campaign_id), metadata=ops_b, timeout=T).campaign
    assert got == made
    listed = campaigns.ListCampaigns(pb.ListCampaignsRequest(), metadata=ops_b, timeout=T).campaigns
    assert listed[0].campaign_id == made.campaign_id  # newest first

    changed = update(campaigns, ops_b, made, name="Spring, renamed", control_group_percent=20, expected_version=1,
                     reward_value=struct({"token_type": "DICE_TOKEN", "amount": 3}), end_at=None)
    assert (changed.version, changed.name, changed.control_group_percent, changed.updated_by) == (2, "Spring, renamed", 20, "ops-ben")
    assert changed.created_by == "ops-ana" and changed.status == C.DRAFT and not changed.HasField("end_at")
    assert changed.updated_at.ToDatetime() >= made.updated_at.ToDatetime()
    last = changes(campaigns, ops_a, made.campaign_id)[0]
    assert (last.action, last.changed_by, last.from_status, last.to_status) == ("updated", "ops-ben", C.DRAFT, C.DRAFT)
    detail = json_of(last.detail_json)
    assert set(detail["before"]) == set(detail["after"]) == {"name", "control_group_percent", "reward_value", "end_at"}
    assert (detail["before"]["name"], detail["after"]["name"]) == (made.name, "Spring, renamed")
    assert (detail["before"]["reward_value"]["amount"], detail["after"]["reward_value"]["amount"], detail["after"]["end_at"]) == (2, 3, None)

    campaigns.DeleteCampaign(pb.DeleteCampaignRequest(campaign_id=made.campaign_id), metadata=ops_a, timeout=T)
    code, reason, _ = error(lambda: campaigns.GetCampaign(pb.GetCampaignRequest(campaign_id=made.campaign_id), metadata=ops_a, timeout=T))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "CAMPAIGN_NOT_FOUND")
    assert sql("SELECT action, changed_by, from_status, to_status FROM campaign.campaign_changes WHERE campaign_id = %(id)s ORDER BY id",
               id=made.campaign_id) == [("created", "ops-ana", None, "DRAFT"), ("updated", "ops-ben", "DRAFT", "DRAFT"),
                                        ("deleted", "ops-ana", "DRAFT", None)]


def json_of(s: struct_pb2.Struct) -> dict:
    from google.protobuf import json_format

    out = json_format.MessageToDict(s)
    return {k: _ints(v) for k, v in out.items()}


def _ints(v):
    if isinstance(v, dict):
        return {k: _ints(x) for k, x in v.items()}
    return int(v) if isinstance(v, float) and v.is_integer() else v


def test_each_reward_type_and_trigger_saves_and_coupon_ids_travel_as_strings(campaigns, coupons, ops_a, as_user):
    template = make_coupon(coupons, as_user("ops-kim", "admin"))
    points = create(campaigns, ops_a, reward_type=cpb.POINTS, reward_value=struct({"points": 500, "expiry_days": 30}))
    assert dict(points.reward_value) == {"points": 500, "expiry_days": 30}
    coupon = create(campaigns, ops_a, reward_type=cpb.COUPON, reward_value=struct({"coupon_id": template.coupon_id}),
                    message_template="Your code {coupon_code}")
    assert dict(coupon.reward_value) == {"coupon_id": str(template.coupon_id)}
    offers = [
        {"arm": "free_shipping", "label": "Free shipping", "reward_type": "COUPON", "reward_value": {"coupon_id": str(template.coupon_id)}},
        {"arm": "double_points", "label": "2x points", "reward_type": "POINTS", "reward_value": {"points": 100}},
    ]
    offer = create(campaigns, ops_a, reward_type=cpb.OFFER, reward_value=struct({"offers": offers}), trigger=cpb.EVENT,
                   event="CART_ABANDONED", segment="", message_template="{offer} for you")
    assert (offer.trigger, offer.event, offer.segment) == (cpb.EVENT, "CART_ABANDONED", "")
    assert json_of(offer.reward_value) == {"offers": offers}
    none = create(campaigns, ops_a, reward_type=cpb.NONE, reward_value=None, trigger=cpb.SEGMENT_ENTRY)
    assert (none.reward_type, dict(none.reward_value), none.trigger) == (cpb.NONE, {}, cpb.SEGMENT_ENTRY)


def test_only_admins_see_the_webhook_secret(campaigns, ops_a, as_user):
    hook = create(campaigns, ops_a, channel=cpb.WEBHOOK, webhook_url="https://hooks.example.com/engage")
    assert len(hook.webhook_secret) == 64
    get = lambda md: campaigns.GetCampaign(pb.GetCampaignRequest(campaign_id=hook.campaign_id), metadata=md, timeout=T).campaign  # noqa: E731
    svc = as_user("reporting", "service")
    assert get(ops_a).webhook_secret == hook.webhook_secret
    assert get(svc).webhook_secret == "" and get(svc).webhook_url == "https://hooks.example.com/engage"
    listed = campaigns.ListCampaigns(pb.ListCampaignsRequest(segment=hook.segment), metadata=svc, timeout=T).campaigns
    assert [(c.campaign_id, c.webhook_secret) for c in listed] == [(hook.campaign_id, "")]
    listed = campaigns.ListCampaigns(pb.ListCampaignsRequest(segment=hook.segment), metadata=ops_a, timeout=T).campaigns
    assert [c.webhook_secret for c in listed] == [hook.webhook_secret]


def test_a_webhook_campaign_gets_a_secret_kept_across_edits(campaigns, ops_a):
    hook = create(campaigns, ops_a, channel=cpb.WEBHOOK, webhook_url="https://hooks.example.com/engage")
    assert len(hook.webhook_secret) == 64 and int(hook.webhook_secret, 16) >= 0
    edited = update(campaigns, ops_a, hook, name="renamed", webhook_url="http://127.0.0.1:9/x")
    assert edited.webhook_secret == hook.webhook_secret and edited.webhook_url == "http://127.0.0.1:9/x"
    in_app = update(campaigns, ops_a, edited, channel=cpb.IN_APP, webhook_url="")
    assert in_app.webhook_secret == ""
    again = update(campaigns, ops_a, in_app, channel=cpb.WEBHOOK, webhook_url="https://hooks.example.com/2")
    assert len(again.webhook_secret) == 64 and again.webhook_secret != hook.webhook_secret
    other = create(campaigns, ops_a, channel=cpb.WEBHOOK, webhook_url="https://hooks.example.com/engage")
    assert other.webhook_secret != hook.webhook_secret


# ---- validation ----------------------------------------------------------------------------------

def offers(first_value) -> dict:
    """An OFFER reward_value whose first offer's reward_value is `first_value`."""
    return {"offers": [{"arm": "a", "label": "A", "reward_type": "NONE", "reward_value": first_value},
                       {"arm": "b", "label": "B", "reward_type": "NONE", "reward_value": {}}]}


def test_amounts_as_digit_strings_are_stored_as_integers_and_templates_keep_line_breaks(campaigns, ops_a, sql):
    made = create(campaigns, ops_a, reward_value=struct({"token_type": "DICE_TOKEN", "amount": "7"}),
                  message_template="Hi {user_id},\n\tyou got {reward}", message_title="Line\tone")
    assert sql("SELECT reward_value, message_template FROM campaign.campaigns WHERE id = %(id)s", id=made.campaign_id) == [
        ({"token_type": "DICE_TOKEN", "amount": 7}, "Hi {user_id},\n\tyou got {reward}")]
    points = create(campaigns, ops_a, reward_type=cpb.POINTS, reward_value=struct({"points": "1500", "expiry_days": "30"}))
    assert sql("SELECT reward_value FROM campaign.campaigns WHERE id = %(id)s", id=points.campaign_id) == [
        ({"points": 1500, "expiry_days": 30},)]
    ok = create(campaigns, ops_a, channel=cpb.WEBHOOK, webhook_url="https://hooks.example.com:8443/campaign?x=1")
    assert ok.webhook_url == "https://hooks.example.com:8443/campaign?x=1"


def count_named(sql, name: str) -> int:
    return sql("SELECT count(*) FROM campaign.campaigns WHERE name = %(n)s", n=name)[0][0]


@pytest.mark.parametrize(
    "overrides, field, starts",
    [
        (dict(message_template="Hi {first_name}"), "message_template", "UNKNOWN_PLACEHOLDER"),
        (dict(message_template="Hi {user_id"), "message_template", "BAD_TEMPLATE"),
        (dict(message_title="For {name}"), "message_title", "UNKNOWN_PLACEHOLDER"),
        (dict(reward_value=struct({"token_type": "GOLD", "amount": 2})), "reward_value", "token_type must be"),
        (dict(reward_type=cpb.POINTS), "reward_value", "must be"),
        (dict(reward_type=cpb.NONE), "reward_value", "must be empty"),
        (dict(reward_type=cpb.COUPON, reward_value=struct({"coupon_id": "999999999"})), "reward_value.coupon_id", "COUPON_NOT_FOUND"),
        (dict(end_at=ts(datetime.now(UTC) + timedelta(minutes=30))), "end_at", "must be after start_at"),
        (dict(segment=""), "segment", "is required for trigger SCHEDULED"),
        (dict(segment="", trigger=cpb.SEGMENT_ENTRY), "segment", "is required for trigger SEGMENT_ENTRY"),
        (dict(trigger=cpb.EVENT), "event", "must be one of CART_ABANDONED"),
        (dict(trigger=cpb.EVENT, event="BIRTHDAY"), "event", "must be one of CART_ABANDONED"),
        (dict(event="CART_ABANDONED"), "event", "is only for trigger EVENT"),
        (dict(channel=cpb.WEBHOOK), "webhook_url", "is required for channel WEBHOOK"),
        (dict(channel=cpb.WEBHOOK, webhook_url="ftp://example.com/x"), "webhook_url", "must be an absolute http"),
        (dict(channel=cpb.WEBHOOK, webhook_url="/relative/path"), "webhook_url", "must be an absolute http"),
        (dict(channel=cpb.WEBHOOK, webhook_url="https:///nohost"), "webhook_url", "must be an absolute http"),
        (dict(webhook_url="https://example.com/x"), "webhook_url", "is only for channel WEBHOOK"),
        (dict(quiet_hours_start="22:00"), "quiet_hours_end", "quiet hours need both"),
        (dict(quiet_hours_end="08:00"), "quiet_hours_start", "quiet hours need both"),
        (dict(quiet_hours_start="25:00", quiet_hours_end="08:00"), "quiet_hours_start", 'must be a time "HH:MM"'),
        (dict(quiet_hours_start="22:00", quiet_hours_end="8:00"), "quiet_hours_end", 'must be a time "HH:MM"'),
        (dict(quiet_hours_start="22:00", quiet_hours_end="22:00"), "quiet_hours_end", "must differ"),
        (dict(timezone="Mars/Olympus"), "timezone", "must be an IANA time zone"),
        (dict(name="   "), "name", "is required"),
        # Found by review: each of these was a 500 or was accepted.
        (dict(reward_type=cpb.OFFER, reward_value=struct(offers(5))), "reward_value.offers[0].reward_value", "must be an object"),
        (dict(reward_type=cpb.OFFER, reward_value=struct(offers([[1]]))), "reward_value.offers[0].reward_value", "must be an object"),
        (dict(reward_value=struct({"token_type": "DICE_TOKEN", "amount": "\u00b2"})), "reward_value", "token_type must be"),
        (dict(reward_value=struct({"token_type": "DICE_TOKEN", "amount": "\u0663"})), "reward_value", "token_type must be"),
        (dict(reward_type=cpb.POINTS, reward_value=struct({"points": "12345678901234567890"})), "reward_value", "points must be"),
        (dict(timezone="Asia"), "timezone", "must be an IANA time zone"),
        (dict(timezone="America"), "timezone", "must be an IANA time zone"),
        (dict(timezone="../../etc/passwd"), "timezone", "must be an IANA time zone"),
        (dict(start_at=timestamp_pb2.Timestamp(seconds=253402300800 + 86400)), "start_at", "must be a time from year 2000"),
        (dict(start_at=timestamp_pb2.Timestamp(seconds=-62135596800 - 86400)), "start_at", "must be a time from year 2000"),
        (dict(end_at=timestamp_pb2.Timestamp(seconds=2_000_000_000, nanos=1_000_000_000)), "end_at", "must be a time from year 2000"),
        (dict(end_at=ts(datetime(2101, 1, 1, tzinfo=UTC))), "end_at", "must be a time from year 2000"),
        (dict(name="bad\x1bname"), "name", "must not contain control characters"),
        (dict(message_template="Hi\x00 {user_id}"), "message_template", "must not contain control characters"),
        (dict(message_template="Hi \x1b[31m{user_id}"), "message_template", "must not contain control characters"),
        (dict(message_title="Bell\x07"), "message_title", "must not contain control characters"),
        (dict(channel=cpb.WEBHOOK, webhook_url="https://exa mple.com/x"), "webhook_url", "must not contain spaces"),
        (dict(channel=cpb.WEBHOOK, webhook_url="https://example.com/x\n"), "webhook_url", "must not contain spaces"),
        (dict(channel=cpb.WEBHOOK, webhook_url="https://user:pw@example.com/x"), "webhook_url", "must not carry a user name"),
        (dict(channel=cpb.WEBHOOK, webhook_url="https://example.com:99999/x"), "webhook_url", "must be an absolute http or https URL with a valid port"),
        (dict(channel=cpb.WEBHOOK, webhook_url="https://example.com:http/x"), "webhook_url", "must be an absolute http or https URL with a valid port"),
        (dict(channel=cpb.WEBHOOK, webhook_url="http://169.254.169.254/latest/meta-data"), "webhook_url", "must not be a link-local"),
        (dict(channel=cpb.WEBHOOK, webhook_url="http://[fe80::1]/x"), "webhook_url", "must not be a link-local"),
        (dict(channel=cpb.WEBHOOK, webhook_url="http://[::ffff:169.254.169.254]/x"), "webhook_url", "must not be a link-local"),
        (dict(channel=cpb.WEBHOOK, webhook_url="http://224.0.0.1/x"), "webhook_url", "must not be a link-local"),
        (dict(channel=cpb.WEBHOOK, webhook_url="http://0.0.0.0:8080/x"), "webhook_url", "must not be a link-local"),
        (dict(channel=cpb.WEBHOOK, webhook_url="http://[::]/x"), "webhook_url", "must not be a link-local"),
    ],
)
def test_each_bad_field_is_named_and_nothing_is_written(campaigns, ops_a, sql, overrides, field, starts):
    name = overrides.pop("name", f"bad-{uuid.uuid4().hex[:8]}")
    code, reason, problems = failure(lambda: create(campaigns, ops_a, name=name, **overrides))
    assert (code, reason) == (INVALID, "INVALID_FIELDS")
    assert list(problems) == [field] and problems[field].startswith(starts), problems
    assert count_named(sql, name) == 0


def test_every_bad_field_is_reported_at_once(campaigns, ops_a, sql):
    name = f"bad-{uuid.uuid4().hex[:8]}"
    code, reason, problems = failure(lambda: create(
        campaigns, ops_a, name=name, message_template="{who}", message_title="{what}", reward_type=cpb.POINTS,
        end_at=ts(datetime.now(UTC)), segment="", channel=cpb.WEBHOOK, quiet_hours_start="7", timezone="Nowhere/City",
        event="CART_ABANDONED",
    ))
    assert (code, reason) == (INVALID, "INVALID_FIELDS")
    assert set(problems) == {"message_template", "message_title", "reward_value", "end_at", "segment", "webhook_url",
                             "quiet_hours_start", "quiet_hours_end", "timezone", "event"}
    assert count_named(sql, name) == 0


def test_proto_rules_are_checked_before_the_domain(campaigns, ops_a):
    code, _, problems = failure(lambda: campaigns.CreateCampaign(pb.CreateCampaignRequest(
        name="x", control_group_percent=51, segment="vip lower"), metadata=ops_a, timeout=T))
    assert code == INVALID
    assert {"control_group_percent", "segment", "start_at", "reward_type", "message_template", "channel", "trigger"} <= set(problems)


def test_coupon_rewards_need_an_existing_template_coupon_not_a_personal_code(campaigns, coupons, ops_a, as_user, sql):
    from services.coupon import service

    template = make_coupon(coupons, as_user("ops-kim", "admin"))
    with db.transaction() as conn:
        code = service.issue_personal_code(conn, template_coupon_id=template.coupon_id, user_id="someone", idempotency_key=str(uuid.uuid4()))
    personal = sql("SELECT id FROM coupon.coupons WHERE code = %(c)s", c=code)[0][0]
    name = f"bad-{uuid.uuid4().hex[:8]}"
    _, _, problems = failure(lambda: create(campaigns, ops_a, name=name, reward_type=cpb.COUPON, reward_value=struct({"coupon_id": str(personal)})))
    assert problems["reward_value.coupon_id"].startswith(f"coupon {personal} is a personal code")
    offers = [
        {"arm": "a", "label": "A", "reward_type": "COUPON", "reward_value": {"coupon_id": str(template.coupon_id)}},
        {"arm": "b", "label": "B", "reward_type": "COUPON", "reward_value": {"coupon_id": "987654321"}},
        {"arm": "c", "label": "C", "reward_type": "COUPON", "reward_value": {"coupon_id": str(personal)}},
    ]
    _, _, problems = failure(lambda: create(campaigns, ops_a, name=name, reward_type=cpb.OFFER, reward_value=struct({"offers": offers})))
    assert list(problems) == ["reward_value.offers[1].reward_value.coupon_id", "reward_value.offers[2].reward_value.coupon_id"]
    assert problems["reward_value.offers[1].reward_value.coupon_id"].startswith("COUPON_NOT_FOUND")
    assert count_named(sql, name) == 0


def test_a_bad_update_changes_nothing(campaigns, ops_a, sql):
    made = create(campaigns, ops_a)
    code, _, problems = failure(lambda: update(campaigns, ops_a, made, message_template="{nope}", name="other"))
    assert code == INVALID and list(problems) == ["message_template"]
    assert sql("SELECT name, version FROM campaign.campaigns WHERE id = %(id)s", id=made.campaign_id) == [(made.name, 1)]
    assert [c.action for c in changes(campaigns, ops_a, made.campaign_id)] == ["created"]


# ---- edits by status, versions ------------------------------------------------------------------

@pytest.mark.parametrize("status", ["DRAFT", "SCHEDULED", "PAUSED", "RUNNING", "COMPLETED", "CANCELED"])
def test_only_draft_scheduled_and_paused_campaigns_are_editable(campaigns, ops_a, sql, status):
    made = create(campaigns, ops_a)
    set_status(sql, made.campaign_id, status)
    if status in domain.EDITABLE:
        assert update(campaigns, ops_a, made, name="edited").name == "edited"
        assert sql("SELECT status FROM campaign.campaigns WHERE id = %(id)s", id=made.campaign_id) == [(status,)]
    else:
        code, reason, meta = error(lambda: update(campaigns, ops_a, made, name="edited"))
        assert (code, reason, meta["status"]) == (FP, "CAMPAIGN_NOT_EDITABLE", status)
        assert sql("SELECT name, version FROM campaign.campaigns WHERE id = %(id)s", id=made.campaign_id) == [(made.name, 1)]


def test_a_started_campaign_keeps_what_its_stats_compare(campaigns, ops_a, sql):
    made = create(campaigns, ops_a)
    set_status(sql, made.campaign_id, "PAUSED")
    for overrides, field in [(dict(segment="NOBODY_GOLD"), "segment"), (dict(trigger=cpb.SEGMENT_ENTRY), "trigger"),
                             (dict(control_group_percent=0), "control_group_percent"), (dict(channel=cpb.EMAIL), "channel"),
                             (dict(conversion_window_hours=12), "conversion_window_hours")]:
        code, reason, meta = error(lambda: update(campaigns, ops_a, made, **overrides))
        assert (code, reason, meta["field"]) == (FP, "CAMPAIGN_NOT_EDITABLE", field)
    assert sql("SELECT version FROM campaign.campaigns WHERE id = %(id)s", id=made.campaign_id) == [(1,)]
    # The message and the reward stay editable.
    edited = update(campaigns, ops_a, made, message_template="New text {reward}",
                    reward_value=struct({"token_type": "DICE_TOKEN", "amount": 3}))
    assert (edited.message_template, dict(edited.reward_value)["amount"], edited.status, edited.version) == ("New text {reward}", 3, C.PAUSED, 2)
    set_status(sql, made.campaign_id, "SCHEDULED")  # before delivery starts, the audience may still change
    changed = update(campaigns, ops_a, edited, segment="NOBODY_GOLD", control_group_percent=0, channel=cpb.EMAIL)
    assert (changed.segment, changed.control_group_percent, changed.channel) == ("NOBODY_GOLD", 0, cpb.EMAIL)


@pytest.mark.parametrize("status", ["SCHEDULED", "PAUSED"])
def test_a_live_campaign_cannot_be_updated_to_an_end_that_has_passed(campaigns, ops_a, sql, status):
    now = datetime.now(UTC)
    made = create(campaigns, ops_a, start_at=ts(now - timedelta(days=2)))
    set_status(sql, made.campaign_id, status)
    code, reason, meta = error(lambda: update(campaigns, ops_a, made, end_at=ts(now - timedelta(minutes=1))))
    assert (code, reason, meta["campaign_id"]) == (FP, "CAMPAIGN_ENDED", str(made.campaign_id))
    assert sql("SELECT version FROM campaign.campaigns WHERE id = %(id)s", id=made.campaign_id) == [(1,)]
    assert update(campaigns, ops_a, made, end_at=ts(now + timedelta(days=1))).version == 2
    set_status(sql, made.campaign_id, "DRAFT")  # a draft may hold any end; Schedule checks it
    assert update(campaigns, ops_a, made, end_at=ts(now - timedelta(minutes=1))).version == 3


def test_a_stale_expected_version_is_refused(campaigns, ops_a, ops_b, sql):
    made = create(campaigns, ops_a)
    update(campaigns, ops_b, made, name="first", expected_version=1)
    code, reason, meta = error(lambda: update(campaigns, ops_a, made, name="second", expected_version=1))
    assert (code, reason, meta["version"]) == (grpc.StatusCode.ABORTED, "CAMPAIGN_VERSION_MISMATCH", "2")
    assert sql("SELECT name, version FROM campaign.campaigns WHERE id = %(id)s", id=made.campaign_id) == [("first", 2)]
    assert update(campaigns, ops_a, made, name="second", expected_version=2).version == 3


def test_only_drafts_can_be_deleted(campaigns, ops_a, sql):
    made = create(campaigns, ops_a)
    campaigns.ScheduleCampaign(pb.ScheduleCampaignRequest(campaign_id=made.campaign_id), metadata=ops_a, timeout=T)
    code, reason, meta = error(lambda: campaigns.DeleteCampaign(pb.DeleteCampaignRequest(campaign_id=made.campaign_id), metadata=ops_a, timeout=T))
    assert (code, reason, meta["status"]) == (FP, "CAMPAIGN_NOT_DELETABLE", "SCHEDULED")
    assert sql("SELECT count(*) FROM campaign.campaigns WHERE id = %(id)s", id=made.campaign_id) == [(1,)]
    code, reason, _ = error(lambda: campaigns.DeleteCampaign(pb.DeleteCampaignRequest(campaign_id=10**12), metadata=ops_a, timeout=T))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "CAMPAIGN_NOT_FOUND")


# ---- status moves -----------------------------------------------------------------------------------

ADMIN_ACTIONS = {
    "schedule": lambda s, i, md: s.ScheduleCampaign(pb.ScheduleCampaignRequest(campaign_id=i), metadata=md, timeout=T),
    "pause": lambda s, i, md: s.PauseCampaign(pb.PauseCampaignRequest(campaign_id=i), metadata=md, timeout=T),
    "resume": lambda s, i, md: s.ResumeCampaign(pb.ResumeCampaignRequest(campaign_id=i), metadata=md, timeout=T),
    "cancel": lambda s, i, md: s.CancelCampaign(pb.CancelCampaignRequest(campaign_id=i, reason="budget cut"), metadata=md, timeout=T),
}
EXPECTED = {
    ("DRAFT", "schedule"): "SCHEDULED", ("DRAFT", "cancel"): "CANCELED", ("SCHEDULED", "cancel"): "CANCELED",
    ("RUNNING", "pause"): "PAUSED", ("RUNNING", "cancel"): "CANCELED", ("PAUSED", "resume"): "RUNNING",
    ("PAUSED", "cancel"): "CANCELED",
}
PAST = {"schedule": "scheduled", "pause": "paused", "resume": "resumed", "cancel": "canceled"}


@pytest.mark.parametrize("status", ["DRAFT", "SCHEDULED", "RUNNING", "PAUSED", "COMPLETED", "CANCELED"])
@pytest.mark.parametrize("action", list(ADMIN_ACTIONS))
def test_admin_moves_follow_the_status_machine(campaigns, ops_b, as_user, sql, status, action):
    made = create(campaigns, as_user("ops-ana", "admin"))
    set_status(sql, made.campaign_id, status)
    target = EXPECTED.get((status, action))
    if target is None:
        code, reason, meta = error(lambda: ADMIN_ACTIONS[action](campaigns, made.campaign_id, ops_b))
        assert (code, reason, meta["from"], meta["to"]) == (FP, "INVALID_TRANSITION", status, domain.ACTION_TARGET[action])
        assert sql("SELECT status, version FROM campaign.campaigns WHERE id = %(id)s", id=made.campaign_id) == [(status, 1)]
        assert [c.action for c in changes(campaigns, ops_b, made.campaign_id)] == ["created"]
        return
    moved = ADMIN_ACTIONS[action](campaigns, made.campaign_id, ops_b).campaign
    assert (C.Status.Name(moved.status), moved.version, moved.updated_by) == (target, 2, "ops-ben")
    assert moved.HasField("finished_at") == (target == "CANCELED")
    assert moved.HasField("started_at") == (target == "RUNNING")
    last = changes(campaigns, ops_b, made.campaign_id)[0]
    assert (last.action, C.Status.Name(last.from_status), C.Status.Name(last.to_status), last.changed_by) == (PAST[action], status, target, "ops-ben")
    assert json_of(last.detail_json) == ({"reason": "budget cut"} if action == "cancel" else {})


def test_scheduling_a_campaign_whose_end_has_passed_is_refused(campaigns, ops_a, sql):
    now = datetime.now(UTC)
    made = create(campaigns, ops_a, start_at=ts(now - timedelta(days=2)), end_at=ts(now - timedelta(days=1)))
    code, reason, _ = error(lambda: ADMIN_ACTIONS["schedule"](campaigns, made.campaign_id, ops_a))
    assert (code, reason) == (FP, "CAMPAIGN_ENDED")
    assert sql("SELECT status FROM campaign.campaigns WHERE id = %(id)s", id=made.campaign_id) == [("DRAFT",)]
    late_start = create(campaigns, ops_a, start_at=ts(now - timedelta(days=2)), end_at=None)
    assert ADMIN_ACTIONS["schedule"](campaigns, late_start.campaign_id, ops_a).campaign.status == C.SCHEDULED


def test_moves_of_an_unknown_campaign_are_not_found(campaigns, ops_a):
    for action in ADMIN_ACTIONS.values():
        code, reason, _ = error(lambda: action(campaigns, 10**12, ops_a))
        assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "CAMPAIGN_NOT_FOUND")


def add_logs(sql, campaign_id: int, rows: list[tuple]) -> None:
    """rows: (user_id, status, opened, redeemed, offer)."""
    for user, status, opened, redeemed, offer in rows:
        sql(
            "INSERT INTO campaign.campaign_logs (campaign_id, user_id, batch, status, created_at, opened_at, redeemed_at, offer) "
            "VALUES (%(c)s, %(u)s, 0, %(s)s, now(), CASE WHEN %(o)s THEN now() END, CASE WHEN %(r)s THEN now() END, %(f)s)",
            c=campaign_id, u=user, s=status, o=opened, r=redeemed, f=offer,
        )


def test_the_schedulers_moves_start_and_complete(campaigns, ops_a, sql):
    made = create(campaigns, ops_a)
    now = datetime.now(UTC)
    with pytest.raises(Exception) as refused, db.transaction() as conn:
        repository.move(conn, made.campaign_id, "start", by=repository.SCHEDULER, now=now)
    assert (refused.value.reason, refused.value.metadata["from"], refused.value.metadata["to"]) == ("INVALID_TRANSITION", "DRAFT", "RUNNING")
    ADMIN_ACTIONS["schedule"](campaigns, made.campaign_id, ops_a)
    with db.transaction() as conn:
        started = repository.move(conn, made.campaign_id, "start", by=repository.SCHEDULER, now=now)
    assert (started.status, started.started_at, started.updated_by) == ("RUNNING", now, "scheduler")
    add_logs(sql, made.campaign_id, [("p1", "PENDING", False, False, None), ("d1", "DELIVERED", False, False, None)])
    sql("INSERT INTO campaign.batches (campaign_id, batch, users, status) VALUES (%(c)s, 0, 2, 'PENDING')", c=made.campaign_id)
    ADMIN_ACTIONS["pause"](campaigns, made.campaign_id, ops_a)
    assert sql("SELECT enqueued_at FROM campaign.batches WHERE campaign_id = %(c)s", c=made.campaign_id) == [(None,)]
    ADMIN_ACTIONS["resume"](campaigns, made.campaign_id, ops_a)
    # Resuming re-queued the pending batch (delivery.requeue marks it enqueued when it sends it).
    assert sql("SELECT enqueued_at IS NOT NULL FROM campaign.batches WHERE campaign_id = %(c)s", c=made.campaign_id) == [(True,)]
    with db.transaction() as conn:
        done = repository.move(conn, made.campaign_id, "complete", by=repository.SCHEDULER, now=now + timedelta(hours=1))
    assert (done.status, done.started_at, done.finished_at) == ("COMPLETED", now, now + timedelta(hours=1))
    assert sql("SELECT user_id, status FROM campaign.campaign_logs WHERE campaign_id = %(c)s ORDER BY user_id", c=made.campaign_id) == [
        ("d1", "DELIVERED"), ("p1", "CANCELED")]
    assert sql("SELECT status FROM campaign.batches WHERE campaign_id = %(c)s", c=made.campaign_id) == [("DONE",)]
    history = [(c.action, c.changed_by) for c in changes(campaigns, ops_a, made.campaign_id)]
    assert history == [("completed", "scheduler"), ("resumed", "ops-ana"), ("paused", "ops-ana"), ("started", "scheduler"),
                       ("scheduled", "ops-ana"), ("created", "ops-ana")]


# ---- history ---------------------------------------------------------------------------------------

def test_the_change_history_pages_newest_first_and_tokens_stay_with_their_campaign(campaigns, ops_a, ops_b):
    made = create(campaigns, ops_a)
    update(campaigns, ops_b, made, name="v2")
    ADMIN_ACTIONS["schedule"](campaigns, made.campaign_id, ops_a)
    ADMIN_ACTIONS["cancel"](campaigns, made.campaign_id, ops_b)
    first = campaigns.ListCampaignChanges(pb.ListCampaignChangesRequest(campaign_id=made.campaign_id, page_size=3), metadata=ops_a, timeout=T)
    assert [(c.action, c.changed_by) for c in first.changes] == [("canceled", "ops-ben"), ("scheduled", "ops-ana"), ("updated", "ops-ben")]
    rest = campaigns.ListCampaignChanges(pb.ListCampaignChangesRequest(campaign_id=made.campaign_id, page_size=3, page_token=first.next_page_token),
                                         metadata=ops_a, timeout=T)
    assert [(c.action, c.changed_by, c.from_status, c.to_status) for c in rest.changes] == [("created", "ops-ana", 0, C.DRAFT)]
    assert rest.next_page_token == ""
    assert json_of(rest.changes[0].detail_json)["after"]["name"] == made.name
    other = create(campaigns, ops_a)
    code, reason, _ = error(lambda: campaigns.ListCampaignChanges(
        pb.ListCampaignChangesRequest(campaign_id=other.campaign_id, page_size=3, page_token=first.next_page_token), metadata=ops_a, timeout=T))
    assert (code, reason) == (INVALID, "INVALID_PAGE_TOKEN")


# ---- listing ---------------------------------------------------------------------------------------

def test_campaigns_list_by_filters_newest_first_in_pages(campaigns, ops_a, sql):
    segment = f"S{uuid.uuid4().hex[:8].upper()}"
    a = create(campaigns, ops_a, segment=segment)
    b = create(campaigns, ops_a, segment=segment, trigger=cpb.SEGMENT_ENTRY)
    c = create(campaigns, ops_a, segment=segment)
    set_status(sql, a.campaign_id, "RUNNING")
    listed = lambda **kw: campaigns.ListCampaigns(pb.ListCampaignsRequest(segment=segment, **kw), metadata=ops_a, timeout=T)  # noqa: E731
    page = listed(page_size=2)
    assert [x.campaign_id for x in page.campaigns] == [c.campaign_id, b.campaign_id] and page.next_page_token
    rest = listed(page_size=2, page_token=page.next_page_token)
    assert [x.campaign_id for x in rest.campaigns] == [a.campaign_id] and rest.next_page_token == ""
    assert [x.campaign_id for x in listed(status=C.RUNNING).campaigns] == [a.campaign_id]
    assert [x.campaign_id for x in listed(trigger=cpb.SEGMENT_ENTRY).campaigns] == [b.campaign_id]
    assert [x.campaign_id for x in listed(status=C.DRAFT, trigger=cpb.SCHEDULED).campaigns] == [c.campaign_id]
    code, reason, _ = error(lambda: listed(status=C.DRAFT, page_size=2, page_token=page.next_page_token))
    assert (code, reason) == (INVALID, "INVALID_PAGE_TOKEN")


def test_logs_list_by_user_with_filters(campaigns, ops_a, sql):
    made = create(campaigns, ops_a)
    add_logs(sql, made.campaign_id, [(f"user-{i}", "DELIVERED" if i % 2 else "HELD_OUT", False, i == 3, None) for i in range(5)])
    sql("UPDATE campaign.campaign_logs SET reason = 'x', meta_json = '{\"inbox_message_id\": \"m1\"}' WHERE campaign_id = %(c)s AND user_id = 'user-1'",
        c=made.campaign_id)
    request = lambda **kw: campaigns.ListCampaignLogs(pb.ListCampaignLogsRequest(campaign_id=made.campaign_id, **kw), metadata=ops_a, timeout=T)  # noqa: E731
    first = request(page_size=2)
    assert [(x.user_id, x.status) for x in first.logs] == [("user-0", cpb.CampaignLog.HELD_OUT), ("user-1", cpb.CampaignLog.DELIVERED)]
    assert first.logs[1].reason == "x" and dict(first.logs[1].meta_json) == {"inbox_message_id": "m1"}
    rest = request(page_size=2, page_token=first.next_page_token)
    assert [x.user_id for x in rest.logs] == ["user-2", "user-3"]
    assert rest.logs[1].HasField("redeemed_at") and not rest.logs[0].HasField("redeemed_at")
    assert [x.user_id for x in request(status=cpb.CampaignLog.DELIVERED).logs] == ["user-1", "user-3"]
    assert [x.user_id for x in request(user_id="user-4").logs] == ["user-4"]
    code, reason, _ = error(lambda: request(status=cpb.CampaignLog.DELIVERED, page_size=2, page_token=first.next_page_token))
    assert (code, reason) == (INVALID, "INVALID_PAGE_TOKEN")
    code, reason, _ = error(lambda: campaigns.ListCampaignLogs(pb.ListCampaignLogsRequest(campaign_id=10**12), metadata=ops_a, timeout=T))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "CAMPAIGN_NOT_FOUND")


def test_forged_page_tokens_and_bad_filters_are_invalid_arguments(campaigns, ops_a, sql):
    from services.common import pagination

    made = create(campaigns, ops_a)
    i = made.campaign_id
    forged = {
        "campaigns": lambda t: campaigns.ListCampaigns(pb.ListCampaignsRequest(page_token=t), metadata=ops_a, timeout=T),
        "changes": lambda t: campaigns.ListCampaignChanges(pb.ListCampaignChangesRequest(campaign_id=i, page_token=t), metadata=ops_a, timeout=T),
        "logs": lambda t: campaigns.ListCampaignLogs(pb.ListCampaignLogsRequest(campaign_id=i, page_token=t), metadata=ops_a, timeout=T),
    }
    tokens = {
        "campaigns": [pagination.encode([2**63], {"campaigns": {}}), pagination.encode([0], {"campaigns": {}})],
        "changes": [pagination.encode([2**70], {"changes": i}), pagination.encode([-5], {"changes": i})],
        "logs": [pagination.encode(["a\x00b"], {"logs": i, "status": None, "user_id": None})],
    }
    for name, call in forged.items():
        for token in tokens[name]:
            code, reason, _ = error(lambda: call(token))
            assert (code, reason) == (INVALID, "INVALID_PAGE_TOKEN"), (name, token)
    code, _, problems = failure(lambda: campaigns.ListCampaignLogs(
        pb.ListCampaignLogsRequest(campaign_id=i, user_id="a\x00b"), metadata=ops_a, timeout=T))
    assert code == INVALID and list(problems) == ["user_id"]
    code, _, problems = failure(lambda: campaigns.CancelCampaign(
        pb.CancelCampaignRequest(campaign_id=i, reason="gone\x00"), metadata=ops_a, timeout=T))
    assert code == INVALID and list(problems) == ["reason"]
    assert sql("SELECT status FROM campaign.campaigns WHERE id = %(id)s", id=i) == [("DRAFT",)]


# ---- stats -------------------------------------------------------------------------------------------

def test_stats_count_every_state_and_compute_lift_and_p_value(campaigns, ops_a, sql):
    made = create(campaigns, ops_a)
    rows = (
        [(f"d{i}", "DELIVERED", i < 30, i < 12, None) for i in range(60)]  # 60 delivered, 30 opened, 12 redeemed
        + [(f"h{i}", "HELD_OUT", False, i < 2, None) for i in range(20)]  # 20 held out, 2 converted
        + [(f"s{i}", "SUPPRESSED", False, False, None) for i in range(3)]
        + [(f"p{i}", "PENDING", False, False, None) for i in range(4)]
        + [(f"x{i}", "SENDING", False, False, None) for i in range(2)]
        + [(f"f{i}", "FAILED", False, True, None) for i in range(5)]  # converted: intent to treat only, not `redeemed`
        + [(f"c{i}", "CANCELED", True, False, None) for i in range(6)]
    )
    add_logs(sql, made.campaign_id, rows)
    s = campaigns.GetCampaignStats(pb.GetCampaignStatsRequest(campaign_id=made.campaign_id), metadata=ops_a, timeout=T).stats
    assert (s.campaign_id, s.targeted, s.held_out, s.suppressed, s.pending, s.delivered, s.failed, s.canceled) == (
        made.campaign_id, 100, 20, 3, 6, 60, 5, 6)
    assert (s.opened, s.redeemed, s.control_converted) == (30, 12, 2)
    assert (s.treated_conversion_rate, s.control_conversion_rate) == (pytest.approx(0.2), pytest.approx(0.1))
    assert s.HasField("lift") and s.lift == pytest.approx(1.0)
    pooled = 14 / 80
    z = (0.2 - 0.1) / math.sqrt(pooled * (1 - pooled) * (1 / 60 + 1 / 20))
    assert s.lift_p_value == pytest.approx(2 * (1 - statistics.NormalDist().cdf(z)), rel=1e-9)
    assert 0.29 < s.lift_p_value < 0.31 and list(s.offers) == []
    # Intent to treat: everyone handled outside the control (60 delivered, 2 sending, 3 suppressed,
    # 5 failed = 70), of whom 12 + 5 converted.
    assert (s.assigned, s.assigned_converted) == (70, 17)
    assert s.intent_to_treat_conversion_rate == pytest.approx(17 / 70)
    assert s.intent_to_treat_lift == pytest.approx((17 / 70 - 0.1) / 0.1)
    pooled = 19 / 90
    z = (17 / 70 - 0.1) / math.sqrt(pooled * (1 - pooled) * (1 / 70 + 1 / 20))
    assert s.intent_to_treat_p_value == pytest.approx(2 * (1 - statistics.NormalDist().cdf(z)), rel=1e-9)


def test_stats_without_control_conversions_have_no_lift_and_empty_campaigns_have_no_p_value(campaigns, ops_a, sql):
    empty = create(campaigns, ops_a)
    s = campaigns.GetCampaignStats(pb.GetCampaignStatsRequest(campaign_id=empty.campaign_id), metadata=ops_a, timeout=T).stats
    assert (s.targeted, s.treated_conversion_rate, s.HasField("lift"), s.HasField("lift_p_value")) == (0, 0.0, False, False)
    add_logs(sql, empty.campaign_id, [("a", "DELIVERED", False, True, None), ("b", "HELD_OUT", False, False, None)])
    s = campaigns.GetCampaignStats(pb.GetCampaignStatsRequest(campaign_id=empty.campaign_id), metadata=ops_a, timeout=T).stats
    assert (s.treated_conversion_rate, s.control_conversion_rate, s.HasField("lift"), s.HasField("lift_p_value")) == (1.0, 0.0, False, True)
    code, reason, _ = error(lambda: campaigns.GetCampaignStats(pb.GetCampaignStatsRequest(campaign_id=10**12), metadata=ops_a, timeout=T))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "CAMPAIGN_NOT_FOUND")


def test_a_campaign_that_delivered_nothing_has_no_lift_even_when_its_control_group_converted(campaigns, ops_a, sql):
    made = create(campaigns, ops_a)
    add_logs(sql, made.campaign_id, [("a", "HELD_OUT", False, True, None), ("b", "FAILED", False, False, None),
                                     ("c", "PENDING", False, False, None)])
    s = campaigns.GetCampaignStats(pb.GetCampaignStatsRequest(campaign_id=made.campaign_id), metadata=ops_a, timeout=T).stats
    assert (s.delivered, s.control_converted, s.control_conversion_rate, s.treated_conversion_rate) == (0, 1, 1.0, 0.0)
    assert not s.HasField("lift")  # not -100%: nothing was delivered to compare


def test_offer_stats_group_deliveries_by_arm(campaigns, ops_a, sql):
    offers = [
        {"arm": "five_off", "label": "5% off", "reward_type": "NONE", "reward_value": {}},
        {"arm": "double_points", "label": "2x points", "reward_type": "POINTS", "reward_value": {"points": 100}},
    ]
    made = create(campaigns, ops_a, reward_type=cpb.OFFER, reward_value=struct({"offers": offers}))
    add_logs(sql, made.campaign_id, [
        ("a", "DELIVERED", False, True, "five_off"), ("b", "DELIVERED", False, False, "five_off"),
        ("c", "DELIVERED", False, True, "double_points"), ("d", "FAILED", False, False, "double_points"),
        ("e", "HELD_OUT", False, True, None),
    ])
    s = campaigns.GetCampaignStats(pb.GetCampaignStatsRequest(campaign_id=made.campaign_id), metadata=ops_a, timeout=T).stats
    assert [(o.arm, o.delivered, o.redeemed) for o in s.offers] == [("double_points", 1, 1), ("five_off", 2, 1)]


def test_the_control_hash_in_sql_matches_python(sql):
    campaign_id = 4242
    expr = domain.CONTROL_SQL.replace("%", "%%").format(campaign="CAST(%(c)s AS bigint)", user="('user-' || g)")
    rows = sql(f"SELECT 'user-' || g, {expr} FROM generate_series(1, 2000) g", c=campaign_id)
    assert len(rows) == 2000
    assert all(bucket == domain.control_bucket(campaign_id, user) for user, bucket in rows)


# ---- contacts --------------------------------------------------------------------------------------

def test_contacts_are_upserted_validated_and_cleared(campaigns, ops_a, as_user, user_id, sql):
    svc = as_user("profile-backend", "service")
    upsert = lambda md, **kw: campaigns.UpsertContact(pb.UpsertContactRequest(user_id=user_id, **kw), metadata=md, timeout=T).contact  # noqa: E731
    saved = upsert(svc, email="Ana.Kim@Example.COM", email_opt_in=True)
    assert (saved.user_id, saved.email, saved.email_opt_in) == (user_id, "Ana.Kim@example.com", True)
    assert sql("SELECT email, email_opt_in, updated_by FROM campaign.contacts WHERE user_id = %(u)s", u=user_id) == [
        ("Ana.Kim@example.com", True, "profile-backend")]
    for bad in ("not-an-email", "a@b", "a b@example.com", "a@exa mple.com", "@example.com",
                # Header injection and other forms an SMTP header would not carry as one plain address.
                "x,evil(c)@ex.com", "<a>@ex.com", "a@ex.com>", '"quoted"@example.com', "a..b@example.com",
                ".a@example.com", "a.@example.com", "a@example", "a@-example.com", "a\x00@example.com",
                "a@example.com\r\nBcc: all@example.com", f"{'a' * 65}@example.com", f"a@{'b' * 60}.{'c' * 60}.{'d' * 60}.{'e' * 70}.com"):
        code, _, problems = failure(lambda: upsert(ops_a, email=bad))
        assert code == INVALID and list(problems) == ["email"], bad
    odd = upsert(ops_a, email="o'brien+tag/x=y@mail.example.co.uk", email_opt_in=True)
    assert odd.email == "o'brien+tag/x=y@mail.example.co.uk"
    cleared = upsert(ops_a, email="", email_opt_in=False)
    assert (cleared.email, cleared.email_opt_in) == ("", False)
    assert sql("SELECT email, email_opt_in, updated_by FROM campaign.contacts WHERE user_id = %(u)s", u=user_id) == [(None, False, "ops-ana")]


# ---- who may call what -------------------------------------------------------------------------------

def test_users_may_not_call_the_admin_api_and_services_only_read(campaigns, ops_a, as_user):
    made = create(campaigns, ops_a)
    i = made.campaign_id
    user = as_user("u-curious")
    svc = as_user("reporting", "service")
    calls = {
        "create": lambda md: campaigns.CreateCampaign(pb.CreateCampaignRequest(**fields()), metadata=md, timeout=T),
        "get": lambda md: campaigns.GetCampaign(pb.GetCampaignRequest(campaign_id=i), metadata=md, timeout=T),
        "list": lambda md: campaigns.ListCampaigns(pb.ListCampaignsRequest(), metadata=md, timeout=T),
        "update": lambda md: update(campaigns, md, made, name="hijacked"),
        "delete": lambda md: campaigns.DeleteCampaign(pb.DeleteCampaignRequest(campaign_id=i), metadata=md, timeout=T),
        "stats": lambda md: campaigns.GetCampaignStats(pb.GetCampaignStatsRequest(campaign_id=i), metadata=md, timeout=T),
        "logs": lambda md: campaigns.ListCampaignLogs(pb.ListCampaignLogsRequest(campaign_id=i), metadata=md, timeout=T),
        "changes": lambda md: campaigns.ListCampaignChanges(pb.ListCampaignChangesRequest(campaign_id=i), metadata=md, timeout=T),
        "contact": lambda md: campaigns.UpsertContact(pb.UpsertContactRequest(user_id="u-curious", email="x@example.com"), metadata=md, timeout=T),
        **{name: (lambda md, a=a: a(campaigns, i, md)) for name, a in ADMIN_ACTIONS.items()},
    }
    for name, call in calls.items():
        code, reason, _ = error(lambda: call(user))
        assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED"), name
    service_may = {"get", "list", "stats", "logs", "contact"}
    for name, call in calls.items():
        if name in service_may:
            call(svc)
        else:
            assert error(lambda: call(svc))[:2] == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED"), name
    after = campaigns.GetCampaign(pb.GetCampaignRequest(campaign_id=i), metadata=ops_a, timeout=T).campaign
    assert (after.name, after.status, after.version) == (made.name, C.DRAFT, 1)


def test_a_started_offer_campaign_keeps_its_offers_but_may_change_what_each_gives(campaigns, ops_a, sql):
    def offers(*arms, amount=2):
        return struct({"offers": [{"arm": a, "label": a, "reward_type": "TOKEN",
                                   "reward_value": {"token_type": "DICE_TOKEN", "amount": amount}} for a in arms]})

    made = create(campaigns, ops_a, reward_type=cpb.OFFER, reward_value=offers("a", "b"))
    set_status(sql, made.campaign_id, "PAUSED")
    for value, kind in [(offers("a", "c"), cpb.OFFER), (offers("a", "b", "c"), cpb.OFFER)]:
        code, reason, meta = error(lambda: update(campaigns, ops_a, made, reward_type=kind, reward_value=value))
        assert (code, reason, meta["field"]) == (FP, "CAMPAIGN_NOT_EDITABLE", "reward_value")
    code, reason, meta = error(lambda: update(campaigns, ops_a, made, reward_type=cpb.TOKEN,
                                              reward_value=struct({"token_type": "DICE_TOKEN", "amount": 1})))
    assert (code, reason, meta["field"]) == (FP, "CAMPAIGN_NOT_EDITABLE", "reward_value")
    # The same arms, reordered and paying more: allowed.
    edited = update(campaigns, ops_a, made, reward_type=cpb.OFFER, reward_value=offers("b", "a", amount=5))
    assert [o["arm"] for o in dict(edited.reward_value)["offers"]] == ["b", "a"]
