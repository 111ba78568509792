import datetime

from engage.activity.v1 import activity_pb2 as _activity_pb2
from engage.common.v1 import options_pb2 as _options_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecordActivityRequest(_message.Message):
    __slots__ = ("user_id", "event_type", "event_id", "value", "meta_json", "occurred_at", "amount", "currency", "category", "order_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    event_type: _activity_pb2.EventType
    event_id: str
    value: int
    meta_json: _struct_pb2.Struct
    occurred_at: _timestamp_pb2.Timestamp
    amount: int
    currency: str
    category: str
    order_id: str
    def __init__(self, user_id: _Optional[str] = ..., event_type: _Optional[_Union[_activity_pb2.EventType, str]] = ..., event_id: _Optional[str] = ..., value: _Optional[int] = ..., meta_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., amount: _Optional[int] = ..., currency: _Optional[str] = ..., category: _Optional[str] = ..., order_id: _Optional[str] = ...) -> None: ...

class RecordActivityResponse(_message.Message):
    __slots__ = ("user_id", "updated_at", "duplicate", "event_id", "streak")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STREAK_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    updated_at: _timestamp_pb2.Timestamp
    duplicate: bool
    event_id: str
    streak: StreakOutcome
    def __init__(self, user_id: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duplicate: _Optional[bool] = ..., event_id: _Optional[str] = ..., streak: _Optional[_Union[StreakOutcome, _Mapping]] = ...) -> None: ...

class StreakOutcome(_message.Message):
    __slots__ = ("streak_type", "streak", "max_streak", "is_record", "rewards", "streak_broken", "previous_streak", "freeze_used", "freezes_used", "freezes_left", "already_recorded")
    class Reward(_message.Message):
        __slots__ = ("type", "amount", "reason", "milestone")
        TYPE_FIELD_NUMBER: _ClassVar[int]
        AMOUNT_FIELD_NUMBER: _ClassVar[int]
        REASON_FIELD_NUMBER: _ClassVar[int]
        MILESTONE_FIELD_NUMBER: _ClassVar[int]
        type: str
        amount: int
        reason: str
        milestone: int
        def __init__(self, type: _Optional[str] = ..., amount: _Optional[int] = ..., reason: _Optional[str] = ..., milestone: _Optional[int] = ...) -> None: ...
    STREAK_TYPE_FIELD_NUMBER: _ClassVar[int]
    STREAK_FIELD_NUMBER: _ClassVar[int]
    MAX_STREAK_FIELD_NUMBER: _ClassVar[int]
    IS_RECORD_FIELD_NUMBER: _ClassVar[int]
    REWARDS_FIELD_NUMBER: _ClassVar[int]
    STREAK_BROKEN_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STREAK_FIELD_NUMBER: _ClassVar[int]
    FREEZE_USED_FIELD_NUMBER: _ClassVar[int]
    FREEZES_USED_FIELD_NUMBER: _ClassVar[int]
    FREEZES_LEFT_FIELD_NUMBER: _ClassVar[int]
    ALREADY_RECORDED_FIELD_NUMBER: _ClassVar[int]
    streak_type: str
    streak: int
    max_streak: int
    is_record: bool
    rewards: _containers.RepeatedCompositeFieldContainer[StreakOutcome.Reward]
    streak_broken: bool
    previous_streak: int
    freeze_used: bool
    freezes_used: int
    freezes_left: int
    already_recorded: bool
    def __init__(self, streak_type: _Optional[str] = ..., streak: _Optional[int] = ..., max_streak: _Optional[int] = ..., is_record: _Optional[bool] = ..., rewards: _Optional[_Iterable[_Union[StreakOutcome.Reward, _Mapping]]] = ..., streak_broken: _Optional[bool] = ..., previous_streak: _Optional[int] = ..., freeze_used: _Optional[bool] = ..., freezes_used: _Optional[int] = ..., freezes_left: _Optional[int] = ..., already_recorded: _Optional[bool] = ...) -> None: ...

class RecordActivitiesRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[RecordActivityRequest]
    def __init__(self, events: _Optional[_Iterable[_Union[RecordActivityRequest, _Mapping]]] = ...) -> None: ...

class RecordActivitiesResponse(_message.Message):
    __slots__ = ("results",)
    class EventResult(_message.Message):
        __slots__ = ("event_id", "user_id", "outcome", "updated_at")
        class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
            __slots__ = ()
            OUTCOME_UNSPECIFIED: _ClassVar[RecordActivitiesResponse.EventResult.Outcome]
            RECORDED: _ClassVar[RecordActivitiesResponse.EventResult.Outcome]
            DUPLICATE: _ClassVar[RecordActivitiesResponse.EventResult.Outcome]
            CONFLICT: _ClassVar[RecordActivitiesResponse.EventResult.Outcome]
        OUTCOME_UNSPECIFIED: RecordActivitiesResponse.EventResult.Outcome
        RECORDED: RecordActivitiesResponse.EventResult.Outcome
        DUPLICATE: RecordActivitiesResponse.EventResult.Outcome
        CONFLICT: RecordActivitiesResponse.EventResult.Outcome
        EVENT_ID_FIELD_NUMBER: _ClassVar[int]
        USER_ID_FIELD_NUMBER: _ClassVar[int]
        OUTCOME_FIELD_NUMBER: _ClassVar[int]
        UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
        event_id: str
        user_id: str
        outcome: RecordActivitiesResponse.EventResult.Outcome
        updated_at: _timestamp_pb2.Timestamp
        def __init__(self, event_id: _Optional[str] = ..., user_id: _Optional[str] = ..., outcome: _Optional[_Union[RecordActivitiesResponse.EventResult.Outcome, str]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RecordActivitiesResponse.EventResult]
    def __init__(self, results: _Optional[_Iterable[_Union[RecordActivitiesResponse.EventResult, _Mapping]]] = ...) -> None: ...

class GetUserActivityRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetUserActivityResponse(_message.Message):
    __slots__ = ("activity",)
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    activity: _activity_pb2.UserActivity
    def __init__(self, activity: _Optional[_Union[_activity_pb2.UserActivity, _Mapping]] = ...) -> None: ...

class UpsertExternalDepositsRequest(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_activity_pb2.DepositEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[_activity_pb2.DepositEntry, _Mapping]]] = ...) -> None: ...

class UpsertExternalDepositsResponse(_message.Message):
    __slots__ = ("results", "updated_at")
    class DepositResult(_message.Message):
        __slots__ = ("user_id", "previous_amount", "deposit_amount", "increased")
        USER_ID_FIELD_NUMBER: _ClassVar[int]
        PREVIOUS_AMOUNT_FIELD_NUMBER: _ClassVar[int]
        DEPOSIT_AMOUNT_FIELD_NUMBER: _ClassVar[int]
        INCREASED_FIELD_NUMBER: _ClassVar[int]
        user_id: str
        previous_amount: int
        deposit_amount: int
        increased: bool
        def __init__(self, user_id: _Optional[str] = ..., previous_amount: _Optional[int] = ..., deposit_amount: _Optional[int] = ..., increased: _Optional[bool] = ...) -> None: ...
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[UpsertExternalDepositsResponse.DepositResult]
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, results: _Optional[_Iterable[_Union[UpsertExternalDepositsResponse.DepositResult, _Mapping]]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListUserEventsRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token", "event_type")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    event_type: _activity_pb2.EventType
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., event_type: _Optional[_Union[_activity_pb2.EventType, str]] = ...) -> None: ...

class ListUserEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_activity_pb2.Event]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[_activity_pb2.Event, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
