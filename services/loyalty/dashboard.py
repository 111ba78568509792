"""The member's gamification dashboard (the design's section 5) in one read-only transaction and six
primary-key or index look-ups: the tier table, the member, their open lots, streaks, joined running
challenges and recent badges (a seventh, the spend of the rolling window, only when the tier window
is rolling)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.common import db
from services.loyalty import badges, challenges, domain, points, service, streaks, tiers

RECENT_BADGES = 5


@dataclass(frozen=True)
class Dashboard:
    tier: service.TierView
    streaks: dict[str, dict]  # by streak type: current, max, next_milestone, freezes
    challenges: list[dict]
    badges: list[dict]
    balance: int
    pending: int


def dashboard(user_id: str, *, now: datetime | None = None, rules: domain.Rules | None = None) -> Dashboard:
    now = now or datetime.now(UTC)
    r = rules or service.current_rules()
    with db.transaction() as conn:
        table_rows = tiers.rows(conn)
        m = tiers.member(conn, user_id)
        spend = tiers.window_spend(conn, m, r, now)
        lots = points.balance_view(conn, user_id, now, now + timedelta(days=r.expiring_soon_days))
        streak = streaks.streak_summary(conn, user_id, now)
        running = challenges.active_challenges(conn, user_id, now)
        recent = badges.recent_badges(conn, user_id, RECENT_BADGES)
    return Dashboard(service.tier_view(user_id, table_rows, m, spend, r, now), streak, running, recent, lots.balance, lots.pending)
