"""gRPC entrypoint of the Campaign service: protobuf in, admin/inbox call, protobuf out."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from google.protobuf import json_format

from engage.campaign.v1 import campaign_pb2, campaign_service_pb2, campaign_service_pb2_grpc
from services.campaign import admin, inbox
from services.common.auth import Role, current_principal
from services.common.errors import FieldViolation, InvalidArgument
from services.common.protos import struct, timestamp

_pb = campaign_service_pb2
_C = campaign_pb2.Campaign
_L = campaign_pb2.CampaignLog


def _name(enum, value: int) -> str | None:
    """The enum value's name; None for 0 (unspecified)."""
    return enum.Name(value) if value else None


def _value(enum, name: str | None) -> int:
    return enum.Value(name) if name else 0


_EARLIEST, _LATEST = (int(t.timestamp()) for t in (admin.EARLIEST, admin.LATEST))


def _time(request, field: str) -> datetime | None:
    """The Timestamp as a datetime; one out of the campaign range (or with bad nanos, which
    ToDatetime would raise on) is a field violation."""
    if not request.HasField(field):
        return None
    ts = getattr(request, field)
    if not (_EARLIEST <= ts.seconds < _LATEST and 0 <= ts.nanos < 1_000_000_000):
        raise InvalidArgument.fields([FieldViolation(field, admin.TIME_RANGE)])
    return ts.ToDatetime(tzinfo=UTC)


def _fields(request) -> admin.Fields:
    """The campaign fields shared by CreateCampaign and UpdateCampaign requests."""
    start_at, end_at = _time(request, "start_at"), _time(request, "end_at")
    return admin.Fields(
        name=request.name,
        segment=request.segment or None,
        start_at=start_at,
        end_at=end_at,
        reward_type=_name(campaign_pb2.RewardType, request.reward_type),
        reward_value=json_format.MessageToDict(request.reward_value) if request.HasField("reward_value") else {},
        message_template=request.message_template,
        channel=_name(campaign_pb2.Channel, request.channel),
        trigger=_name(campaign_pb2.Trigger, request.trigger),
        control_group_percent=request.control_group_percent,
        message_title=request.message_title,
        event=request.event or None,
        webhook_url=request.webhook_url or None,
        quiet_hours_start=request.quiet_hours_start or None,
        quiet_hours_end=request.quiet_hours_end or None,
        timezone=request.timezone or None,
        conversion_window_hours=request.conversion_window_hours or None,
    )


def _campaign(row) -> campaign_pb2.Campaign:
    """The campaign as the caller may see it: the webhook signing secret only for admins."""
    admin_caller = current_principal().role == Role.ADMIN
    return campaign_pb2.Campaign(
        campaign_id=row.id,
        name=row.name,
        segment=row.segment or "",
        start_at=timestamp(row.start_at),
        end_at=timestamp(row.end_at),
        reward_type=_value(campaign_pb2.RewardType, row.reward_type),
        reward_value=struct(row.reward_value or {}),
        message_template=row.message_template,
        channel=_value(campaign_pb2.Channel, row.channel),
        status=_value(_C.Status, row.status),
        trigger=_value(campaign_pb2.Trigger, row.trigger),
        control_group_percent=row.control_group_percent,
        message_title=row.message_title,
        event=row.event or "",
        webhook_url=row.webhook_url or "",
        webhook_secret=(row.webhook_secret or "") if admin_caller else "",
        quiet_hours_start=row.quiet_hours_start or "",
        quiet_hours_end=row.quiet_hours_end or "",
        timezone=row.timezone or "",
        conversion_window_hours=row.conversion_window_hours or 0,
        version=row.version,
        created_at=timestamp(row.created_at),
        created_by=row.created_by,
        updated_at=timestamp(row.updated_at),
        updated_by=row.updated_by,
        started_at=timestamp(row.started_at),
        finished_at=timestamp(row.finished_at),
    )


def _log(row) -> campaign_pb2.CampaignLog:
    return campaign_pb2.CampaignLog(
        campaign_id=row.campaign_id,
        user_id=row.user_id,
        status=_value(_L.Status, row.status),
        reason=row.reason or "",
        created_at=timestamp(row.created_at),
        delivered_at=timestamp(row.delivered_at),
        opened_at=timestamp(row.opened_at),
        redeemed_at=timestamp(row.redeemed_at),
        meta_json=struct(row.meta_json or {}),
    )


def _change(row) -> campaign_pb2.CampaignChange:
    return _pb.CampaignChange(
        action=row.action,
        from_status=_value(_C.Status, row.from_status),
        to_status=_value(_C.Status, row.to_status),
        changed_by=row.changed_by,
        changed_at=timestamp(row.changed_at),
        detail_json=struct(row.detail or {}),
    )


