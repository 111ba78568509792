"""gRPC entrypoint of the Loyalty service."""

from __future__ import annotations

from datetime import UTC, date

import grpc
from engage.loyalty.v1 import gamification_pb2, loyalty_pb2, loyalty_service_pb2, loyalty_service_pb2_grpc
from google.protobuf import json_format

from services.common import ledgers
from services.common.auth import Role, current_principal
from services.common.config import settings
from services.common.errors import FieldViolation, InvalidArgument
from services.common.protos import struct, timestamp
from services.loyalty import community_servicer, gamification, points, service
from services.loyalty import gamification_domain as gd

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


# ---- streaks, badges and challenges: conversions

def _plain(value):
    """Struct numbers arrive as floats: whole ones become ints, so JSON keeps `5`, not `5.0`."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _dict(m) -> dict:
    return _plain(json_format.MessageToDict(m))


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument.fields([FieldViolation(name, "must be a calendar date such as 2026-03-01")]) from None


def _streak(streak_type: str, v: dict) -> gamification_pb2.Streak:
    return gamification_pb2.Streak(
        streak_type=streak_type, current=v["current"], max=v["max"], next_milestone=v["next_milestone"], freezes=v["freezes"],
        last_day=v["last_day"].isoformat() if v["last_day"] else "",
    )


def _badge(r) -> gamification_pb2.Badge:
    return gamification_pb2.Badge(
        code=r.code, name=r.name, description=r.description, icon_url=r.icon_url, condition_type=r.condition_type,
        condition_value=struct(r.condition_value), points_reward=r.points_reward, is_hidden=r.is_hidden,
        created_at=timestamp(r.created_at), updated_at=timestamp(r.updated_at),
    )


def _user_badge(r, visible: set[str]) -> gamification_pb2.UserBadge:
    """A badge as the member sees it: a collection lists only the codes of badges the member can
    see (a hidden one stays secret until earned)."""
    earned = r.earned_at is not None
    badge = _badge(r)
    if r.condition_type == "collection":
        badge.condition_value.Clear()
        badge.condition_value.update({"badges": [c for c in r.condition_value.get("badges", []) if c in visible]})
    return gamification_pb2.UserBadge(
        badge=badge, earned=earned, earned_at=timestamp(r.earned_at), order_id=r.order_id or "",
        progress=r.target if earned else min(r.progress, r.target), target=r.target,
    )


def _badge_spec(m) -> gamification.BadgeSpec:
    return gamification.BadgeSpec(
        code=m.code, name=m.name, description=m.description, icon_url=m.icon_url, condition_type=m.condition_type,
        condition_value=_dict(m.condition_value), points_reward=m.points_reward, is_hidden=m.is_hidden,
    )


def _reward(d: dict) -> gamification_pb2.ChallengeReward:
    return gamification_pb2.ChallengeReward(
        points=int(d.get("points", 0)), badge_code=d.get("badge_code") or "",
        tokens=[gamification_pb2.TokenAmount(token_type=t["token_type"], amount=int(t["amount"])) for t in d.get("tokens", [])],
    )


def _reward_dict(m: gamification_pb2.ChallengeReward) -> dict:
    return {"points": m.points, "badge_code": m.badge_code, "tokens": [{"token_type": t.token_type, "amount": t.amount} for t in m.tokens]}


def _challenge(r) -> gamification_pb2.Challenge:
    return gamification_pb2.Challenge(
        challenge_id=r.id, title=r.title, description=r.description, challenge_type=r.challenge_type,
        target_value=struct(r.target_value), target=r.target, reward=_reward(r.reward), start_date=r.start_date.isoformat(),
        end_date=r.end_date.isoformat(), is_active=r.is_active, created_at=timestamp(r.created_at), updated_at=timestamp(r.updated_at),
    )


def _user_challenge(r, today: date) -> gamification_pb2.UserChallenge:
    return gamification_pb2.UserChallenge(
        challenge_id=r.id, title=r.title, description=r.description, challenge_type=r.challenge_type,
        target=struct(r.target_value), target_count=r.target, reward=_reward(r.reward), progress=r.progress or 0,
        completed=r.completed_at is not None, claimed=r.claimed_at is not None, joined=r.joined_at is not None,
        end_date=r.end_date.isoformat(), days_left=gd.days_left(r.end_date, today),
    )


def _challenge_spec(m) -> gamification.ChallengeSpec:
    return gamification.ChallengeSpec(
        title=m.title, description=m.description, challenge_type=m.challenge_type, target_value=_dict(m.target_value),
        reward=_reward_dict(m.reward), start_date=_day(m.start_date, "start_date"), end_date=_day(m.end_date, "end_date"),
        is_active=m.is_active,
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
        entries = [_entry(e) for e in rows]
        if current_principal().role is Role.USER:
            entries = [ledgers.for_owner(entry) for entry in entries]
        return _pb.ListPointsEntriesResponse(entries=entries, next_page_token=token)

    def SpendPoints(self, request, context):
        s = service.spend(request.user_id, request.points, request.request_id, request.reason, current_principal().subject)
        return _pb.SpendPointsResponse(
            entry=_entry(s.entry), replayed=s.replayed, reversed=s.reversal is not None, reversal=_entry(s.reversal)
        )

    def ReversePointsSpend(self, request, context):
        r = service.reverse_spend(request.user_id, request.request_id)
        return _pb.ReversePointsSpendResponse(entry=_entry(r.entry), restored=r.restored, expired=r.expired)

    def GrantPoints(self, request, context):
        expires_at = request.expires_at.ToDatetime(tzinfo=UTC) if request.HasField("expires_at") else None
        g = service.grant(
            request.user_id, request.points, request.reason, ledgers.request_id(request, context), current_principal().subject,
            expires_at,
        )
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


    # ---- streaks, badges and challenges
    def GetStreaks(self, request, context):
        summary = gamification.get_streaks(request.user_id)
        return _pb.GetStreaksResponse(streaks=[_streak(t, v) for t, v in summary.items()])

    def GrantStreakFreezes(self, request, context):
        return _pb.GrantStreakFreezesResponse(freezes=gamification.grant_freezes(request.user_id, request.streak_type, request.count))

    def ListUserBadges(self, request, context):
        rows = gamification.user_badges(request.user_id)
        visible = {r.code for r in rows}
        return _pb.ListUserBadgesResponse(badges=[_user_badge(r, visible) for r in rows])

    def ListBadges(self, request, context):
        rows, token = gamification.list_badge_definitions(request.page_size, request.page_token)
        return _pb.ListBadgesResponse(badges=[_badge(r) for r in rows], next_page_token=token)

    def CreateBadge(self, request, context):
        return _pb.CreateBadgeResponse(badge=_badge(gamification.create_badge(_badge_spec(request), current_principal().subject)))

    def UpdateBadge(self, request, context):
        return _pb.UpdateBadgeResponse(badge=_badge(gamification.update_badge(_badge_spec(request), current_principal().subject)))

    def DeleteBadge(self, request, context):
        gamification.delete_badge(request.code)
        return _pb.DeleteBadgeResponse()

    def ListActiveChallenges(self, request, context):
        rows, today = gamification.running_challenges(request.user_id)
        return _pb.ListActiveChallengesResponse(challenges=[_user_challenge(r, today) for r in rows])

    def JoinChallenge(self, request, context):
        joined, today = gamification.join_challenge(request.user_id, request.challenge_id)
        return _pb.JoinChallengeResponse(challenge=_user_challenge(joined, today))

    def ClaimChallengeReward(self, request, context):
        c = gamification.claim_challenge(request.user_id, request.challenge_id)
        reward = _reward({"points": c.points, "badge_code": c.badge_code, "tokens": [{"token_type": t, "amount": n} for t, n in c.tokens]})
        return _pb.ClaimChallengeRewardResponse(reward=reward, badges_awarded=list(c.badges_awarded), replayed=c.replayed)

    def ListChallenges(self, request, context):
        rows, token = gamification.list_challenge_definitions(request.page_size, request.page_token)
        return _pb.ListChallengesResponse(challenges=[_challenge(r) for r in rows], next_page_token=token)

    def CreateChallenge(self, request, context):
        row = gamification.create_challenge(_challenge_spec(request), current_principal().subject)
        return _pb.CreateChallengeResponse(challenge=_challenge(row))

    def UpdateChallenge(self, request, context):
        row = gamification.update_challenge(request.challenge_id, _challenge_spec(request), current_principal().subject)
        return _pb.UpdateChallengeResponse(challenge=_challenge(row))

    def DeleteChallenge(self, request, context):
        gamification.delete_challenge(request.challenge_id)
        return _pb.DeleteChallengeResponse()

    # ---- streaks, badges and challenges: methods go above this line

    # ---- leaderboards, referrals and the dashboard (converters in community_servicer)
    def GetLeaderboard(self, request, context):
        return community_servicer.get_leaderboard(request)

    def GetLeaderboardSnapshot(self, request, context):
        return community_servicer.get_leaderboard_snapshot(request)

    def GetMyReferrals(self, request, context):
        return community_servicer.get_my_referrals(request)

    def AttachReferralCode(self, request, context):
        return community_servicer.attach_referral_code(request)

    def GetDashboard(self, request, context):
        return community_servicer.get_dashboard(request, _user_tier)

    # ---- leaderboards, referrals and the dashboard: methods go above this line

def register(server: grpc.Server) -> list:
    loyalty_service_pb2_grpc.add_LoyaltyServiceServicer_to_server(LoyaltyServicer(), server)
    return [loyalty_service_pb2.DESCRIPTOR.services_by_name["LoyaltyService"]]
