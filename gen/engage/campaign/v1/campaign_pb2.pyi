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

class Trigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIGGER_UNSPECIFIED: _ClassVar[Trigger]
    SCHEDULED: _ClassVar[Trigger]
    SEGMENT_ENTRY: _ClassVar[Trigger]
    EVENT: _ClassVar[Trigger]

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    IN_APP: _ClassVar[Channel]
    EMAIL: _ClassVar[Channel]
    WEBHOOK: _ClassVar[Channel]

class RewardType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REWARD_TYPE_UNSPECIFIED: _ClassVar[RewardType]
    NONE: _ClassVar[RewardType]
    TOKEN: _ClassVar[RewardType]
    POINTS: _ClassVar[RewardType]
    COUPON: _ClassVar[RewardType]
    OFFER: _ClassVar[RewardType]
TRIGGER_UNSPECIFIED: Trigger
SCHEDULED: Trigger
SEGMENT_ENTRY: Trigger
EVENT: Trigger
CHANNEL_UNSPECIFIED: Channel
IN_APP: Channel
EMAIL: Channel
WEBHOOK: Channel
REWARD_TYPE_UNSPECIFIED: RewardType
NONE: RewardType
TOKEN: RewardType
POINTS: RewardType
COUPON: RewardType
OFFER: RewardType

