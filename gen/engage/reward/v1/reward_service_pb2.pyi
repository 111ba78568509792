import datetime

from engage.common.v1 import options_pb2 as _options_pb2
from engage.reward.v1 import reward_pb2 as _reward_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetWalletRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetWalletResponse(_message.Message):
    __slots__ = ("wallets",)
    WALLETS_FIELD_NUMBER: _ClassVar[int]
    wallets: _containers.RepeatedCompositeFieldContainer[_reward_pb2.Wallet]
    def __init__(self, wallets: _Optional[_Iterable[_Union[_reward_pb2.Wallet, _Mapping]]] = ...) -> None: ...

class ListWalletEntriesRequest(_message.Message):
    __slots__ = ("user_id", "token_type", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    token_type: _reward_pb2.TokenType
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWalletEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_reward_pb2.LedgerEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[_reward_pb2.LedgerEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GrantTokensRequest(_message.Message):
    __slots__ = ("user_id", "token_type", "amount", "reason", "request_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    token_type: _reward_pb2.TokenType
    amount: int
    reason: str
    request_id: str
    def __init__(self, user_id: _Optional[str] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., amount: _Optional[int] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GrantTokensResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _reward_pb2.LedgerEntry
    def __init__(self, entry: _Optional[_Union[_reward_pb2.LedgerEntry, _Mapping]] = ...) -> None: ...

class RevokeTokensRequest(_message.Message):
    __slots__ = ("user_id", "token_type", "amount", "reason", "request_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    token_type: _reward_pb2.TokenType
    amount: int
    reason: str
    request_id: str
    def __init__(self, user_id: _Optional[str] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., amount: _Optional[int] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RevokeTokensResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _reward_pb2.LedgerEntry
    def __init__(self, entry: _Optional[_Union[_reward_pb2.LedgerEntry, _Mapping]] = ...) -> None: ...

class ListWalletsRequest(_message.Message):
    __slots__ = ("user_id", "token_type", "min_balance", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    MIN_BALANCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    token_type: _reward_pb2.TokenType
    min_balance: int
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., min_balance: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWalletsResponse(_message.Message):
    __slots__ = ("wallets", "next_page_token")
    WALLETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    wallets: _containers.RepeatedCompositeFieldContainer[_reward_pb2.Wallet]
    next_page_token: str
    def __init__(self, wallets: _Optional[_Iterable[_Union[_reward_pb2.Wallet, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListLedgerEntriesRequest(_message.Message):
    __slots__ = ("user_id", "token_type", "reason", "since", "until", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    token_type: _reward_pb2.TokenType
    reason: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., reason: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLedgerEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_reward_pb2.LedgerEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[_reward_pb2.LedgerEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateBudgetRequest(_message.Message):
    __slots__ = ("owner_kind", "owner_id", "unit", "token_type", "total_limit", "daily_limit")
    OWNER_KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LIMIT_FIELD_NUMBER: _ClassVar[int]
    DAILY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    owner_kind: _reward_pb2.Budget.OwnerKind
    owner_id: str
    unit: _reward_pb2.Budget.Unit
    token_type: _reward_pb2.TokenType
    total_limit: int
    daily_limit: int
    def __init__(self, owner_kind: _Optional[_Union[_reward_pb2.Budget.OwnerKind, str]] = ..., owner_id: _Optional[str] = ..., unit: _Optional[_Union[_reward_pb2.Budget.Unit, str]] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., total_limit: _Optional[int] = ..., daily_limit: _Optional[int] = ...) -> None: ...

class CreateBudgetResponse(_message.Message):
    __slots__ = ("budget",)
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    budget: _reward_pb2.Budget
    def __init__(self, budget: _Optional[_Union[_reward_pb2.Budget, _Mapping]] = ...) -> None: ...

class UpdateBudgetRequest(_message.Message):
    __slots__ = ("budget_id", "total_limit", "daily_limit")
    BUDGET_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LIMIT_FIELD_NUMBER: _ClassVar[int]
    DAILY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    budget_id: int
    total_limit: int
    daily_limit: int
    def __init__(self, budget_id: _Optional[int] = ..., total_limit: _Optional[int] = ..., daily_limit: _Optional[int] = ...) -> None: ...

class UpdateBudgetResponse(_message.Message):
    __slots__ = ("budget",)
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    budget: _reward_pb2.Budget
    def __init__(self, budget: _Optional[_Union[_reward_pb2.Budget, _Mapping]] = ...) -> None: ...

class ListBudgetsRequest(_message.Message):
    __slots__ = ("owner_kind", "owner_id", "page_size", "page_token")
    OWNER_KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner_kind: _reward_pb2.Budget.OwnerKind
    owner_id: str
    page_size: int
    page_token: str
    def __init__(self, owner_kind: _Optional[_Union[_reward_pb2.Budget.OwnerKind, str]] = ..., owner_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBudgetsResponse(_message.Message):
    __slots__ = ("budgets", "next_page_token")
    BUDGETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    budgets: _containers.RepeatedCompositeFieldContainer[_reward_pb2.Budget]
    next_page_token: str
    def __init__(self, budgets: _Optional[_Iterable[_Union[_reward_pb2.Budget, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteBudgetRequest(_message.Message):
    __slots__ = ("budget_id",)
    BUDGET_ID_FIELD_NUMBER: _ClassVar[int]
    budget_id: int
    def __init__(self, budget_id: _Optional[int] = ...) -> None: ...

class DeleteBudgetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class NewRewardItem(_message.Message):
    __slots__ = ("reward_type", "reward_value", "weight", "quantity", "meta_json")
    REWARD_TYPE_FIELD_NUMBER: _ClassVar[int]
    REWARD_VALUE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    reward_type: _reward_pb2.RewardItem.RewardType
    reward_value: _struct_pb2.Struct
    weight: int
    quantity: int
    meta_json: _struct_pb2.Struct
    def __init__(self, reward_type: _Optional[_Union[_reward_pb2.RewardItem.RewardType, str]] = ..., reward_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., weight: _Optional[int] = ..., quantity: _Optional[int] = ..., meta_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CreateRewardPoolRequest(_message.Message):
    __slots__ = ("name", "description", "segment", "cost_token_type", "cost_amount", "active", "pity_threshold", "pity_item_index", "items")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    COST_TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    COST_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    PITY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PITY_ITEM_INDEX_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    segment: str
    cost_token_type: _reward_pb2.TokenType
    cost_amount: int
    active: bool
    pity_threshold: int
    pity_item_index: int
    items: _containers.RepeatedCompositeFieldContainer[NewRewardItem]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., segment: _Optional[str] = ..., cost_token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., cost_amount: _Optional[int] = ..., active: _Optional[bool] = ..., pity_threshold: _Optional[int] = ..., pity_item_index: _Optional[int] = ..., items: _Optional[_Iterable[_Union[NewRewardItem, _Mapping]]] = ...) -> None: ...

class CreateRewardPoolResponse(_message.Message):
    __slots__ = ("pool",)
    POOL_FIELD_NUMBER: _ClassVar[int]
    pool: _reward_pb2.RewardPool
    def __init__(self, pool: _Optional[_Union[_reward_pb2.RewardPool, _Mapping]] = ...) -> None: ...

class ListRewardPoolsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRewardPoolsResponse(_message.Message):
    __slots__ = ("pools", "next_page_token")
    POOLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    pools: _containers.RepeatedCompositeFieldContainer[_reward_pb2.RewardPool]
    next_page_token: str
    def __init__(self, pools: _Optional[_Iterable[_Union[_reward_pb2.RewardPool, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateRewardPoolRequest(_message.Message):
    __slots__ = ("pool_id", "name", "description", "segment", "cost_token_type", "cost_amount", "active", "pity_threshold", "pity_item_id")
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    COST_TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    COST_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    PITY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PITY_ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    pool_id: int
    name: str
    description: str
    segment: str
    cost_token_type: _reward_pb2.TokenType
    cost_amount: int
    active: bool
    pity_threshold: int
    pity_item_id: int
    def __init__(self, pool_id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., segment: _Optional[str] = ..., cost_token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., cost_amount: _Optional[int] = ..., active: _Optional[bool] = ..., pity_threshold: _Optional[int] = ..., pity_item_id: _Optional[int] = ...) -> None: ...

class UpdateRewardPoolResponse(_message.Message):
    __slots__ = ("pool",)
    POOL_FIELD_NUMBER: _ClassVar[int]
    pool: _reward_pb2.RewardPool
    def __init__(self, pool: _Optional[_Union[_reward_pb2.RewardPool, _Mapping]] = ...) -> None: ...

class DeleteRewardPoolRequest(_message.Message):
    __slots__ = ("pool_id",)
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    pool_id: int
    def __init__(self, pool_id: _Optional[int] = ...) -> None: ...

class DeleteRewardPoolResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AddRewardItemRequest(_message.Message):
    __slots__ = ("pool_id", "reward_type", "reward_value", "weight", "quantity", "meta_json")
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    REWARD_TYPE_FIELD_NUMBER: _ClassVar[int]
    REWARD_VALUE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    pool_id: int
    reward_type: _reward_pb2.RewardItem.RewardType
    reward_value: _struct_pb2.Struct
    weight: int
    quantity: int
    meta_json: _struct_pb2.Struct
    def __init__(self, pool_id: _Optional[int] = ..., reward_type: _Optional[_Union[_reward_pb2.RewardItem.RewardType, str]] = ..., reward_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., weight: _Optional[int] = ..., quantity: _Optional[int] = ..., meta_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class AddRewardItemResponse(_message.Message):
    __slots__ = ("item",)
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item: _reward_pb2.RewardItem
    def __init__(self, item: _Optional[_Union[_reward_pb2.RewardItem, _Mapping]] = ...) -> None: ...

class UpdateRewardItemRequest(_message.Message):
    __slots__ = ("pool_id", "item_id", "weight", "quantity", "active")
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    pool_id: int
    item_id: int
    weight: int
    quantity: int
    active: bool
    def __init__(self, pool_id: _Optional[int] = ..., item_id: _Optional[int] = ..., weight: _Optional[int] = ..., quantity: _Optional[int] = ..., active: _Optional[bool] = ...) -> None: ...

class UpdateRewardItemResponse(_message.Message):
    __slots__ = ("item",)
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item: _reward_pb2.RewardItem
    def __init__(self, item: _Optional[_Union[_reward_pb2.RewardItem, _Mapping]] = ...) -> None: ...

class GetRewardPoolRequest(_message.Message):
    __slots__ = ("pool_id", "user_id")
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    pool_id: int
    user_id: str
    def __init__(self, pool_id: _Optional[int] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetRewardPoolResponse(_message.Message):
    __slots__ = ("pool", "draws_since_pity_item")
    POOL_FIELD_NUMBER: _ClassVar[int]
    DRAWS_SINCE_PITY_ITEM_FIELD_NUMBER: _ClassVar[int]
    pool: _reward_pb2.RewardPool
    draws_since_pity_item: int
    def __init__(self, pool: _Optional[_Union[_reward_pb2.RewardPool, _Mapping]] = ..., draws_since_pity_item: _Optional[int] = ...) -> None: ...

class OpenRewardPoolRequest(_message.Message):
    __slots__ = ("pool_id", "user_id", "request_id")
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    pool_id: int
    user_id: str
    request_id: str
    def __init__(self, pool_id: _Optional[int] = ..., user_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class OpenRewardPoolResponse(_message.Message):
    __slots__ = ("draw", "replayed")
    DRAW_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    draw: _reward_pb2.RewardDraw
    replayed: bool
    def __init__(self, draw: _Optional[_Union[_reward_pb2.RewardDraw, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class ListRewardDrawsRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRewardDrawsResponse(_message.Message):
    __slots__ = ("draws", "next_page_token")
    DRAWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    draws: _containers.RepeatedCompositeFieldContainer[_reward_pb2.RewardDraw]
    next_page_token: str
    def __init__(self, draws: _Optional[_Iterable[_Union[_reward_pb2.RewardDraw, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPoolDrawsRequest(_message.Message):
    __slots__ = ("pool_id", "user_id", "page_size", "page_token")
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    pool_id: int
    user_id: str
    page_size: int
    page_token: str
    def __init__(self, pool_id: _Optional[int] = ..., user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPoolDrawsResponse(_message.Message):
    __slots__ = ("draws", "next_page_token")
    DRAWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    draws: _containers.RepeatedCompositeFieldContainer[_reward_pb2.RewardDraw]
    next_page_token: str
    def __init__(self, draws: _Optional[_Iterable[_Union[_reward_pb2.RewardDraw, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SelectRewardRequest(_message.Message):
    __slots__ = ("user_id", "context", "candidates", "request_id")
    class ContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    context: _containers.ScalarMap[str, str]
    candidates: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    def __init__(self, user_id: _Optional[str] = ..., context: _Optional[_Mapping[str, str]] = ..., candidates: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SelectRewardResponse(_message.Message):
    __slots__ = ("selection",)
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    selection: _reward_pb2.RewardSelection
    def __init__(self, selection: _Optional[_Union[_reward_pb2.RewardSelection, _Mapping]] = ...) -> None: ...

class RecordRewardOutcomeRequest(_message.Message):
    __slots__ = ("selection_id", "converted")
    SELECTION_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERTED_FIELD_NUMBER: _ClassVar[int]
    selection_id: str
    converted: bool
    def __init__(self, selection_id: _Optional[str] = ..., converted: _Optional[bool] = ...) -> None: ...

class RecordRewardOutcomeResponse(_message.Message):
    __slots__ = ("selection", "arm")
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    selection: _reward_pb2.RewardSelection
    arm: _reward_pb2.BanditArm
    def __init__(self, selection: _Optional[_Union[_reward_pb2.RewardSelection, _Mapping]] = ..., arm: _Optional[_Union[_reward_pb2.BanditArm, _Mapping]] = ...) -> None: ...

class ListBanditArmsRequest(_message.Message):
    __slots__ = ("context",)
    class ContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: _containers.ScalarMap[str, str]
    def __init__(self, context: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListBanditArmsResponse(_message.Message):
    __slots__ = ("bucket", "arms", "selections")
    class SelectionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    ARMS_FIELD_NUMBER: _ClassVar[int]
    SELECTIONS_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    arms: _containers.RepeatedCompositeFieldContainer[_reward_pb2.BanditArm]
    selections: _containers.ScalarMap[str, int]
    def __init__(self, bucket: _Optional[str] = ..., arms: _Optional[_Iterable[_Union[_reward_pb2.BanditArm, _Mapping]]] = ..., selections: _Optional[_Mapping[str, int]] = ...) -> None: ...
