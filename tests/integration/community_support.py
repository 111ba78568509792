"""Helpers of the leaderboard and referral tests: a calendar month of its own for each test (the
database is shared by the whole run, and leaderboards are global), and referral set-up."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from services.loyalty import referrals

SEOUL = ZoneInfo("Asia/Seoul")


def own_month() -> datetime:
    """Noon KST on the 10th of a month no other test uses (years 2100 to 2999)."""
    return datetime(random.randrange(2100, 3000), random.randrange(1, 13), 10, 12, tzinfo=SEOUL).astimezone(UTC)


def kst(*args) -> datetime:
    return datetime(*args, tzinfo=SEOUL).astimezone(UTC)


def code_of(user_id: str) -> str:
    return referrals.mine(user_id).code


def refer(referrer: str, *referees: str) -> None:
    code = code_of(referrer)
    for r in referees:
        referrals.attach(r, code)


def later(at: datetime, **kw) -> datetime:
    return at + timedelta(**kw)
