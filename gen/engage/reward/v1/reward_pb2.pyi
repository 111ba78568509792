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

class TokenType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOKEN_TYPE_UNSPECIFIED: _ClassVar[TokenType]
    ROULETTE_COIN: _ClassVar[TokenType]
    DICE_TOKEN: _ClassVar[TokenType]
    LOTTERY_TICKET: _ClassVar[TokenType]
    CC_COIN: _ClassVar[TokenType]
TOKEN_TYPE_UNSPECIFIED: TokenType
ROULETTE_COIN: TokenType
DICE_TOKEN: TokenType
LOTTERY_TICKET: TokenType
CC_COIN: TokenType

class Wallet(_message.Message):
    __slots__ = ("user_id", "token_type", "balance", "updated_at")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    token_type: TokenType
    balance: int
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., token_type: _Optional[_Union[TokenType, str]] = ..., balance: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LedgerEntry(_message.Message):
    __slots__ = ("entry_id", "user_id", "token_type", "delta", "balance_after", "reason", "label", "meta_json", "idempotency_key", "created_at")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    BALANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    entry_id: int
    user_id: str
    token_type: TokenType
    delta: int
    balance_after: int
    reason: str
    label: str
    meta_json: _struct_pb2.Struct
    idempotency_key: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, entry_id: _Optional[int] = ..., user_id: _Optional[str] = ..., token_type: _Optional[_Union[TokenType, str]] = ..., delta: _Optional[int] = ..., balance_after: _Optional[int] = ..., reason: _Optional[str] = ..., label: _Optional[str] = ..., meta_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Budget(_message.Message):
    __slots__ = ("budget_id", "owner_kind", "owner_id", "unit", "token_type", "total_limit", "daily_limit", "spent_total", "spent_today", "created_at", "created_by", "updated_at", "updated_by")
    class OwnerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OWNER_KIND_UNSPECIFIED: _ClassVar[Budget.OwnerKind]
        COUPON: _ClassVar[Budget.OwnerKind]
        POOL: _ClassVar[Budget.OwnerKind]
        CAMPAIGN: _ClassVar[Budget.OwnerKind]
    OWNER_KIND_UNSPECIFIED: Budget.OwnerKind
    COUPON: Budget.OwnerKind
    POOL: Budget.OwnerKind
    CAMPAIGN: Budget.OwnerKind
    class Unit(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNIT_UNSPECIFIED: _ClassVar[Budget.Unit]
        COUNT: _ClassVar[Budget.Unit]
        TOKENS: _ClassVar[Budget.Unit]
        POINTS: _ClassVar[Budget.Unit]
    UNIT_UNSPECIFIED: Budget.Unit
    COUNT: Budget.Unit
    TOKENS: Budget.Unit
    POINTS: Budget.Unit
    BUDGET_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LIMIT_FIELD_NUMBER: _ClassVar[int]
    DAILY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SPENT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SPENT_TODAY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    budget_id: int
    owner_kind: Budget.OwnerKind
    owner_id: str
    unit: Budget.Unit
    token_type: TokenType
    total_limit: int
    daily_limit: int
    spent_total: int
    spent_today: int
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, budget_id: _Optional[int] = ..., owner_kind: _Optional[_Union[Budget.OwnerKind, str]] = ..., owner_id: _Optional[str] = ..., unit: _Optional[_Union[Budget.Unit, str]] = ..., token_type: _Optional[_Union[TokenType, str]] = ..., total_limit: _Optional[int] = ..., daily_limit: _Optional[int] = ..., spent_total: _Optional[int] = ..., spent_today: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ...) -> None: ...

class RewardItem(_message.Message):
    __slots__ = ("item_id", "pool_id", "reward_type", "reward_value", "weight", "quantity", "initial_quantity", "meta_json", "probability", "active")
    class RewardType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REWARD_TYPE_UNSPECIFIED: _ClassVar[RewardItem.RewardType]
        TOKEN: _ClassVar[RewardItem.RewardType]
        POINTS: _ClassVar[RewardItem.RewardType]
        COUPON: _ClassVar[RewardItem.RewardType]
        NOTHING: _ClassVar[RewardItem.RewardType]
    REWARD_TYPE_UNSPECIFIED: RewardItem.RewardType
    TOKEN: RewardItem.RewardType
    POINTS: RewardItem.RewardType
    COUPON: RewardItem.RewardType
    NOTHING: RewardItem.RewardType
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    REWARD_TYPE_FIELD_NUMBER: _ClassVar[int]
    REWARD_VALUE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    INITIAL_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    item_id: int
    pool_id: int
    reward_type: RewardItem.RewardType
    reward_value: _struct_pb2.Struct
    weight: int
    quantity: int
    initial_quantity: int
    meta_json: _struct_pb2.Struct
    probability: float
    active: bool
    def __init__(self, item_id: _Optional[int] = ..., pool_id: _Optional[int] = ..., reward_type: _Optional[_Union[RewardItem.RewardType, str]] = ..., reward_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., weight: _Optional[int] = ..., quantity: _Optional[int] = ..., initial_quantity: _Optional[int] = ..., meta_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., probability: _Optional[float] = ..., active: _Optional[bool] = ...) -> None: ...

