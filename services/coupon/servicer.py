"""gRPC entrypoint of the Coupon service: protobuf in, service call, protobuf out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc

from engage.coupon.v1 import coupon_pb2, coupon_service_pb2, coupon_service_pb2_grpc
from engage.reward.v1 import reward_pb2
from services.common.auth import current_principal
from services.common.protos import timestamp
from services.coupon import service
from services.coupon.domain import Spec

_pb = coupon_service_pb2
_C = coupon_pb2.Coupon
_TYPE = {v.number: v.name for v in _C.Type.DESCRIPTOR.values}
_STATUS = {v.number: v.name for v in _C.Status.DESCRIPTOR.values}
_TOKEN = {v.number: v.name for v in reward_pb2.TokenType.DESCRIPTOR.values}


def _token(name: str | None) -> int:
    return reward_pb2.TokenType.Value(name) if name else 0


def _time(request, field: str):
    return getattr(request, field).ToDatetime(tzinfo=UTC) if request.HasField(field) else None


def _optional(request, field: str):
    return getattr(request, field) if request.HasField(field) else None


def _spec(request) -> Spec:
    """The terms shared by CreateCoupon, UpdateCoupon and GenerateCoupons requests."""
    return Spec(
        type=_TYPE[request.type],
        value=request.value,
        token_type=_TOKEN[request.token_type] if request.token_type else None,
        max_value=_optional(request, "max_value"),
        starts_at=_time(request, "starts_at"),
        expires_at=_time(request, "expires_at"),
        usage_limit=_optional(request, "usage_limit"),
        per_user_limit=request.per_user_limit if request.HasField("per_user_limit") else 1,
        segment=request.segment or None,
        campaign=request.campaign or None,
        description=request.description,
    )


def _status(value: int) -> str | None:
    return _STATUS[value] if value else None


def _coupon(row) -> coupon_pb2.Coupon:
    return coupon_pb2.Coupon(
        coupon_id=row.id,
        code=row.code,
        type=_C.Type.Value(row.type),
        value=row.value,
        token_type=_token(row.token_type),
        max_value=row.max_value,
        starts_at=timestamp(row.starts_at),
        expires_at=timestamp(row.expires_at),
        usage_limit=row.usage_limit,
        per_user_limit=row.per_user_limit,
        segment=row.segment or "",
        status=_C.Status.Value(row.status),
        used_count=row.used_count,
        reserved_count=row.reserved_count,
        assigned_user_id=row.assigned_user_id or "",
        campaign=row.campaign or "",
        batch_id=row.batch_id or 0,
        template_coupon_id=row.template_id or 0,
        description=row.description,
        version=row.version,
        created_at=timestamp(row.created_at),
        created_by=row.created_by,
        updated_at=timestamp(row.updated_at),
        updated_by=row.updated_by,
    )


def _redemption(row) -> coupon_pb2.CouponRedemption:
    return coupon_pb2.CouponRedemption(
        redemption_id=row.id,
        coupon_id=row.coupon_id,
        code=row.code,
        user_id=row.user_id,
        request_id=row.request_id,
        type=_C.Type.Value(row.type),
        token_type=_token(row.token_type),
        amount=row.amount,
        ledger_entry_id=row.ledger_entry_id or 0,
        reservation_id=row.reservation_id or 0,
        state=coupon_pb2.CouponRedemption.State.Value(row.state),
        redeemed_at=timestamp(row.redeemed_at),
        rolled_back_at=timestamp(row.rolled_back_at),
        rollback_reason=row.rollback_reason or "",
        rollback_entry_id=row.rollback_entry_id or 0,
    )


def _reservation(row, now) -> coupon_pb2.CouponReservation:
    # A held reservation past its time no longer holds anything, whether or not the sweep ran.
    state = "EXPIRED" if row.state == "HELD" and row.expires_at <= now else row.state
    return coupon_pb2.CouponReservation(
        reservation_id=row.id,
        coupon_id=row.coupon_id,
        code=row.code,
        user_id=row.user_id,
        request_id=row.request_id,
        state=coupon_pb2.CouponReservation.State.Value(state),
        expires_at=timestamp(row.expires_at),
        created_at=timestamp(row.created_at),
        closed_at=timestamp(row.closed_at),
        redemption_id=row.redemption_id or 0,
    )


def _now() -> datetime:
    return datetime.now(UTC)


class CouponServicer(coupon_service_pb2_grpc.CouponServiceServicer):
    def CreateCoupon(self, request, context):
        row = service.create_coupon(request.code, _spec(request), _status(request.status), current_principal().subject)
        return _pb.CreateCouponResponse(coupon=_coupon(row))

    def GetCoupon(self, request, context):
        return _pb.GetCouponResponse(coupon=_coupon(service.get_coupon(request.coupon_id)))

    def ListCoupons(self, request, context):
        filters = {
            "status": _status(request.status),
            "type": _TYPE[request.type] if request.type else None,
            "campaign": request.campaign or None,
            "batch_id": request.batch_id or None,
            "code_prefix": request.code_prefix or None,
        }
        rows, token = service.list_coupons(filters, request.page_size, request.page_token)
        return _pb.ListCouponsResponse(coupons=[_coupon(r) for r in rows], next_page_token=token)

    def UpdateCoupon(self, request, context):
        row = service.update_coupon(
            request.coupon_id,
            request.code,
            _spec(request),
            _status(request.status),
            current_principal().subject,
            expected_version=request.expected_version or None,
        )
        return _pb.UpdateCouponResponse(coupon=_coupon(row))

    def DeleteCoupon(self, request, context):
        service.delete_coupon(request.coupon_id)
        return _pb.DeleteCouponResponse()

    def GenerateCoupons(self, request, context):
        g = service.generate_coupons(
            request.request_id, request.prefix, request.count, _spec(request), current_principal().subject
        )
        batch = coupon_pb2.CouponBatch(
            batch_id=g.batch.id,
            request_id=g.batch.request_id,
            prefix=g.batch.prefix,
            count=g.batch.count,
            campaign=g.batch.campaign or "",
            created_at=timestamp(g.batch.created_at),
            created_by=g.batch.created_by,
        )
        return _pb.GenerateCouponsResponse(batch=batch, codes=g.codes, replayed=g.replayed)

    def ListCouponRedemptions(self, request, context):
        rows, token = service.list_coupon_redemptions(request.coupon_id, request.page_size, request.page_token)
        return _pb.ListCouponRedemptionsResponse(redemptions=[_redemption(r) for r in rows], next_page_token=token)

    def RedeemCoupon(self, request, context):
        r = service.redeem(request.user_id, request.code, request.request_id)
        return _pb.RedeemCouponResponse(redemption=_redemption(r.redemption), replayed=r.replayed)

    def ValidateCoupon(self, request, context):
        offer = service.validate(request.user_id, request.code)
        return _pb.ValidateCouponResponse(
            code=offer.code,
            type=_C.Type.Value(offer.type),
            token_type=_token(offer.token_type),
            amount=offer.amount,
            expires_at=timestamp(offer.expires_at),
        )

    def ListUserCouponRedemptions(self, request, context):
        rows, token = service.list_user_redemptions(request.user_id, request.page_size, request.page_token)
        return _pb.ListUserCouponRedemptionsResponse(redemptions=[_redemption(r) for r in rows], next_page_token=token)

    def ReserveCoupon(self, request, context):
        ttl = timedelta(seconds=request.ttl_seconds) if request.ttl_seconds else None
        r = service.reserve(request.user_id, request.code, request.request_id, ttl, current_principal().subject)
        return _pb.ReserveCouponResponse(reservation=_reservation(r.reservation, _now()), replayed=r.replayed)

    def ReleaseCouponReservation(self, request, context):
        row = service.release(request.user_id, request.request_id)
        return _pb.ReleaseCouponReservationResponse(reservation=_reservation(row, _now()))

    def RollbackCouponRedemption(self, request, context):
        row = service.rollback(request.user_id, request.request_id, request.reason)
        return _pb.RollbackCouponRedemptionResponse(redemption=_redemption(row))


def register(server: grpc.Server) -> list:
    coupon_service_pb2_grpc.add_CouponServiceServicer_to_server(CouponServicer(), server)
    return [coupon_service_pb2.DESCRIPTOR.services_by_name["CouponService"]]