def _stats(s: admin.Stats) -> campaign_pb2.CampaignStats:
    out = campaign_pb2.CampaignStats(
        campaign_id=s.campaign_id, targeted=s.targeted, held_out=s.held_out, suppressed=s.suppressed,
        pending=s.pending, delivered=s.delivered, failed=s.failed, canceled=s.canceled, opened=s.opened,
        redeemed=s.redeemed, control_converted=s.control_converted, assigned=s.assigned,
        assigned_converted=s.assigned_converted, intent_to_treat_conversion_rate=s.intent_to_treat.treated_rate,
        treated_conversion_rate=s.effect.treated_rate, control_conversion_rate=s.effect.control_rate,
        offers=[campaign_pb2.OfferStats(arm=o.arm, delivered=o.delivered, redeemed=o.redeemed) for o in s.offers],
    )
    if s.effect.lift is not None:
        out.lift = s.effect.lift
    if s.effect.p_value is not None:
        out.lift_p_value = s.effect.p_value
    if s.intent_to_treat.lift is not None:
        out.intent_to_treat_lift = s.intent_to_treat.lift
    if s.intent_to_treat.p_value is not None:
        out.intent_to_treat_p_value = s.intent_to_treat.p_value
    return out


def _message(row) -> campaign_pb2.InboxMessage:
    return campaign_pb2.InboxMessage(
        message_id=str(row.id), title=row.title, body=row.body, campaign_id=row.campaign_id,
        created_at=timestamp(row.created_at), read_at=timestamp(row.read_at),
    )


def _by() -> str:
    return current_principal().subject


class CampaignServicer(campaign_service_pb2_grpc.CampaignServiceServicer):
    def CreateCampaign(self, request, context):
        return _pb.CreateCampaignResponse(campaign=_campaign(admin.create(_fields(request), _by())))

    def GetCampaign(self, request, context):
        return _pb.GetCampaignResponse(campaign=_campaign(admin.get(request.campaign_id)))

    def ListCampaigns(self, request, context):
        filters = {
            "status": _name(_C.Status, request.status),
            "trigger": _name(campaign_pb2.Trigger, request.trigger),
            "segment": request.segment or None,
        }
        rows, token = admin.list_campaigns(filters, request.page_size, request.page_token)
        return _pb.ListCampaignsResponse(campaigns=[_campaign(r) for r in rows], next_page_token=token)

    def UpdateCampaign(self, request, context):
        row = admin.update(request.campaign_id, _fields(request), _by(), expected_version=request.expected_version or None)
        return _pb.UpdateCampaignResponse(campaign=_campaign(row))

    def DeleteCampaign(self, request, context):
        admin.delete(request.campaign_id, _by())
        return _pb.DeleteCampaignResponse()

    def ScheduleCampaign(self, request, context):
        return _pb.ScheduleCampaignResponse(campaign=_campaign(admin.schedule(request.campaign_id, _by())))

    def PauseCampaign(self, request, context):
        return _pb.PauseCampaignResponse(campaign=_campaign(admin.pause(request.campaign_id, _by())))

    def ResumeCampaign(self, request, context):
        return _pb.ResumeCampaignResponse(campaign=_campaign(admin.resume(request.campaign_id, _by())))

    def CancelCampaign(self, request, context):
        row = admin.cancel(request.campaign_id, _by(), request.reason)
        return _pb.CancelCampaignResponse(campaign=_campaign(row))

    def GetCampaignStats(self, request, context):
        return _pb.GetCampaignStatsResponse(stats=_stats(admin.stats(request.campaign_id)))

    def ListCampaignLogs(self, request, context):
        rows, token = admin.list_logs(
            request.campaign_id, _name(_L.Status, request.status), request.user_id or None, request.page_size, request.page_token
        )
        return _pb.ListCampaignLogsResponse(logs=[_log(r) for r in rows], next_page_token=token)

    def ListCampaignChanges(self, request, context):
        rows, token = admin.list_changes(request.campaign_id, request.page_size, request.page_token)
        return _pb.ListCampaignChangesResponse(changes=[_change(r) for r in rows], next_page_token=token)

    def ListInboxMessages(self, request, context):
        rows, token, unread = inbox.list_messages(request.user_id, request.unread_only, request.page_size, request.page_token)
        return _pb.ListInboxMessagesResponse(messages=[_message(r) for r in rows], next_page_token=token, unread_count=unread)

    def MarkInboxMessageRead(self, request, context):
        # Only the user's own read is an "open": an operator or service marking it read is not.
        by_user = current_principal().role == Role.USER
        row = inbox.mark_read(request.user_id, request.message_id, opened=by_user)
        return _pb.MarkInboxMessageReadResponse(message=_message(row))

    def UpsertContact(self, request, context):
        row = admin.upsert_contact(request.user_id, request.email, request.email_opt_in, _by())
        return _pb.UpsertContactResponse(
            contact=campaign_pb2.Contact(
                user_id=row.user_id, email=row.email or "", email_opt_in=row.email_opt_in, updated_at=timestamp(row.updated_at)
            )
        )


def register(server: grpc.Server) -> list:
    campaign_service_pb2_grpc.add_CampaignServiceServicer_to_server(CampaignServicer(), server)
    return [campaign_service_pb2.DESCRIPTOR.services_by_name["CampaignService"]]
