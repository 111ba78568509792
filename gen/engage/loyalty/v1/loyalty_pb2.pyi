import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TierBenefits(_message.Message):
    __slots__ = ("point_multiplier", "free_shipping_threshold", "birthday_bonus", "vip_support")
    POINT_MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    FREE_SHIPPING_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    BIRTHDAY_BONUS_FIELD_NUMBER: _ClassVar[int]
    VIP_SUPPORT_FIELD_NUMBER: _ClassVar[int]
    point_multiplier: float
    free_shipping_threshold: int
    birthday_bonus: int
    vip_support: bool
    def __init__(self, point_multiplier: _Optional[float] = ..., free_shipping_threshold: _Optional[int] = ..., birthday_bonus: _Optional[int] = ..., vip_support: _Optional[bool] = ...) -> None: ...

class Tier(_message.Message):
    __slots__ = ("code", "display_name", "min_spend", "currency_code", "benefits", "created_at", "created_by", "updated_at", "updated_by")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEND_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    BENEFITS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    code: str
    display_name: str
    min_spend: int
    currency_code: str
    benefits: TierBenefits
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, code: _Optional[str] = ..., display_name: _Optional[str] = ..., min_spend: _Optional[int] = ..., currency_code: _Optional[str] = ..., benefits: _Optional[_Union[TierBenefits, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ...) -> None: ...

class UserTier(_message.Message):
    __slots__ = ("user_id", "current", "total_amount", "currency_code", "next_tier", "remaining_to_next", "progress_pct", "window", "downgrade_at", "downgrade_to", "tier_since")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    NEXT_TIER_FIELD_NUMBER: _ClassVar[int]
    REMAINING_TO_NEXT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_PCT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    DOWNGRADE_AT_FIELD_NUMBER: _ClassVar[int]
    DOWNGRADE_TO_FIELD_NUMBER: _ClassVar[int]
    TIER_SINCE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    current: Tier
    total_amount: int
    currency_code: str
    next_tier: Tier
    remaining_to_next: int
    progress_pct: float
    window: str
    downgrade_at: _timestamp_pb2.Timestamp
    downgrade_to: str
    tier_since: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., current: _Optional[_Union[Tier, _Mapping]] = ..., total_amount: _Optional[int] = ..., currency_code: _Optional[str] = ..., next_tier: _Optional[_Union[Tier, _Mapping]] = ..., remaining_to_next: _Optional[int] = ..., progress_pct: _Optional[float] = ..., window: _Optional[str] = ..., downgrade_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., downgrade_to: _Optional[str] = ..., tier_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TierChange(_message.Message):
    __slots__ = ("change_id", "user_id", "kind", "from_tier", "to_tier", "total_amount", "cause", "changed_at")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[TierChange.Kind]
        UPGRADE: _ClassVar[TierChange.Kind]
        DOWNGRADE_SCHEDULED: _ClassVar[TierChange.Kind]
        DOWNGRADE_CANCELLED: _ClassVar[TierChange.Kind]
        DOWNGRADE: _ClassVar[TierChange.Kind]
    KIND_UNSPECIFIED: TierChange.Kind
    UPGRADE: TierChange.Kind
    DOWNGRADE_SCHEDULED: TierChange.Kind
    DOWNGRADE_CANCELLED: TierChange.Kind
    DOWNGRADE: TierChange.Kind
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FROM_TIER_FIELD_NUMBER: _ClassVar[int]
    TO_TIER_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    change_id: int
    user_id: str
    kind: TierChange.Kind
    from_tier: str
    to_tier: str
    total_amount: int
    cause: str
    changed_at: _timestamp_pb2.Timestamp
    def __init__(self, change_id: _Optional[int] = ..., user_id: _Optional[str] = ..., kind: _Optional[_Union[TierChange.Kind, str]] = ..., from_tier: _Optional[str] = ..., to_tier: _Optional[str] = ..., total_amount: _Optional[int] = ..., cause: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PointsEntry(_message.Message):
    __slots__ = ("entry_id", "user_id", "delta", "balance_after", "reason", "source", "label", "meta_json", "idempotency_key", "lot_id", "lots", "created_at")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    BALANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    LOT_ID_FIELD_NUMBER: _ClassVar[int]
    LOTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    entry_id: int
    user_id: str
    delta: int
    balance_after: int
    reason: str
    source: str
    label: str
    meta_json: _struct_pb2.Struct
    idempotency_key: str
    lot_id: int
    lots: _containers.RepeatedCompositeFieldContainer[LotTake]
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, entry_id: _Optional[int] = ..., user_id: _Optional[str] = ..., delta: _Optional[int] = ..., balance_after: _Optional[int] = ..., reason: _Optional[str] = ..., source: _Optional[str] = ..., label: _Optional[str] = ..., meta_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., lot_id: _Optional[int] = ..., lots: _Optional[_Iterable[_Union[LotTake, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LotTake(_message.Message):
    __slots__ = ("lot_id", "points", "expires_at")
    LOT_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    lot_id: int
    points: int
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, lot_id: _Optional[int] = ..., points: _Optional[int] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PointsLot(_message.Message):
    __slots__ = ("lot_id", "user_id", "points", "remaining", "reason", "source", "order_id", "pending", "available_at", "expires_at", "created_at")
    LOT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    lot_id: int
    user_id: str
    points: int
    remaining: int
    reason: str
    source: str
    order_id: str
    pending: bool
    available_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, lot_id: _Optional[int] = ..., user_id: _Optional[str] = ..., points: _Optional[int] = ..., remaining: _Optional[int] = ..., reason: _Optional[str] = ..., source: _Optional[str] = ..., order_id: _Optional[str] = ..., pending: _Optional[bool] = ..., available_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
