"""gRPC side of leaderboards, referrals and the dashboard: the LoyaltyServicer's methods for them
delegate here (request to service call to message)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from engage.loyalty.v1 import community_pb2, loyalty_service_pb2

from services.common.auth import current_principal
from services.common.config import settings
from services.common.errors import FieldViolation, InvalidArgument
from services.common.protos import timestamp
from services.loyalty import dashboard, leaderboards, referrals

_pb = loyalty_service_pb2


def _entry(e: leaderboards.Entry | None) -> community_pb2.LeaderboardEntry | None:
    if e is None:
        return None
    return community_pb2.LeaderboardEntry(
        rank=e.rank, user_id=e.user_id, value=e.total, currency_code=settings().currency, reached_at=timestamp(e.reached_at), is_me=e.is_me,
        value_banded=e.banded,
    )


def get_leaderboard(request) -> _pb.GetLeaderboardResponse:
    b = leaderboards.board(request.user_id, request.period, request.scope, reveal=current_principal().trusted)
    return _pb.GetLeaderboardResponse(
        leaderboard=community_pb2.Leaderboard(
            period=request.period.lower(),
            scope=b.scope,
            period_start=b.period_start.isoformat(),
            period_end=(b.period_end - timedelta(days=1)).isoformat(),
            timezone=settings().timezone,
            entries=[_entry(e) for e in b.entries],
            me=_entry(b.me),
        )
    )


def get_leaderboard_snapshot(request) -> _pb.GetLeaderboardSnapshotResponse:
    try:
        start = date.fromisoformat(request.period_start)
    except ValueError:
        raise InvalidArgument.fields([FieldViolation("period_start", "must be a date, YYYY-MM-DD")]) from None
    head, rows, token = leaderboards.snapshot(request.period, start, request.page_size, request.page_token)
    return _pb.GetLeaderboardSnapshotResponse(
        period=request.period.lower(),
        period_start=head.period_start.isoformat(),
        period_end=(head.period_end - timedelta(days=1)).isoformat(),
        closed_at=timestamp(head.closed_at),
        total_entries=head.entries,
        entries=[
            community_pb2.LeaderboardSnapshotEntry(position=r.position, rank=r.rank, user_id=r.user_id, value=r.total,
                                                   reached_at=timestamp(r.reached_at))
            for r in rows
        ],
        next_page_token=token,
    )


def _referral(row, *, as_referrer: bool, now: datetime) -> community_pb2.Referral | None:
    """A referral as one side sees it. The referrer gets the release day only (`release_date`):
    `release_at` is the referee's purchase time plus the clawback window, so it would tell when the
    referee bought; the referee (their own purchase) and trusted callers also get `release_at`."""
    if row is None:
        return None
    other = row.referee_id if as_referrer else row.referrer_id
    qualified = row.state == "QUALIFIED"
    exact = qualified and (not as_referrer or current_principal().trusted)
    return community_pb2.Referral(
        user_id=leaderboards.mask(other),
        status=community_pb2.Referral.Status.Value(referrals.status(row, now)),
        attached_at=timestamp(row.attached_at),
        qualified_at=timestamp(row.qualified_at),
        release_at=timestamp(row.release_at) if exact else None,
        release_date=leaderboards.today(row.release_at).isoformat() if qualified else "",
        points=(row.referrer_points if as_referrer else row.referee_points) if row.state == "QUALIFIED" else 0,
        referrer_capped=row.referrer_capped,
    )


def get_my_referrals(request) -> _pb.GetMyReferralsResponse:
    now = datetime.now(UTC)
    m = referrals.mine(request.user_id, request.page_size, request.page_token, now=now)
    return _pb.GetMyReferralsResponse(
        code=m.code,
        referred_by=_referral(m.referred_by, as_referrer=False, now=now),
        referrals=[_referral(r, as_referrer=True, now=now) for r in m.referrals],
        next_page_token=m.next_page_token,
        rewarded_this_month=m.rewarded_this_month,
        monthly_cap=m.monthly_cap,
    )


def attach_referral_code(request) -> _pb.AttachReferralCodeResponse:
    now = datetime.now(UTC)
    a = referrals.attach(request.user_id, request.code, now=now)
    return _pb.AttachReferralCodeResponse(referral=_referral(a.referral, as_referrer=False, now=now), replayed=a.replayed)


def _streak(s: dict | None) -> community_pb2.DashboardStreak:
    s = s or {}
    return community_pb2.DashboardStreak(
        current=s.get("current", 0), max=s.get("max", 0), next_milestone=s.get("next_milestone") or 0, freezes=s.get("freezes", 0)
    )


def get_dashboard(request, user_tier) -> _pb.GetDashboardResponse:
    """`user_tier` converts the tier view (the servicer's own converter, shared with GetUserTier)."""
    d = dashboard.dashboard(request.user_id)
    return _pb.GetDashboardResponse(
        dashboard=community_pb2.Dashboard(
            tier=user_tier(d.tier),
            streak=_streak(d.streaks.get("daily_visit")),
            purchase_streak=_streak(d.streaks.get("purchase")),
            challenges=[
                community_pb2.DashboardChallenge(
                    challenge_id=c["challenge_id"], title=c["title"], challenge_type=c["challenge_type"], progress=c["progress"] or 0,
                    target=c["target"], completed=c["completed"], claimed=c["claimed"], end_date=c["end_date"].isoformat(),
                    days_left=c["days_left"],
                )
                for c in d.challenges
            ],
            badges=[
                community_pb2.DashboardBadge(
                    code=b["code"], name=b["name"], description=b.get("description") or "", icon_url=b.get("icon_url") or "",
                    earned_at=timestamp(b["earned_at"]), order_id=b.get("order_id") or "",
                )
                for b in d.badges
            ],
            points=community_pb2.DashboardPoints(balance=d.balance, pending=d.pending),
        )
    )
