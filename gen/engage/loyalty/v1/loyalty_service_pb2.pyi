import datetime

from engage.common.v1 import options_pb2 as _options_pb2
from engage.loyalty.v1 import community_pb2 as _community_pb2
from engage.loyalty.v1 import gamification_pb2 as _gamification_pb2
from engage.loyalty.v1 import loyalty_pb2 as _loyalty_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetPointsBalanceRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetPointsBalanceResponse(_message.Message):
    __slots__ = ("balance", "pending", "expiring_soon", "expiring_before", "next_release_at")
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    EXPIRING_SOON_FIELD_NUMBER: _ClassVar[int]
    EXPIRING_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NEXT_RELEASE_AT_FIELD_NUMBER: _ClassVar[int]
    balance: int
    pending: int
    expiring_soon: int
    expiring_before: _timestamp_pb2.Timestamp
    next_release_at: _timestamp_pb2.Timestamp
    def __init__(self, balance: _Optional[int] = ..., pending: _Optional[int] = ..., expiring_soon: _Optional[int] = ..., expiring_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_release_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListPointsEntriesRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPointsEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_loyalty_pb2.PointsEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[_loyalty_pb2.PointsEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetUserTierRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetUserTierResponse(_message.Message):
    __slots__ = ("tier",)
    TIER_FIELD_NUMBER: _ClassVar[int]
    tier: _loyalty_pb2.UserTier
    def __init__(self, tier: _Optional[_Union[_loyalty_pb2.UserTier, _Mapping]] = ...) -> None: ...

class SpendPointsRequest(_message.Message):
    __slots__ = ("user_id", "points", "request_id", "reason")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    points: int
    request_id: str
    reason: str
    def __init__(self, user_id: _Optional[str] = ..., points: _Optional[int] = ..., request_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SpendPointsResponse(_message.Message):
    __slots__ = ("entry", "replayed", "reversed", "reversal")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    REVERSED_FIELD_NUMBER: _ClassVar[int]
    REVERSAL_FIELD_NUMBER: _ClassVar[int]
    entry: _loyalty_pb2.PointsEntry
    replayed: bool
    reversed: bool
    reversal: _loyalty_pb2.PointsEntry
    def __init__(self, entry: _Optional[_Union[_loyalty_pb2.PointsEntry, _Mapping]] = ..., replayed: _Optional[bool] = ..., reversed: _Optional[bool] = ..., reversal: _Optional[_Union[_loyalty_pb2.PointsEntry, _Mapping]] = ...) -> None: ...

class ReversePointsSpendRequest(_message.Message):
    __slots__ = ("user_id", "request_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    request_id: str
    def __init__(self, user_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReversePointsSpendResponse(_message.Message):
    __slots__ = ("entry", "restored", "expired")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    RESTORED_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_FIELD_NUMBER: _ClassVar[int]
    entry: _loyalty_pb2.PointsEntry
    restored: int
    expired: int
    def __init__(self, entry: _Optional[_Union[_loyalty_pb2.PointsEntry, _Mapping]] = ..., restored: _Optional[int] = ..., expired: _Optional[int] = ...) -> None: ...

class GrantPointsRequest(_message.Message):
    __slots__ = ("user_id", "points", "reason", "request_id", "expires_at")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    points: int
    reason: str
    request_id: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., points: _Optional[int] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GrantPointsResponse(_message.Message):
    __slots__ = ("lot", "entry")
    LOT_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    lot: _loyalty_pb2.PointsLot
    entry: _loyalty_pb2.PointsEntry
    def __init__(self, lot: _Optional[_Union[_loyalty_pb2.PointsLot, _Mapping]] = ..., entry: _Optional[_Union[_loyalty_pb2.PointsEntry, _Mapping]] = ...) -> None: ...

class ListPointsLotsRequest(_message.Message):
    __slots__ = ("user_id", "open_only", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    OPEN_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    open_only: bool
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., open_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPointsLotsResponse(_message.Message):
    __slots__ = ("lots", "next_page_token")
    LOTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    lots: _containers.RepeatedCompositeFieldContainer[_loyalty_pb2.PointsLot]
    next_page_token: str
    def __init__(self, lots: _Optional[_Iterable[_Union[_loyalty_pb2.PointsLot, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListTiersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTiersResponse(_message.Message):
    __slots__ = ("tiers",)
    TIERS_FIELD_NUMBER: _ClassVar[int]
    tiers: _containers.RepeatedCompositeFieldContainer[_loyalty_pb2.Tier]
    def __init__(self, tiers: _Optional[_Iterable[_Union[_loyalty_pb2.Tier, _Mapping]]] = ...) -> None: ...

class CreateTierRequest(_message.Message):
    __slots__ = ("code", "display_name", "min_spend", "benefits")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEND_FIELD_NUMBER: _ClassVar[int]
    BENEFITS_FIELD_NUMBER: _ClassVar[int]
    code: str
    display_name: str
    min_spend: int
    benefits: _loyalty_pb2.TierBenefits
    def __init__(self, code: _Optional[str] = ..., display_name: _Optional[str] = ..., min_spend: _Optional[int] = ..., benefits: _Optional[_Union[_loyalty_pb2.TierBenefits, _Mapping]] = ...) -> None: ...

class CreateTierResponse(_message.Message):
    __slots__ = ("tier",)
    TIER_FIELD_NUMBER: _ClassVar[int]
    tier: _loyalty_pb2.Tier
    def __init__(self, tier: _Optional[_Union[_loyalty_pb2.Tier, _Mapping]] = ...) -> None: ...

class UpdateTierRequest(_message.Message):
    __slots__ = ("code", "display_name", "min_spend", "benefits")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEND_FIELD_NUMBER: _ClassVar[int]
    BENEFITS_FIELD_NUMBER: _ClassVar[int]
    code: str
    display_name: str
    min_spend: int
    benefits: _loyalty_pb2.TierBenefits
    def __init__(self, code: _Optional[str] = ..., display_name: _Optional[str] = ..., min_spend: _Optional[int] = ..., benefits: _Optional[_Union[_loyalty_pb2.TierBenefits, _Mapping]] = ...) -> None: ...

class UpdateTierResponse(_message.Message):
    __slots__ = ("tier",)
    TIER_FIELD_NUMBER: _ClassVar[int]
    tier: _loyalty_pb2.Tier
    def __init__(self, tier: _Optional[_Union[_loyalty_pb2.Tier, _Mapping]] = ...) -> None: ...

class DeleteTierRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class DeleteTierResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetMemberTierRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetMemberTierResponse(_message.Message):
    __slots__ = ("tier",)
    TIER_FIELD_NUMBER: _ClassVar[int]
    tier: _loyalty_pb2.UserTier
    def __init__(self, tier: _Optional[_Union[_loyalty_pb2.UserTier, _Mapping]] = ...) -> None: ...

class ListTierChangesRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTierChangesResponse(_message.Message):
    __slots__ = ("changes", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[_loyalty_pb2.TierChange]
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[_loyalty_pb2.TierChange, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetLeaderboardRequest(_message.Message):
    __slots__ = ("user_id", "period", "scope")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    period: str
    scope: str
    def __init__(self, user_id: _Optional[str] = ..., period: _Optional[str] = ..., scope: _Optional[str] = ...) -> None: ...

class GetLeaderboardResponse(_message.Message):
    __slots__ = ("leaderboard",)
    LEADERBOARD_FIELD_NUMBER: _ClassVar[int]
    leaderboard: _community_pb2.Leaderboard
    def __init__(self, leaderboard: _Optional[_Union[_community_pb2.Leaderboard, _Mapping]] = ...) -> None: ...

class GetLeaderboardSnapshotRequest(_message.Message):
    __slots__ = ("period", "period_start", "page_size", "page_token")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    period: str
    period_start: str
    page_size: int
    page_token: str
    def __init__(self, period: _Optional[str] = ..., period_start: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetLeaderboardSnapshotResponse(_message.Message):
    __slots__ = ("period", "period_start", "period_end", "closed_at", "total_entries", "entries", "next_page_token")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    period: str
    period_start: str
    period_end: str
    closed_at: _timestamp_pb2.Timestamp
    total_entries: int
    entries: _containers.RepeatedCompositeFieldContainer[_community_pb2.LeaderboardSnapshotEntry]
    next_page_token: str
    def __init__(self, period: _Optional[str] = ..., period_start: _Optional[str] = ..., period_end: _Optional[str] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total_entries: _Optional[int] = ..., entries: _Optional[_Iterable[_Union[_community_pb2.LeaderboardSnapshotEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetMyReferralsRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetMyReferralsResponse(_message.Message):
    __slots__ = ("code", "referred_by", "referrals", "next_page_token", "rewarded_this_month", "monthly_cap")
    CODE_FIELD_NUMBER: _ClassVar[int]
    REFERRED_BY_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REWARDED_THIS_MONTH_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_CAP_FIELD_NUMBER: _ClassVar[int]
    code: str
    referred_by: _community_pb2.Referral
    referrals: _containers.RepeatedCompositeFieldContainer[_community_pb2.Referral]
    next_page_token: str
    rewarded_this_month: int
    monthly_cap: int
    def __init__(self, code: _Optional[str] = ..., referred_by: _Optional[_Union[_community_pb2.Referral, _Mapping]] = ..., referrals: _Optional[_Iterable[_Union[_community_pb2.Referral, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., rewarded_this_month: _Optional[int] = ..., monthly_cap: _Optional[int] = ...) -> None: ...

class AttachReferralCodeRequest(_message.Message):
    __slots__ = ("user_id", "code")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    code: str
    def __init__(self, user_id: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class AttachReferralCodeResponse(_message.Message):
    __slots__ = ("referral", "replayed")
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    referral: _community_pb2.Referral
    replayed: bool
    def __init__(self, referral: _Optional[_Union[_community_pb2.Referral, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class GetDashboardRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetDashboardResponse(_message.Message):
    __slots__ = ("dashboard",)
    DASHBOARD_FIELD_NUMBER: _ClassVar[int]
    dashboard: _community_pb2.Dashboard
    def __init__(self, dashboard: _Optional[_Union[_community_pb2.Dashboard, _Mapping]] = ...) -> None: ...

class GetStreaksRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetStreaksResponse(_message.Message):
    __slots__ = ("streaks",)
    STREAKS_FIELD_NUMBER: _ClassVar[int]
    streaks: _containers.RepeatedCompositeFieldContainer[_gamification_pb2.Streak]
    def __init__(self, streaks: _Optional[_Iterable[_Union[_gamification_pb2.Streak, _Mapping]]] = ...) -> None: ...

class GrantStreakFreezesRequest(_message.Message):
    __slots__ = ("user_id", "streak_type", "count")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STREAK_TYPE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    streak_type: str
    count: int
    def __init__(self, user_id: _Optional[str] = ..., streak_type: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class GrantStreakFreezesResponse(_message.Message):
    __slots__ = ("freezes",)
    FREEZES_FIELD_NUMBER: _ClassVar[int]
    freezes: int
    def __init__(self, freezes: _Optional[int] = ...) -> None: ...

class ListUserBadgesRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ListUserBadgesResponse(_message.Message):
    __slots__ = ("badges",)
    BADGES_FIELD_NUMBER: _ClassVar[int]
    badges: _containers.RepeatedCompositeFieldContainer[_gamification_pb2.UserBadge]
    def __init__(self, badges: _Optional[_Iterable[_Union[_gamification_pb2.UserBadge, _Mapping]]] = ...) -> None: ...

class ListBadgesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBadgesResponse(_message.Message):
    __slots__ = ("badges", "next_page_token")
    BADGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    badges: _containers.RepeatedCompositeFieldContainer[_gamification_pb2.Badge]
    next_page_token: str
    def __init__(self, badges: _Optional[_Iterable[_Union[_gamification_pb2.Badge, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateBadgeRequest(_message.Message):
    __slots__ = ("code", "name", "description", "icon_url", "condition_type", "condition_value", "points_reward", "is_hidden")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_URL_FIELD_NUMBER: _ClassVar[int]
    CONDITION_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONDITION_VALUE_FIELD_NUMBER: _ClassVar[int]
    POINTS_REWARD_FIELD_NUMBER: _ClassVar[int]
    IS_HIDDEN_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    description: str
    icon_url: str
    condition_type: str
    condition_value: _struct_pb2.Struct
    points_reward: int
    is_hidden: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., icon_url: _Optional[str] = ..., condition_type: _Optional[str] = ..., condition_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., points_reward: _Optional[int] = ..., is_hidden: _Optional[bool] = ...) -> None: ...

class CreateBadgeResponse(_message.Message):
    __slots__ = ("badge",)
    BADGE_FIELD_NUMBER: _ClassVar[int]
    badge: _gamification_pb2.Badge
    def __init__(self, badge: _Optional[_Union[_gamification_pb2.Badge, _Mapping]] = ...) -> None: ...

class UpdateBadgeRequest(_message.Message):
    __slots__ = ("code", "name", "description", "icon_url", "condition_type", "condition_value", "points_reward", "is_hidden")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_URL_FIELD_NUMBER: _ClassVar[int]
    CONDITION_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONDITION_VALUE_FIELD_NUMBER: _ClassVar[int]
    POINTS_REWARD_FIELD_NUMBER: _ClassVar[int]
    IS_HIDDEN_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    description: str
    icon_url: str
    condition_type: str
    condition_value: _struct_pb2.Struct
    points_reward: int
    is_hidden: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., icon_url: _Optional[str] = ..., condition_type: _Optional[str] = ..., condition_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., points_reward: _Optional[int] = ..., is_hidden: _Optional[bool] = ...) -> None: ...

class UpdateBadgeResponse(_message.Message):
    __slots__ = ("badge",)
    BADGE_FIELD_NUMBER: _ClassVar[int]
    badge: _gamification_pb2.Badge
    def __init__(self, badge: _Optional[_Union[_gamification_pb2.Badge, _Mapping]] = ...) -> None: ...

class DeleteBadgeRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class DeleteBadgeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListActiveChallengesRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ListActiveChallengesResponse(_message.Message):
    __slots__ = ("challenges",)
    CHALLENGES_FIELD_NUMBER: _ClassVar[int]
    challenges: _containers.RepeatedCompositeFieldContainer[_gamification_pb2.UserChallenge]
    def __init__(self, challenges: _Optional[_Iterable[_Union[_gamification_pb2.UserChallenge, _Mapping]]] = ...) -> None: ...

class JoinChallengeRequest(_message.Message):
    __slots__ = ("user_id", "challenge_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    challenge_id: int
    def __init__(self, user_id: _Optional[str] = ..., challenge_id: _Optional[int] = ...) -> None: ...

class JoinChallengeResponse(_message.Message):
    __slots__ = ("challenge",)
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    challenge: _gamification_pb2.UserChallenge
    def __init__(self, challenge: _Optional[_Union[_gamification_pb2.UserChallenge, _Mapping]] = ...) -> None: ...

class ClaimChallengeRewardRequest(_message.Message):
    __slots__ = ("user_id", "challenge_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    challenge_id: int
    def __init__(self, user_id: _Optional[str] = ..., challenge_id: _Optional[int] = ...) -> None: ...

class ClaimChallengeRewardResponse(_message.Message):
    __slots__ = ("reward", "badges_awarded", "replayed")
    REWARD_FIELD_NUMBER: _ClassVar[int]
    BADGES_AWARDED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    reward: _gamification_pb2.ChallengeReward
    badges_awarded: _containers.RepeatedScalarFieldContainer[str]
    replayed: bool
    def __init__(self, reward: _Optional[_Union[_gamification_pb2.ChallengeReward, _Mapping]] = ..., badges_awarded: _Optional[_Iterable[str]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class ListChallengesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListChallengesResponse(_message.Message):
    __slots__ = ("challenges", "next_page_token")
    CHALLENGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    challenges: _containers.RepeatedCompositeFieldContainer[_gamification_pb2.Challenge]
    next_page_token: str
    def __init__(self, challenges: _Optional[_Iterable[_Union[_gamification_pb2.Challenge, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateChallengeRequest(_message.Message):
    __slots__ = ("title", "description", "challenge_type", "target_value", "reward", "start_date", "end_date", "is_active")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_VALUE_FIELD_NUMBER: _ClassVar[int]
    REWARD_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    title: str
    description: str
    challenge_type: str
    target_value: _struct_pb2.Struct
    reward: _gamification_pb2.ChallengeReward
    start_date: str
    end_date: str
    is_active: bool
    def __init__(self, title: _Optional[str] = ..., description: _Optional[str] = ..., challenge_type: _Optional[str] = ..., target_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., reward: _Optional[_Union[_gamification_pb2.ChallengeReward, _Mapping]] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., is_active: _Optional[bool] = ...) -> None: ...

class CreateChallengeResponse(_message.Message):
    __slots__ = ("challenge",)
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    challenge: _gamification_pb2.Challenge
    def __init__(self, challenge: _Optional[_Union[_gamification_pb2.Challenge, _Mapping]] = ...) -> None: ...

class UpdateChallengeRequest(_message.Message):
    __slots__ = ("challenge_id", "title", "description", "challenge_type", "target_value", "reward", "start_date", "end_date", "is_active")
    CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_VALUE_FIELD_NUMBER: _ClassVar[int]
    REWARD_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    challenge_id: int
    title: str
    description: str
    challenge_type: str
    target_value: _struct_pb2.Struct
    reward: _gamification_pb2.ChallengeReward
    start_date: str
    end_date: str
    is_active: bool
    def __init__(self, challenge_id: _Optional[int] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., challenge_type: _Optional[str] = ..., target_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., reward: _Optional[_Union[_gamification_pb2.ChallengeReward, _Mapping]] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., is_active: _Optional[bool] = ...) -> None: ...

class UpdateChallengeResponse(_message.Message):
    __slots__ = ("challenge",)
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    challenge: _gamification_pb2.Challenge
    def __init__(self, challenge: _Optional[_Union[_gamification_pb2.Challenge, _Mapping]] = ...) -> None: ...

class DeleteChallengeRequest(_message.Message):
    __slots__ = ("challenge_id",)
    CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    challenge_id: int
    def __init__(self, challenge_id: _Optional[int] = ...) -> None: ...

class DeleteChallengeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
