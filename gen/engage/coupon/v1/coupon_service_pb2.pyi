import datetime

from engage.common.v1 import options_pb2 as _options_pb2
from engage.coupon.v1 import coupon_pb2 as _coupon_pb2
from engage.reward.v1 import reward_pb2 as _reward_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateCouponRequest(_message.Message):
    __slots__ = ("code", "type", "value", "token_type", "max_value", "starts_at", "expires_at", "usage_limit", "per_user_limit", "segment", "status", "campaign", "description")
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
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    code: str
    type: _coupon_pb2.Coupon.Type
    value: int
    token_type: _reward_pb2.TokenType
    max_value: int
    starts_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    usage_limit: int
    per_user_limit: int
    segment: str
    status: _coupon_pb2.Coupon.Status
    campaign: str
    description: str
    def __init__(self, code: _Optional[str] = ..., type: _Optional[_Union[_coupon_pb2.Coupon.Type, str]] = ..., value: _Optional[int] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., max_value: _Optional[int] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., usage_limit: _Optional[int] = ..., per_user_limit: _Optional[int] = ..., segment: _Optional[str] = ..., status: _Optional[_Union[_coupon_pb2.Coupon.Status, str]] = ..., campaign: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class CreateCouponResponse(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: _coupon_pb2.Coupon
    def __init__(self, coupon: _Optional[_Union[_coupon_pb2.Coupon, _Mapping]] = ...) -> None: ...

class GetCouponRequest(_message.Message):
    __slots__ = ("coupon_id",)
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    coupon_id: int
    def __init__(self, coupon_id: _Optional[int] = ...) -> None: ...

class GetCouponResponse(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: _coupon_pb2.Coupon
    def __init__(self, coupon: _Optional[_Union[_coupon_pb2.Coupon, _Mapping]] = ...) -> None: ...

class ListCouponsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "status", "type", "campaign", "batch_id", "code_prefix")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_PREFIX_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    status: _coupon_pb2.Coupon.Status
    type: _coupon_pb2.Coupon.Type
    campaign: str
    batch_id: int
    code_prefix: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[_coupon_pb2.Coupon.Status, str]] = ..., type: _Optional[_Union[_coupon_pb2.Coupon.Type, str]] = ..., campaign: _Optional[str] = ..., batch_id: _Optional[int] = ..., code_prefix: _Optional[str] = ...) -> None: ...

