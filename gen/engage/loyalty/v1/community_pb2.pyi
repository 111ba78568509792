import datetime

from engage.loyalty.v1 import loyalty_pb2 as _loyalty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LeaderboardEntry(_message.Message):
    __slots__ = ("rank", "user_id", "value", "currency_code", "reached_at", "is_me", "value_banded")
    RANK_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    REACHED_AT_FIELD_NUMBER: _ClassVar[int]
    IS_ME_FIELD_NUMBER: _ClassVar[int]
    VALUE_BANDED_FIELD_NUMBER: _ClassVar[int]
    rank: int
    user_id: str
    value: int
    currency_code: str
    reached_at: _timestamp_pb2.Timestamp
    is_me: bool
    value_banded: bool
    def __init__(self, rank: _Optional[int] = ..., user_id: _Optional[str] = ..., value: _Optional[int] = ..., currency_code: _Optional[str] = ..., reached_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_me: _Optional[bool] = ..., value_banded: _Optional[bool] = ...) -> None: ...

class Leaderboard(_message.Message):
    __slots__ = ("period", "scope", "period_start", "period_end", "timezone", "entries", "me")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    ME_FIELD_NUMBER: _ClassVar[int]
    period: str
    scope: str
    period_start: str
    period_end: str
    timezone: str
    entries: _containers.RepeatedCompositeFieldContainer[LeaderboardEntry]
    me: LeaderboardEntry
    def __init__(self, period: _Optional[str] = ..., scope: _Optional[str] = ..., period_start: _Optional[str] = ..., period_end: _Optional[str] = ..., timezone: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[LeaderboardEntry, _Mapping]]] = ..., me: _Optional[_Union[LeaderboardEntry, _Mapping]] = ...) -> None: ...

class LeaderboardSnapshotEntry(_message.Message):
    __slots__ = ("position", "rank", "user_id", "value", "reached_at")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REACHED_AT_FIELD_NUMBER: _ClassVar[int]
    position: int
    rank: int
    user_id: str
    value: int
    reached_at: _timestamp_pb2.Timestamp
    def __init__(self, position: _Optional[int] = ..., rank: _Optional[int] = ..., user_id: _Optional[str] = ..., value: _Optional[int] = ..., reached_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Referral(_message.Message):
    __slots__ = ("user_id", "status", "attached_at", "qualified_at", "release_at", "points", "referrer_capped", "release_date")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[Referral.Status]
        ATTACHED: _ClassVar[Referral.Status]
        PENDING: _ClassVar[Referral.Status]
        REWARDED: _ClassVar[Referral.Status]
        NOT_QUALIFIED: _ClassVar[Referral.Status]
        REVERSED: _ClassVar[Referral.Status]
    STATUS_UNSPECIFIED: Referral.Status
    ATTACHED: Referral.Status
    PENDING: Referral.Status
    REWARDED: Referral.Status
    NOT_QUALIFIED: Referral.Status
    REVERSED: Referral.Status
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTACHED_AT_FIELD_NUMBER: _ClassVar[int]
    QUALIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    RELEASE_AT_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    REFERRER_CAPPED_FIELD_NUMBER: _ClassVar[int]
    RELEASE_DATE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    status: Referral.Status
    attached_at: _timestamp_pb2.Timestamp
    qualified_at: _timestamp_pb2.Timestamp
    release_at: _timestamp_pb2.Timestamp
    points: int
    referrer_capped: bool
    release_date: str
    def __init__(self, user_id: _Optional[str] = ..., status: _Optional[_Union[Referral.Status, str]] = ..., attached_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., qualified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., release_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., points: _Optional[int] = ..., referrer_capped: _Optional[bool] = ..., release_date: _Optional[str] = ...) -> None: ...

class DashboardStreak(_message.Message):
    __slots__ = ("current", "max", "next_milestone", "freezes")
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    NEXT_MILESTONE_FIELD_NUMBER: _ClassVar[int]
    FREEZES_FIELD_NUMBER: _ClassVar[int]
    current: int
    max: int
    next_milestone: int
    freezes: int
    def __init__(self, current: _Optional[int] = ..., max: _Optional[int] = ..., next_milestone: _Optional[int] = ..., freezes: _Optional[int] = ...) -> None: ...

class DashboardChallenge(_message.Message):
    __slots__ = ("challenge_id", "title", "challenge_type", "progress", "target", "completed", "claimed", "end_date", "days_left")
    CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    DAYS_LEFT_FIELD_NUMBER: _ClassVar[int]
    challenge_id: int
    title: str
    challenge_type: str
    progress: int
    target: int
    completed: bool
    claimed: bool
    end_date: str
    days_left: int
    def __init__(self, challenge_id: _Optional[int] = ..., title: _Optional[str] = ..., challenge_type: _Optional[str] = ..., progress: _Optional[int] = ..., target: _Optional[int] = ..., completed: _Optional[bool] = ..., claimed: _Optional[bool] = ..., end_date: _Optional[str] = ..., days_left: _Optional[int] = ...) -> None: ...

class DashboardBadge(_message.Message):
    __slots__ = ("code", "name", "description", "icon_url", "earned_at", "order_id")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_URL_FIELD_NUMBER: _ClassVar[int]
    EARNED_AT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    description: str
    icon_url: str
    earned_at: _timestamp_pb2.Timestamp
    order_id: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., icon_url: _Optional[str] = ..., earned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_id: _Optional[str] = ...) -> None: ...

class DashboardPoints(_message.Message):
    __slots__ = ("balance", "pending")
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    balance: int
    pending: int
    def __init__(self, balance: _Optional[int] = ..., pending: _Optional[int] = ...) -> None: ...

class Dashboard(_message.Message):
    __slots__ = ("tier", "streak", "purchase_streak", "challenges", "badges", "points")
    TIER_FIELD_NUMBER: _ClassVar[int]
    STREAK_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_STREAK_FIELD_NUMBER: _ClassVar[int]
    CHALLENGES_FIELD_NUMBER: _ClassVar[int]
    BADGES_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    tier: _loyalty_pb2.UserTier
    streak: DashboardStreak
    purchase_streak: DashboardStreak
    challenges: _containers.RepeatedCompositeFieldContainer[DashboardChallenge]
    badges: _containers.RepeatedCompositeFieldContainer[DashboardBadge]
    points: DashboardPoints
    def __init__(self, tier: _Optional[_Union[_loyalty_pb2.UserTier, _Mapping]] = ..., streak: _Optional[_Union[DashboardStreak, _Mapping]] = ..., purchase_streak: _Optional[_Union[DashboardStreak, _Mapping]] = ..., challenges: _Optional[_Iterable[_Union[DashboardChallenge, _Mapping]]] = ..., badges: _Optional[_Iterable[_Union[DashboardBadge, _Mapping]]] = ..., points: _Optional[_Union[DashboardPoints, _Mapping]] = ...) -> None: ...
