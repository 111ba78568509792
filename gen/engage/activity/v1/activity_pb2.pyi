import datetime

from engage.common.v1 import options_pb2 as _options_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    ROULETTE_PLAY: _ClassVar[EventType]
    DICE_PLAY: _ClassVar[EventType]
    LOTTERY_PLAY: _ClassVar[EventType]
    BONUS_USED: _ClassVar[EventType]
    PLAY_DURATION: _ClassVar[EventType]
    LOGIN: _ClassVar[EventType]
    VISIT: _ClassVar[EventType]
    REVIEW: _ClassVar[EventType]
    SHARE: _ClassVar[EventType]
    PURCHASE: _ClassVar[EventType]
    PURCHASE_REFUND: _ClassVar[EventType]
    CHARGE: _ClassVar[EventType]
    CART_UPDATED: _ClassVar[EventType]
    CHECKOUT: _ClassVar[EventType]
EVENT_TYPE_UNSPECIFIED: EventType
ROULETTE_PLAY: EventType
DICE_PLAY: EventType
LOTTERY_PLAY: EventType
BONUS_USED: EventType
PLAY_DURATION: EventType
LOGIN: EventType
VISIT: EventType
REVIEW: EventType
SHARE: EventType
PURCHASE: EventType
PURCHASE_REFUND: EventType
CHARGE: EventType
CART_UPDATED: EventType
CHECKOUT: EventType

class Event(_message.Message):
    __slots__ = ("event_id", "user_id", "event_type", "value", "amount", "currency", "category", "order_id", "meta_json", "occurred_at", "recorded_at")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    user_id: str
    event_type: EventType
    value: int
    amount: int
    currency: str
    category: str
    order_id: str
    meta_json: _struct_pb2.Struct
    occurred_at: _timestamp_pb2.Timestamp
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., user_id: _Optional[str] = ..., event_type: _Optional[_Union[EventType, str]] = ..., value: _Optional[int] = ..., amount: _Optional[int] = ..., currency: _Optional[str] = ..., category: _Optional[str] = ..., order_id: _Optional[str] = ..., meta_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UserActivity(_message.Message):
    __slots__ = ("user_id", "roulette_plays", "dice_plays", "lottery_plays", "total_play_duration", "purchase_count", "purchase_total", "currency", "review_count", "deposit_amount", "last_bonus_used_at", "last_login_at", "last_active_at", "last_charge_at", "first_seen_at", "updated_at")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROULETTE_PLAYS_FIELD_NUMBER: _ClassVar[int]
    DICE_PLAYS_FIELD_NUMBER: _ClassVar[int]
    LOTTERY_PLAYS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PLAY_DURATION_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_COUNT_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    REVIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_BONUS_USED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_LOGIN_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVE_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_CHARGE_AT_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    roulette_plays: int
    dice_plays: int
    lottery_plays: int
    total_play_duration: int
    purchase_count: int
    purchase_total: int
    currency: str
    review_count: int
    deposit_amount: int
    last_bonus_used_at: _timestamp_pb2.Timestamp
    last_login_at: _timestamp_pb2.Timestamp
    last_active_at: _timestamp_pb2.Timestamp
    last_charge_at: _timestamp_pb2.Timestamp
    first_seen_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., roulette_plays: _Optional[int] = ..., dice_plays: _Optional[int] = ..., lottery_plays: _Optional[int] = ..., total_play_duration: _Optional[int] = ..., purchase_count: _Optional[int] = ..., purchase_total: _Optional[int] = ..., currency: _Optional[str] = ..., review_count: _Optional[int] = ..., deposit_amount: _Optional[int] = ..., last_bonus_used_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_login_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_active_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_charge_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_seen_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DepositEntry(_message.Message):
    __slots__ = ("user_id", "deposit_amount")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    deposit_amount: int
    def __init__(self, user_id: _Optional[str] = ..., deposit_amount: _Optional[int] = ...) -> None: ...
