"""gRPC entrypoint of the Activity service: protobuf in, service call, protobuf out. Nothing else."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import grpc
from engage.activity.v1 import (
    activity_pb2,
    activity_service_pb2,
    activity_service_pb2_grpc,
)
from google.protobuf import json_format, timestamp_pb2

from services.activity import service
from services.activity.domain import NewEvent
from services.common.auth import current_principal
from services.common.config import settings
from services.common.protos import struct, timestamp
from services.loyalty import gamification

log = logging.getLogger("engage.activity")

_pb = activity_service_pb2
_EVENT_TYPES = {v.number: v.name for v in activity_pb2.EventType.DESCRIPTOR.values}
_OUTCOMES = {
    service.Outcome.RECORDED: _pb.RecordActivitiesResponse.EventResult.RECORDED,
    service.Outcome.DUPLICATE: _pb.RecordActivitiesResponse.EventResult.DUPLICATE,
    service.Outcome.CONFLICT: _pb.RecordActivitiesResponse.EventResult.CONFLICT,
}


def to_event(req: _pb.RecordActivityRequest, now: datetime) -> NewEvent:
    given = req.HasField("occurred_at")
    return NewEvent(
        event_id=req.event_id.lower() if req.event_id else str(uuid.uuid4()),  # format checked by the interceptor
        user_id=req.user_id,
        event_type=_EVENT_TYPES[req.event_type],
        value=req.value if req.HasField("value") else None,
        amount=req.amount if req.HasField("amount") else None,
        currency=req.currency or None,
        category=req.category or None,
        order_id=req.order_id or None,
        meta=json_format.MessageToDict(req.meta_json) if req.HasField("meta_json") else None,
        occurred_at=req.occurred_at.ToDatetime(tzinfo=UTC) if given else now,
        occurred_at_given=given,
    )


def _streak(event: NewEvent, result: service.Recorded, now: datetime) -> _pb.StreakOutcome | None:
    """The member sees at once what a visit or purchase did to their streak: Loyalty applies the event
    in process (exactly once per event id; the `activity.recorded` subscriber then finds it done).
    A retry applies the stored event (its first time, not the retry's clock), and only within
    gamification.REPLAY_WINDOW of the first recording (older claims may be pruned; the subscriber
    applied it long ago). Other events skip this. A failure here never fails the recorded event: the
    subscriber applies it."""
    if event.event_type not in gamification.STREAK_EVENTS or result.occurred_at is None:
        return None
    if result.outcome is service.Outcome.DUPLICATE and result.recorded_at < now - gamification.REPLAY_WINDOW:
        return None
    try:
        outcome = gamification.apply_event(
            {"event_id": event.event_id, "user_id": result.user_id, "event_type": event.event_type, "amount": event.amount,
             "category": event.category, "order_id": event.order_id, "occurred_at": result.occurred_at}
        )
    except Exception:
        log.exception("streak not applied in process; the subscriber will apply it", extra={"fields": {"event_id": event.event_id}})
        return None
    s = outcome.streak if outcome else None
    if s is None:
        return None
    return _pb.StreakOutcome(
        streak_type=s.streak_type,
        streak=s.streak,
        max_streak=s.max_streak,
        is_record=s.is_record,
        rewards=[_pb.StreakOutcome.Reward(type=r.kind, amount=r.amount, reason=r.reason, milestone=r.milestone) for r in s.rewards],
        streak_broken=s.streak_broken,
        previous_streak=s.previous_streak,
        freeze_used=s.freeze_used,
        freezes_used=s.freezes_used,
        freezes_left=s.freezes_left,
        already_recorded=s.already_recorded,
    )


class ActivityServicer(activity_service_pb2_grpc.ActivityServiceServicer):
    def RecordActivity(self, request, context):
        now = datetime.now(UTC)
        event = to_event(request, now)
        result = service.record_event(event, current_principal(), now=now, timeout=context.time_remaining())
        return _pb.RecordActivityResponse(
            user_id=result.user_id,
            updated_at=timestamp(result.recorded_at),
            duplicate=result.outcome is service.Outcome.DUPLICATE,
            event_id=result.event_id,
            streak=_streak(event, result, now),
        )

    def RecordActivities(self, request, context):
        now = datetime.now(UTC)
        events = [to_event(e, now) for e in request.events]
        results = service.record_events(events, current_principal(), now=now)
        stamps: dict[datetime, timestamp_pb2.Timestamp] = {}  # most results share one time
        return _pb.RecordActivitiesResponse(
            results=[
                _pb.RecordActivitiesResponse.EventResult(
                    event_id=r.event_id,
                    user_id=r.user_id,
                    outcome=_OUTCOMES[r.outcome],
                    updated_at=stamps.get(r.recorded_at) or stamps.setdefault(r.recorded_at, timestamp(r.recorded_at)),
                )
                for r in results
            ]
        )

    def GetUserActivity(self, request, context):
        row = service.get_user_activity(request.user_id)
        return _pb.GetUserActivityResponse(
            activity=activity_pb2.UserActivity(
                user_id=request.user_id,
                roulette_plays=row.roulette_plays or 0,
                dice_plays=row.dice_plays or 0,
                lottery_plays=row.lottery_plays or 0,
                total_play_duration=row.total_play_duration or 0,
                purchase_count=row.purchase_count or 0,
                purchase_total=row.purchase_total or 0,
                currency=settings().currency,
                review_count=row.review_count or 0,
                deposit_amount=row.deposit_amount,
                last_bonus_used_at=timestamp(row.last_bonus_used_at),
                last_login_at=timestamp(row.last_login_at),
                last_active_at=timestamp(row.last_active_at),
                last_charge_at=timestamp(row.last_charge_at),
                first_seen_at=timestamp(row.first_seen_at),
                updated_at=timestamp(row.updated_at),
            )
        )

    def ListUserEvents(self, request, context):
        event_type = _EVENT_TYPES[request.event_type] if request.event_type else None
        rows, next_token = service.list_user_events(request.user_id, event_type, request.page_size, request.page_token)
        return _pb.ListUserEventsResponse(
            events=[
                activity_pb2.Event(
                    event_id=r.event_id,
                    user_id=r.user_id,
                    event_type=activity_pb2.EventType.Value(r.event_type),
                    value=r.value,
                    amount=r.amount,
                    currency=r.currency or "",
                    category=r.category or "",
                    order_id=r.order_id or "",
                    meta_json=struct(r.meta),
                    occurred_at=timestamp(r.occurred_at),
                    recorded_at=timestamp(r.recorded_at),
                )
                for r in rows
            ],
            next_page_token=next_token,
        )

    def UpsertExternalDeposits(self, request, context):
        now = datetime.now(UTC)
        changes = service.upsert_external_deposits(
            [(e.user_id, e.deposit_amount) for e in request.entries], current_principal(), now=now
        )
        return _pb.UpsertExternalDepositsResponse(
            results=[
                _pb.UpsertExternalDepositsResponse.DepositResult(
                    user_id=c.user_id,
                    previous_amount=c.previous_amount,
                    deposit_amount=c.deposit_amount,
                    increased=c.increased,
                )
                for c in changes
            ],
            updated_at=timestamp(now),
        )


def register(server: grpc.Server) -> list:
    """Adds the service to `server`; returns its service descriptors (for policies, health, reflection)."""
    activity_service_pb2_grpc.add_ActivityServiceServicer_to_server(ActivityServicer(), server)
    return [activity_service_pb2.DESCRIPTOR.services_by_name["ActivityService"]]
