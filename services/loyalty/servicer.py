"""gRPC entrypoint of the Loyalty service."""

from __future__ import annotations

from datetime import UTC

import grpc
from engage.loyalty.v1 import loyalty_pb2, loyalty_service_pb2, loyalty_service_pb2_grpc

from services.common.auth import current_principal
from services.common.config import settings
from services.common.protos import struct, timestamp
from services.loyalty import points, service

_pb = loyalty_service_pb2


def _benefits(b: dict) -> loyalty_pb2.TierBenefits:
    return loyalty_pb2.TierBenefits(
        point_multiplier=float(b.get("point_multiplier", 1)),
        free_shipping_threshold=b.get("free_shipping_threshold"),
        birthday_bonus=int(b.get("birthday_bonus", 0)),
        vip_support=bool(b.get("vip_support", False)),
    )


def _benefits_dict(m: loyalty_pb2.TierBenefits) -> dict:
    out: dict = {"point_multiplier": m.point_multiplier, "birthday_bonus": m.birthday_bonus, "vip_support": m.vip_support}
    if m.HasField("free_shipping_threshold"):
        out["free_shipping_threshold"] = m.free_shipping_threshold
    return out


def _tier(r) -> loyalty_pb2.Tier | None:
    if r is None:
        return None
    return loyalty_pb2.Tier(
        code=r.code,
        display_name=r.display_name,
        min_spend=r.min_spend,
        currency_code=settings().currency,
        benefits=_benefits(r.benefits),
        created_at=timestamp(r.created_at),
        created_by=r.created_by,
        updated_at=timestamp(r.updated_at),
        updated_by=r.updated_by,
    )


def _user_tier(v: service.TierView) -> loyalty_pb2.UserTier:
    return loyalty_pb2.UserTier(
        user_id=v.user_id,
        current=_tier(v.current),
        total_amount=v.spend,
        currency_code=settings().currency,
        next_tier=_tier(v.next),
        remaining_to_next=v.remaining,
        progress_pct=v.pct,
        window=v.window,
        downgrade_at=timestamp(v.downgrade_at),
        downgrade_to=v.downgrade_to,
        tier_since=timestamp(v.tier_since),
    )


def _entry(e: points.Entry | None) -> loyalty_pb2.PointsEntry | None:
    if e is None:
        return None
    return loyalty_pb2.PointsEntry(
        entry_id=e.id,
        user_id=e.user_id,
        delta=e.delta,
        balance_after=e.balance_after,
        reason=e.reason,
        source=e.source,
        label=e.label,
        meta_json=struct(e.meta),
        idempotency_key=e.idempotency_key,
        lot_id=e.lot_id or 0,
        lots=[loyalty_pb2.LotTake(lot_id=t.lot_id, points=t.points, expires_at=timestamp(t.expires_at)) for t in e.lots],
        created_at=timestamp(e.created_at),
    )


def _lot(r) -> loyalty_pb2.PointsLot:
    return loyalty_pb2.PointsLot(
        lot_id=r.id,
        user_id=r.user_id,
        points=r.points,
        remaining=r.remaining,
        reason=r.reason,
        source=r.source,
        order_id=r.order_id or "",
        pending=r.released_at is None,
        available_at=timestamp(r.available_at),
        expires_at=timestamp(r.expires_at),
        created_at=timestamp(r.created_at),
    )


def _change(r) -> loyalty_pb2.TierChange:
    return loyalty_pb2.TierChange(
        change_id=r.id,
        user_id=r.user_id,
        kind=loyalty_pb2.TierChange.Kind.Value(r.kind),
        from_tier=r.from_tier,
        to_tier=r.to_tier,
        total_amount=r.total_amount,
        cause=r.cause,
        changed_at=timestamp(r.changed_at),
    )


class LoyaltyServicer(loyalty_service_pb2_grpc.LoyaltyServiceServicer):
    # ---- points
    def GetPointsBalance(self, request, context):
        b = service.balance(request.user_id)
        return _pb.GetPointsBalanceResponse(
            balance=b.balance,
            pending=b.pending,
            expiring_soon=b.expiring_soon,
            expiring_before=timestamp(b.expiring_before),
            next_release_at=timestamp(b.next_release_at),
        )

    def ListPointsEntries(self, request, context):
        rows, token = service.list_entries(request.user_id, request.page_size, request.page_token)
        return _pb.ListPointsEntriesResponse(entries=[_entry(e) for e in rows], next_page_token=token)

    def SpendPoints(self, request, context):
        entry, replayed = service.spend(request.user_id, request.points, request.request_id, request.reason, current_principal().subject)
        return _pb.SpendPointsResponse(entry=_entry(entry), replayed=replayed)

    def ReversePointsSpend(self, request, context):
        r = service.reverse_spend(request.user_id, request.request_id)
        return _pb.ReversePointsSpendResponse(entry=_entry(r.entry), restored=r.restored, expired=r.expired)

    def GrantPoints(self, request, context):
        expires_at = request.expires_at.ToDatetime(tzinfo=UTC) if request.HasField("expires_at") else None
        g = service.grant(request.user_id, request.points, request.reason, request.request_id, current_principal().subject, expires_at)
        return _pb.GrantPointsResponse(lot=_lot(g.lot), entry=_entry(g.entry))

    def ListPointsLots(self, request, context):
        rows, token = service.list_lots(request.user_id, request.open_only, request.page_size, request.page_token)
        return _pb.ListPointsLotsResponse(lots=[_lot(r) for r in rows], next_page_token=token)

    # ---- tiers
    def GetUserTier(self, request, context):
        return _pb.GetUserTierResponse(tier=_user_tier(service.user_tier(request.user_id)))

    def GetMemberTier(self, request, context):
        return _pb.GetMemberTierResponse(tier=_user_tier(service.user_tier(request.user_id)))

    def ListTierChanges(self, request, context):
        rows, token = service.list_tier_changes(request.user_id, request.page_size, request.page_token)
        return _pb.ListTierChangesResponse(changes=[_change(r) for r in rows], next_page_token=token)

    def ListTiers(self, request, context):
        return _pb.ListTiersResponse(tiers=[_tier(r) for r in service.list_tiers()])

    def CreateTier(self, request, context):
        row = service.create_tier(
            request.code, request.display_name, request.min_spend, _benefits_dict(request.benefits), current_principal().subject
        )
        return _pb.CreateTierResponse(tier=_tier(row))

    def UpdateTier(self, request, context):
        row = service.update_tier(
            request.code, request.display_name, request.min_spend, _benefits_dict(request.benefits), current_principal().subject
        )
        return _pb.UpdateTierResponse(tier=_tier(row))

    def DeleteTier(self, request, context):
        service.delete_tier(request.code)
        return _pb.DeleteTierResponse()


def register(server: grpc.Server) -> list:
    loyalty_service_pb2_grpc.add_LoyaltyServiceServicer_to_server(LoyaltyServicer(), server)
    return [loyalty_service_pb2.DESCRIPTOR.services_by_name["LoyaltyService"]]
