import datetime

from engage.common.v1 import options_pb2 as _options_pb2
from engage.loyalty.v1 import loyalty_pb2 as _loyalty_pb2
from google.api import annotations_pb2 as _annotations_pb2
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
    __slots__ = ("entry", "replayed")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    entry: _loyalty_pb2.PointsEntry
    replayed: bool
    def __init__(self, entry: _Optional[_Union[_loyalty_pb2.PointsEntry, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

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