class ListCouponsResponse(_message.Message):
    __slots__ = ("coupons", "next_page_token")
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    coupons: _containers.RepeatedCompositeFieldContainer[_coupon_pb2.Coupon]
    next_page_token: str
    def __init__(self, coupons: _Optional[_Iterable[_Union[_coupon_pb2.Coupon, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateCouponRequest(_message.Message):
    __slots__ = ("coupon_id", "code", "type", "value", "token_type", "max_value", "starts_at", "expires_at", "usage_limit", "per_user_limit", "segment", "status", "campaign", "description", "expected_version")
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
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    coupon_id: int
    code: str
    type: _coupon_pb2.Coupon.Type
    value: int
    token_type: _reward_pb2.TokenType
    max_value: int
    starts_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    usage_limit: int
    per_user_limit: int
    segment: str
    status: _coupon_pb2.Coupon.Status
    campaign: str
    description: str
    expected_version: int
    def __init__(self, coupon_id: _Optional[int] = ..., code: _Optional[str] = ..., type: _Optional[_Union[_coupon_pb2.Coupon.Type, str]] = ..., value: _Optional[int] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., max_value: _Optional[int] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., usage_limit: _Optional[int] = ..., per_user_limit: _Optional[int] = ..., segment: _Optional[str] = ..., status: _Optional[_Union[_coupon_pb2.Coupon.Status, str]] = ..., campaign: _Optional[str] = ..., description: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class UpdateCouponResponse(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: _coupon_pb2.Coupon
    def __init__(self, coupon: _Optional[_Union[_coupon_pb2.Coupon, _Mapping]] = ...) -> None: ...

class DeleteCouponRequest(_message.Message):
    __slots__ = ("coupon_id",)
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    coupon_id: int
    def __init__(self, coupon_id: _Optional[int] = ...) -> None: ...

class DeleteCouponResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GenerateCouponsRequest(_message.Message):
    __slots__ = ("request_id", "prefix", "count", "type", "value", "token_type", "max_value", "starts_at", "expires_at", "usage_limit", "per_user_limit", "segment", "campaign", "description")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    MAX_VALUE_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    USAGE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    PER_USER_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    prefix: str
    count: int
    type: _coupon_pb2.Coupon.Type
    value: int
    token_type: _reward_pb2.TokenType
    max_value: int
    starts_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    usage_limit: int
    per_user_limit: int
    segment: str
    campaign: str
    description: str
    def __init__(self, request_id: _Optional[str] = ..., prefix: _Optional[str] = ..., count: _Optional[int] = ..., type: _Optional[_Union[_coupon_pb2.Coupon.Type, str]] = ..., value: _Optional[int] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., max_value: _Optional[int] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., usage_limit: _Optional[int] = ..., per_user_limit: _Optional[int] = ..., segment: _Optional[str] = ..., campaign: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class GenerateCouponsResponse(_message.Message):
    __slots__ = ("batch", "codes", "replayed")
    BATCH_FIELD_NUMBER: _ClassVar[int]
    CODES_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    batch: _coupon_pb2.CouponBatch
    codes: _containers.RepeatedScalarFieldContainer[str]
    replayed: bool
    def __init__(self, batch: _Optional[_Union[_coupon_pb2.CouponBatch, _Mapping]] = ..., codes: _Optional[_Iterable[str]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class ListCouponRedemptionsRequest(_message.Message):
    __slots__ = ("coupon_id", "page_size", "page_token")
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    coupon_id: int
    page_size: int
    page_token: str
    def __init__(self, coupon_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCouponRedemptionsResponse(_message.Message):
    __slots__ = ("redemptions", "next_page_token")
    REDEMPTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    redemptions: _containers.RepeatedCompositeFieldContainer[_coupon_pb2.CouponRedemption]
    next_page_token: str
    def __init__(self, redemptions: _Optional[_Iterable[_Union[_coupon_pb2.CouponRedemption, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RedeemCouponRequest(_message.Message):
    __slots__ = ("user_id", "code", "request_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    code: str
    request_id: str
    def __init__(self, user_id: _Optional[str] = ..., code: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RedeemCouponResponse(_message.Message):
    __slots__ = ("redemption", "replayed")
    REDEMPTION_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    redemption: _coupon_pb2.CouponRedemption
    replayed: bool
    def __init__(self, redemption: _Optional[_Union[_coupon_pb2.CouponRedemption, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class ValidateCouponRequest(_message.Message):
    __slots__ = ("user_id", "code")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    code: str
    def __init__(self, user_id: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class ValidateCouponResponse(_message.Message):
    __slots__ = ("code", "type", "token_type", "amount", "expires_at")
    CODE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    code: str
    type: _coupon_pb2.Coupon.Type
    token_type: _reward_pb2.TokenType
    amount: int
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[str] = ..., type: _Optional[_Union[_coupon_pb2.Coupon.Type, str]] = ..., token_type: _Optional[_Union[_reward_pb2.TokenType, str]] = ..., amount: _Optional[int] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListUserCouponRedemptionsRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListUserCouponRedemptionsResponse(_message.Message):
    __slots__ = ("redemptions", "next_page_token")
    REDEMPTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    redemptions: _containers.RepeatedCompositeFieldContainer[_coupon_pb2.CouponRedemption]
    next_page_token: str
    def __init__(self, redemptions: _Optional[_Iterable[_Union[_coupon_pb2.CouponRedemption, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReserveCouponRequest(_message.Message):
    __slots__ = ("user_id", "code", "request_id", "ttl_seconds")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    code: str
    request_id: str
    ttl_seconds: int
    def __init__(self, user_id: _Optional[str] = ..., code: _Optional[str] = ..., request_id: _Optional[str] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class ReserveCouponResponse(_message.Message):
    __slots__ = ("reservation", "replayed")
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    reservation: _coupon_pb2.CouponReservation
    replayed: bool
    def __init__(self, reservation: _Optional[_Union[_coupon_pb2.CouponReservation, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class ReleaseCouponReservationRequest(_message.Message):
    __slots__ = ("user_id", "request_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    request_id: str
    def __init__(self, user_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReleaseCouponReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: _coupon_pb2.CouponReservation
    def __init__(self, reservation: _Optional[_Union[_coupon_pb2.CouponReservation, _Mapping]] = ...) -> None: ...

class RollbackCouponRedemptionRequest(_message.Message):
    __slots__ = ("user_id", "request_id", "reason")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    request_id: str
    reason: str
    def __init__(self, user_id: _Optional[str] = ..., request_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RollbackCouponRedemptionResponse(_message.Message):
    __slots__ = ("redemption",)
    REDEMPTION_FIELD_NUMBER: _ClassVar[int]
    redemption: _coupon_pb2.CouponRedemption
    def __init__(self, redemption: _Optional[_Union[_coupon_pb2.CouponRedemption, _Mapping]] = ...) -> None: ...