class RewardPool(_message.Message):
    __slots__ = ("pool_id", "name", "description", "segment", "cost_token_type", "cost_amount", "active", "pity_threshold", "pity_item_id", "items", "created_at", "created_by", "updated_at", "updated_by")
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    COST_TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    COST_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    PITY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PITY_ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    pool_id: int
    name: str
    description: str
    segment: str
    cost_token_type: TokenType
    cost_amount: int
    active: bool
    pity_threshold: int
    pity_item_id: int
    items: _containers.RepeatedCompositeFieldContainer[RewardItem]
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, pool_id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., segment: _Optional[str] = ..., cost_token_type: _Optional[_Union[TokenType, str]] = ..., cost_amount: _Optional[int] = ..., active: _Optional[bool] = ..., pity_threshold: _Optional[int] = ..., pity_item_id: _Optional[int] = ..., items: _Optional[_Iterable[_Union[RewardItem, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ...) -> None: ...

class RewardDraw(_message.Message):
    __slots__ = ("draw_id", "pool_id", "user_id", "item", "pity", "odds", "cost_entry_id", "reward_entry_id", "coupon_code", "request_id", "drawn_at")
    DRAW_ID_FIELD_NUMBER: _ClassVar[int]
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    PITY_FIELD_NUMBER: _ClassVar[int]
    ODDS_FIELD_NUMBER: _ClassVar[int]
    COST_ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    REWARD_ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DRAWN_AT_FIELD_NUMBER: _ClassVar[int]
    draw_id: int
    pool_id: int
    user_id: str
    item: RewardItem
    pity: bool
    odds: _struct_pb2.Struct
    cost_entry_id: int
    reward_entry_id: int
    coupon_code: str
    request_id: str
    drawn_at: _timestamp_pb2.Timestamp
    def __init__(self, draw_id: _Optional[int] = ..., pool_id: _Optional[int] = ..., user_id: _Optional[str] = ..., item: _Optional[_Union[RewardItem, _Mapping]] = ..., pity: _Optional[bool] = ..., odds: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., cost_entry_id: _Optional[int] = ..., reward_entry_id: _Optional[int] = ..., coupon_code: _Optional[str] = ..., request_id: _Optional[str] = ..., drawn_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RewardSelection(_message.Message):
    __slots__ = ("selection_id", "user_id", "bucket", "arm", "candidates", "propensity", "explored", "selected_at", "converted", "outcome_at")
    SELECTION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    PROPENSITY_FIELD_NUMBER: _ClassVar[int]
    EXPLORED_FIELD_NUMBER: _ClassVar[int]
    SELECTED_AT_FIELD_NUMBER: _ClassVar[int]
    CONVERTED_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_AT_FIELD_NUMBER: _ClassVar[int]
    selection_id: str
    user_id: str
    bucket: str
    arm: str
    candidates: _containers.RepeatedScalarFieldContainer[str]
    propensity: float
    explored: bool
    selected_at: _timestamp_pb2.Timestamp
    converted: bool
    outcome_at: _timestamp_pb2.Timestamp
    def __init__(self, selection_id: _Optional[str] = ..., user_id: _Optional[str] = ..., bucket: _Optional[str] = ..., arm: _Optional[str] = ..., candidates: _Optional[_Iterable[str]] = ..., propensity: _Optional[float] = ..., explored: _Optional[bool] = ..., selected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., converted: _Optional[bool] = ..., outcome_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BanditArm(_message.Message):
    __slots__ = ("bucket", "arm", "successes", "failures", "mean")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    SUCCESSES_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    arm: str
    successes: int
    failures: int
    mean: float
    def __init__(self, bucket: _Optional[str] = ..., arm: _Optional[str] = ..., successes: _Optional[int] = ..., failures: _Optional[int] = ..., mean: _Optional[float] = ...) -> None: ...
