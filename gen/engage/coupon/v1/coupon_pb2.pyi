import datetime

from engage.reward.v1 import reward_pb2 as _reward_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Coupon(_message.Message):
    __slots__ = ("coupon_id", "code", "type", "value", "token_type", "max_value", "starts_at", "expires_at", "usage_limit", "per_user_limit", "segment", "status", "used_count", "reserved_count", "assigned_user_id", "campaign", "batch_id", "template_coupon_id", "description", "version", "created_at", "created_by", "updated_at", "updated_by")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNSPECIFIED: _ClassVar[Coupon.Type]
        PERCENTAGE: _ClassVar[Coupon.Type]
        FIXED: _ClassVar[Coupon.Type]
        FREE_SPIN: _ClassVar[Coupon.Type]
        BONUS_TOKEN: _ClassVar[Coupon.Type]
    TYPE_UNSPECIFIED: Coupon.Type
    PERCENTAGE: Coupon.Type
    FIXED: Coupon.Type
    FREE_SPIN: Coupon.Type
    BONUS_TOKEN: Coupon.Type
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[Coupon.Status]
        ACTIVE: _ClassVar[Coupon.Status]
        DISABLED: _ClassVar[Coupon.Status]
    STATUS_UNSPECIFIED: Coupon.Status
    ACTIVE: Coupon.Status
    DISABLED: Coupon.Status
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    MAX_VALUE_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    USAGE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    PER_USER_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    USED_COUNT_FIELD_NUMBER: _ClassVar[int]
    RESERVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_USER_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    coupon_id: int
    code: str
    type: Coupon.Type
    value: int
    token_type: _reward_pb2.TokenType
    max_value: int
    starts_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    usage_limit: int
    per_user_limit: int
    segment: str
    status: Coupon.Status
    used_count: int
    reserved_count: int
    assigned_user_id: str
    campaign: str
    batch_id: int
    template_coupon_id: int
    description: str
    version: int
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, coupon_id: _Optional[int] = ..., code: _Optional[str] = ..., type: _Optional[_Union[Coupon.Type, str]] = ..., value: _Optional[int] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., max_value: _Optional[int] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., usage_limit: _Optional[int] = ..., per_user_limit: _Optional[int] = ..., segment: _Optional[str] = ..., status: _Optional[_Union[Coupon.Status, str]] = ..., used_count: _Optional[int] = ..., reserved_count: _Optional[int] = ..., assigned_user_id: _Optional[str] = ..., campaign: _Optional[str] = ..., batch_id: _Optional[int] = ..., template_coupon_id: _Optional[int] = ..., description: _Optional[str] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ...) -> None: ...

class CouponRedemption(_message.Message):
    __slots__ = ("redemption_id", "coupon_id", "code", "user_id", "request_id", "type", "token_type", "amount", "ledger_entry_id", "reservation_id", "state", "redeemed_at", "rolled_back_at", "rollback_reason", "rollback_entry_id")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[CouponRedemption.State]
        REDEEMED: _ClassVar[CouponRedemption.State]
        ROLLED_BACK: _ClassVar[CouponRedemption.State]
    STATE_UNSPECIFIED: CouponRedemption.State
    REDEEMED: CouponRedemption.State
    ROLLED_BACK: CouponRedemption.State
    REDEMPTION_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    LEDGER_ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REDEEMED_AT_FIELD_NUMBER: _ClassVar[int]
    ROLLED_BACK_AT_FIELD_NUMBER: _ClassVar[int]
    ROLLBACK_REASON_FIELD_NUMBER: _ClassVar[int]
    ROLLBACK_ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    redemption_id: int
    coupon_id: int
    code: str
    user_id: str
    request_id: str
    type: Coupon.Type
    token_type: _reward_pb2.TokenType
    amount: int
    ledger_entry_id: int
    reservation_id: int
    state: CouponRedemption.State
    redeemed_at: _timestamp_pb2.Timestamp
    rolled_back_at: _timestamp_pb2.Timestamp
    rollback_reason: str
    rollback_entry_id: int
    def __init__(self, redemption_id: _Optional[int] = ..., coupon_id: _Optional[int] = ..., code: _Optional[str] = ..., user_id: _Optional[str] = ..., request_id: _Optional[str] = ..., type: _Optional[_Union[Coupon.Type, str]] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., amount: _Optional[int] = ..., ledger_entry_id: _Optional[int] = ..., reservation_id: _Optional[int] = ..., state: _Optional[_Union[CouponRedemption.State, str]] = ..., redeemed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rolled_back_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rollback_reason: _Optional[str] = ..., rollback_entry_id: _Optional[int] = ...) -> None: ...

class CouponReservation(_message.Message):
    __slots__ = ("reservation_id", "coupon_id", "code", "user_id", "request_id", "state", "expires_at", "created_at", "closed_at", "redemption_id")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[CouponReservation.State]
        HELD: _ClassVar[CouponReservation.State]
        CONVERTED: _ClassVar[CouponReservation.State]
        RELEASED: _ClassVar[CouponReservation.State]
        EXPIRED: _ClassVar[CouponReservation.State]
    STATE_UNSPECIFIED: CouponReservation.State
    HELD: CouponReservation.State
    CONVERTED: CouponReservation.State
    RELEASED: CouponReservation.State
    EXPIRED: CouponReservation.State
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    REDEMPTION_ID_FIELD_NUMBER: _ClassVar[int]
    reservation_id: int
    coupon_id: int
    code: str
    user_id: str
    request_id: str
    state: CouponReservation.State
    expires_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    redemption_id: int
    def __init__(self, reservation_id: _Optional[int] = ..., coupon_id: _Optional[int] = ..., code: _Optional[str] = ..., user_id: _Optional[str] = ..., request_id: _Optional[str] = ..., state: _Optional[_Union[CouponReservation.State, str]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., redemption_id: _Optional[int] = ...) -> None: ...

class CouponBatch(_message.Message):
    __slots__ = ("batch_id", "request_id", "prefix", "count", "campaign", "created_at", "created_by")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    batch_id: int
    request_id: str
    prefix: str
    count: int
    campaign: str
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    def __init__(self, batch_id: _Optional[int] = ..., request_id: _Optional[str] = ..., prefix: _Optional[str] = ..., count: _Optional[int] = ..., campaign: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ...) -> None: ...
