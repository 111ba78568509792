import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Streak(_message.Message):
    __slots__ = ("streak_type", "current", "max", "next_milestone", "freezes", "last_day")
    STREAK_TYPE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    NEXT_MILESTONE_FIELD_NUMBER: _ClassVar[int]
    FREEZES_FIELD_NUMBER: _ClassVar[int]
    LAST_DAY_FIELD_NUMBER: _ClassVar[int]
    streak_type: str
    current: int
    max: int
    next_milestone: int
    freezes: int
    last_day: str
    def __init__(self, streak_type: _Optional[str] = ..., current: _Optional[int] = ..., max: _Optional[int] = ..., next_milestone: _Optional[int] = ..., freezes: _Optional[int] = ..., last_day: _Optional[str] = ...) -> None: ...

class Badge(_message.Message):
    __slots__ = ("code", "name", "description", "icon_url", "condition_type", "condition_value", "points_reward", "is_hidden", "created_at", "updated_at")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_URL_FIELD_NUMBER: _ClassVar[int]
    CONDITION_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONDITION_VALUE_FIELD_NUMBER: _ClassVar[int]
    POINTS_REWARD_FIELD_NUMBER: _ClassVar[int]
    IS_HIDDEN_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    description: str
    icon_url: str
    condition_type: str
    condition_value: _struct_pb2.Struct
    points_reward: int
    is_hidden: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., icon_url: _Optional[str] = ..., condition_type: _Optional[str] = ..., condition_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., points_reward: _Optional[int] = ..., is_hidden: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UserBadge(_message.Message):
    __slots__ = ("badge", "earned", "earned_at", "order_id", "progress", "target")
    BADGE_FIELD_NUMBER: _ClassVar[int]
    EARNED_FIELD_NUMBER: _ClassVar[int]
    EARNED_AT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    badge: Badge
    earned: bool
    earned_at: _timestamp_pb2.Timestamp
    order_id: str
    progress: int
    target: int
    def __init__(self, badge: _Optional[_Union[Badge, _Mapping]] = ..., earned: _Optional[bool] = ..., earned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_id: _Optional[str] = ..., progress: _Optional[int] = ..., target: _Optional[int] = ...) -> None: ...

class TokenAmount(_message.Message):
    __slots__ = ("token_type", "amount")
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    token_type: str
    amount: int
    def __init__(self, token_type: _Optional[str] = ..., amount: _Optional[int] = ...) -> None: ...

class ChallengeReward(_message.Message):
    __slots__ = ("points", "badge_code", "tokens")
    POINTS_FIELD_NUMBER: _ClassVar[int]
    BADGE_CODE_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    points: int
    badge_code: str
    tokens: _containers.RepeatedCompositeFieldContainer[TokenAmount]
    def __init__(self, points: _Optional[int] = ..., badge_code: _Optional[str] = ..., tokens: _Optional[_Iterable[_Union[TokenAmount, _Mapping]]] = ...) -> None: ...

class Challenge(_message.Message):
    __slots__ = ("challenge_id", "title", "description", "challenge_type", "target_value", "target", "reward", "start_date", "end_date", "is_active", "created_at", "updated_at")
    CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_VALUE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    REWARD_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    challenge_id: int
    title: str
    description: str
    challenge_type: str
    target_value: _struct_pb2.Struct
    target: int
    reward: ChallengeReward
    start_date: str
    end_date: str
    is_active: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, challenge_id: _Optional[int] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., challenge_type: _Optional[str] = ..., target_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., target: _Optional[int] = ..., reward: _Optional[_Union[ChallengeReward, _Mapping]] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., is_active: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UserChallenge(_message.Message):
    __slots__ = ("challenge_id", "title", "description", "challenge_type", "target", "target_count", "reward", "progress", "completed", "claimed", "joined", "end_date", "days_left")
    CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TARGET_COUNT_FIELD_NUMBER: _ClassVar[int]
    REWARD_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_FIELD_NUMBER: _ClassVar[int]
    JOINED_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    DAYS_LEFT_FIELD_NUMBER: _ClassVar[int]
    challenge_id: int
    title: str
    description: str
    challenge_type: str
    target: _struct_pb2.Struct
    target_count: int
    reward: ChallengeReward
    progress: int
    completed: bool
    claimed: bool
    joined: bool
    end_date: str
    days_left: int
    def __init__(self, challenge_id: _Optional[int] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., challenge_type: _Optional[str] = ..., target: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., target_count: _Optional[int] = ..., reward: _Optional[_Union[ChallengeReward, _Mapping]] = ..., progress: _Optional[int] = ..., completed: _Optional[bool] = ..., claimed: _Optional[bool] = ..., joined: _Optional[bool] = ..., end_date: _Optional[str] = ..., days_left: _Optional[int] = ...) -> None: ...