class Campaign(_message.Message):
    __slots__ = ("campaign_id", "name", "segment", "start_at", "end_at", "reward_type", "reward_value", "message_template", "channel", "status", "trigger", "control_group_percent", "message_title", "event", "webhook_url", "webhook_secret", "quiet_hours_start", "quiet_hours_end", "timezone", "conversion_window_hours", "version", "created_at", "created_by", "updated_at", "updated_by", "started_at", "finished_at")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[Campaign.Status]
        DRAFT: _ClassVar[Campaign.Status]
        SCHEDULED: _ClassVar[Campaign.Status]
        RUNNING: _ClassVar[Campaign.Status]
        PAUSED: _ClassVar[Campaign.Status]
        COMPLETED: _ClassVar[Campaign.Status]
        CANCELED: _ClassVar[Campaign.Status]
    STATUS_UNSPECIFIED: Campaign.Status
    DRAFT: Campaign.Status
    SCHEDULED: Campaign.Status
    RUNNING: Campaign.Status
    PAUSED: Campaign.Status
    COMPLETED: Campaign.Status
    CANCELED: Campaign.Status
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    START_AT_FIELD_NUMBER: _ClassVar[int]
    END_AT_FIELD_NUMBER: _ClassVar[int]
    REWARD_TYPE_FIELD_NUMBER: _ClassVar[int]
    REWARD_VALUE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    CONTROL_GROUP_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TITLE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SECRET_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_START_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_END_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    CONVERSION_WINDOW_HOURS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    name: str
    segment: str
    start_at: _timestamp_pb2.Timestamp
    end_at: _timestamp_pb2.Timestamp
    reward_type: RewardType
    reward_value: _struct_pb2.Struct
    message_template: str
    channel: Channel
    status: Campaign.Status
    trigger: Trigger
    control_group_percent: int
    message_title: str
    event: str
    webhook_url: str
    webhook_secret: str
    quiet_hours_start: str
    quiet_hours_end: str
    timezone: str
    conversion_window_hours: int
    version: int
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, campaign_id: _Optional[int] = ..., name: _Optional[str] = ..., segment: _Optional[str] = ..., start_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reward_type: _Optional[_Union[RewardType, str]] = ..., reward_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., message_template: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., status: _Optional[_Union[Campaign.Status, str]] = ..., trigger: _Optional[_Union[Trigger, str]] = ..., control_group_percent: _Optional[int] = ..., message_title: _Optional[str] = ..., event: _Optional[str] = ..., webhook_url: _Optional[str] = ..., webhook_secret: _Optional[str] = ..., quiet_hours_start: _Optional[str] = ..., quiet_hours_end: _Optional[str] = ..., timezone: _Optional[str] = ..., conversion_window_hours: _Optional[int] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CampaignLog(_message.Message):
    __slots__ = ("campaign_id", "user_id", "status", "reason", "created_at", "delivered_at", "opened_at", "redeemed_at", "meta_json")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[CampaignLog.Status]
        PENDING: _ClassVar[CampaignLog.Status]
        HELD_OUT: _ClassVar[CampaignLog.Status]
        SUPPRESSED: _ClassVar[CampaignLog.Status]
        SENDING: _ClassVar[CampaignLog.Status]
        DELIVERED: _ClassVar[CampaignLog.Status]
        FAILED: _ClassVar[CampaignLog.Status]
        CANCELED: _ClassVar[CampaignLog.Status]
    STATUS_UNSPECIFIED: CampaignLog.Status
    PENDING: CampaignLog.Status
    HELD_OUT: CampaignLog.Status
    SUPPRESSED: CampaignLog.Status
    SENDING: CampaignLog.Status
    DELIVERED: CampaignLog.Status
    FAILED: CampaignLog.Status
    CANCELED: CampaignLog.Status
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    REDEEMED_AT_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    user_id: str
    status: CampaignLog.Status
    reason: str
    created_at: _timestamp_pb2.Timestamp
    delivered_at: _timestamp_pb2.Timestamp
    opened_at: _timestamp_pb2.Timestamp
    redeemed_at: _timestamp_pb2.Timestamp
    meta_json: _struct_pb2.Struct
    def __init__(self, campaign_id: _Optional[int] = ..., user_id: _Optional[str] = ..., status: _Optional[_Union[CampaignLog.Status, str]] = ..., reason: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., opened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., redeemed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., meta_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CampaignStats(_message.Message):
    __slots__ = ("campaign_id", "targeted", "held_out", "suppressed", "pending", "delivered", "failed", "opened", "redeemed", "control_converted", "treated_conversion_rate", "control_conversion_rate", "lift", "lift_p_value", "offers", "canceled", "assigned", "assigned_converted", "intent_to_treat_conversion_rate", "intent_to_treat_lift", "intent_to_treat_p_value")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    TARGETED_FIELD_NUMBER: _ClassVar[int]
    HELD_OUT_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    OPENED_FIELD_NUMBER: _ClassVar[int]
    REDEEMED_FIELD_NUMBER: _ClassVar[int]
    CONTROL_CONVERTED_FIELD_NUMBER: _ClassVar[int]
    TREATED_CONVERSION_RATE_FIELD_NUMBER: _ClassVar[int]
    CONTROL_CONVERSION_RATE_FIELD_NUMBER: _ClassVar[int]
    LIFT_FIELD_NUMBER: _ClassVar[int]
    LIFT_P_VALUE_FIELD_NUMBER: _ClassVar[int]
    OFFERS_FIELD_NUMBER: _ClassVar[int]
    CANCELED_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_CONVERTED_FIELD_NUMBER: _ClassVar[int]
    INTENT_TO_TREAT_CONVERSION_RATE_FIELD_NUMBER: _ClassVar[int]
    INTENT_TO_TREAT_LIFT_FIELD_NUMBER: _ClassVar[int]
    INTENT_TO_TREAT_P_VALUE_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    targeted: int
    held_out: int
    suppressed: int
    pending: int
    delivered: int
    failed: int
    opened: int
    redeemed: int
    control_converted: int
    treated_conversion_rate: float
    control_conversion_rate: float
    lift: float
    lift_p_value: float
    offers: _containers.RepeatedCompositeFieldContainer[OfferStats]
    canceled: int
    assigned: int
    assigned_converted: int
    intent_to_treat_conversion_rate: float
    intent_to_treat_lift: float
    intent_to_treat_p_value: float
    def __init__(self, campaign_id: _Optional[int] = ..., targeted: _Optional[int] = ..., held_out: _Optional[int] = ..., suppressed: _Optional[int] = ..., pending: _Optional[int] = ..., delivered: _Optional[int] = ..., failed: _Optional[int] = ..., opened: _Optional[int] = ..., redeemed: _Optional[int] = ..., control_converted: _Optional[int] = ..., treated_conversion_rate: _Optional[float] = ..., control_conversion_rate: _Optional[float] = ..., lift: _Optional[float] = ..., lift_p_value: _Optional[float] = ..., offers: _Optional[_Iterable[_Union[OfferStats, _Mapping]]] = ..., canceled: _Optional[int] = ..., assigned: _Optional[int] = ..., assigned_converted: _Optional[int] = ..., intent_to_treat_conversion_rate: _Optional[float] = ..., intent_to_treat_lift: _Optional[float] = ..., intent_to_treat_p_value: _Optional[float] = ...) -> None: ...

class OfferStats(_message.Message):
    __slots__ = ("arm", "delivered", "redeemed")
    ARM_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    REDEEMED_FIELD_NUMBER: _ClassVar[int]
    arm: str
    delivered: int
    redeemed: int
    def __init__(self, arm: _Optional[str] = ..., delivered: _Optional[int] = ..., redeemed: _Optional[int] = ...) -> None: ...

class InboxMessage(_message.Message):
    __slots__ = ("message_id", "title", "body", "campaign_id", "created_at", "read_at")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    READ_AT_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    title: str
    body: str
    campaign_id: int
    created_at: _timestamp_pb2.Timestamp
    read_at: _timestamp_pb2.Timestamp
    def __init__(self, message_id: _Optional[str] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., campaign_id: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., read_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Contact(_message.Message):
    __slots__ = ("user_id", "email", "email_opt_in", "updated_at")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    EMAIL_OPT_IN_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    email_opt_in: bool
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ..., email_opt_in: _Optional[bool] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
