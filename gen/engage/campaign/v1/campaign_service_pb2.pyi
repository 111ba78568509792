import datetime

from engage.campaign.v1 import campaign_pb2 as _campaign_pb2
from engage.common.v1 import options_pb2 as _options_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateCampaignRequest(_message.Message):
    __slots__ = ("name", "segment", "start_at", "end_at", "reward_type", "reward_value", "message_template", "channel", "trigger", "control_group_percent", "message_title", "event", "webhook_url", "quiet_hours_start", "quiet_hours_end", "timezone", "conversion_window_hours")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    START_AT_FIELD_NUMBER: _ClassVar[int]
    END_AT_FIELD_NUMBER: _ClassVar[int]
    REWARD_TYPE_FIELD_NUMBER: _ClassVar[int]
    REWARD_VALUE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    CONTROL_GROUP_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TITLE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_START_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_END_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    CONVERSION_WINDOW_HOURS_FIELD_NUMBER: _ClassVar[int]
    name: str
    segment: str
    start_at: _timestamp_pb2.Timestamp
    end_at: _timestamp_pb2.Timestamp
    reward_type: _campaign_pb2.RewardType
    reward_value: _struct_pb2.Struct
    message_template: str
    channel: _campaign_pb2.Channel
    trigger: _campaign_pb2.Trigger
    control_group_percent: int
    message_title: str
    event: str
    webhook_url: str
    quiet_hours_start: str
    quiet_hours_end: str
    timezone: str
    conversion_window_hours: int
    def __init__(self, name: _Optional[str] = ..., segment: _Optional[str] = ..., start_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reward_type: _Optional[_Union[_campaign_pb2.RewardType, str]] = ..., reward_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., message_template: _Optional[str] = ..., channel: _Optional[_Union[_campaign_pb2.Channel, str]] = ..., trigger: _Optional[_Union[_campaign_pb2.Trigger, str]] = ..., control_group_percent: _Optional[int] = ..., message_title: _Optional[str] = ..., event: _Optional[str] = ..., webhook_url: _Optional[str] = ..., quiet_hours_start: _Optional[str] = ..., quiet_hours_end: _Optional[str] = ..., timezone: _Optional[str] = ..., conversion_window_hours: _Optional[int] = ...) -> None: ...

class CreateCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ...) -> None: ...

class GetCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    def __init__(self, campaign_id: _Optional[int] = ...) -> None: ...

class GetCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ...) -> None: ...

class ListCampaignsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "status", "trigger", "segment")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    status: _campaign_pb2.Campaign.Status
    trigger: _campaign_pb2.Trigger
    segment: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[_campaign_pb2.Campaign.Status, str]] = ..., trigger: _Optional[_Union[_campaign_pb2.Trigger, str]] = ..., segment: _Optional[str] = ...) -> None: ...

class ListCampaignsResponse(_message.Message):
    __slots__ = ("campaigns", "next_page_token")
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[_campaign_pb2.Campaign]
    next_page_token: str
    def __init__(self, campaigns: _Optional[_Iterable[_Union[_campaign_pb2.Campaign, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateCampaignRequest(_message.Message):
    __slots__ = ("campaign_id", "name", "segment", "start_at", "end_at", "reward_type", "reward_value", "message_template", "channel", "trigger", "control_group_percent", "message_title", "event", "webhook_url", "quiet_hours_start", "quiet_hours_end", "timezone", "conversion_window_hours", "expected_version")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    START_AT_FIELD_NUMBER: _ClassVar[int]
    END_AT_FIELD_NUMBER: _ClassVar[int]
    REWARD_TYPE_FIELD_NUMBER: _ClassVar[int]
    REWARD_VALUE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    CONTROL_GROUP_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TITLE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_START_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_END_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    CONVERSION_WINDOW_HOURS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    name: str
    segment: str
    start_at: _timestamp_pb2.Timestamp
    end_at: _timestamp_pb2.Timestamp
    reward_type: _campaign_pb2.RewardType
    reward_value: _struct_pb2.Struct
    message_template: str
    channel: _campaign_pb2.Channel
    trigger: _campaign_pb2.Trigger
    control_group_percent: int
    message_title: str
    event: str
    webhook_url: str
    quiet_hours_start: str
    quiet_hours_end: str
    timezone: str
    conversion_window_hours: int
    expected_version: int
    def __init__(self, campaign_id: _Optional[int] = ..., name: _Optional[str] = ..., segment: _Optional[str] = ..., start_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reward_type: _Optional[_Union[_campaign_pb2.RewardType, str]] = ..., reward_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., message_template: _Optional[str] = ..., channel: _Optional[_Union[_campaign_pb2.Channel, str]] = ..., trigger: _Optional[_Union[_campaign_pb2.Trigger, str]] = ..., control_group_percent: _Optional[int] = ..., message_title: _Optional[str] = ..., event: _Optional[str] = ..., webhook_url: _Optional[str] = ..., quiet_hours_start: _Optional[str] = ..., quiet_hours_end: _Optional[str] = ..., timezone: _Optional[str] = ..., conversion_window_hours: _Optional[int] = ..., expected_version: _Optional[int] = ...) -> None: ...

class UpdateCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ...) -> None: ...

class DeleteCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    def __init__(self, campaign_id: _Optional[int] = ...) -> None: ...

class DeleteCampaignResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ScheduleCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    def __init__(self, campaign_id: _Optional[int] = ...) -> None: ...

class ScheduleCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ...) -> None: ...

class PauseCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    def __init__(self, campaign_id: _Optional[int] = ...) -> None: ...

class PauseCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ...) -> None: ...

class ResumeCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    def __init__(self, campaign_id: _Optional[int] = ...) -> None: ...

class ResumeCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ...) -> None: ...

class CancelCampaignRequest(_message.Message):
    __slots__ = ("campaign_id", "reason")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    reason: str
    def __init__(self, campaign_id: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ...) -> None: ...

class GetCampaignStatsRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    def __init__(self, campaign_id: _Optional[int] = ...) -> None: ...

class GetCampaignStatsResponse(_message.Message):
    __slots__ = ("stats",)
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _campaign_pb2.CampaignStats
    def __init__(self, stats: _Optional[_Union[_campaign_pb2.CampaignStats, _Mapping]] = ...) -> None: ...

class ListCampaignLogsRequest(_message.Message):
    __slots__ = ("campaign_id", "page_size", "page_token", "status", "user_id")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    page_size: int
    page_token: str
    status: _campaign_pb2.CampaignLog.Status
    user_id: str
    def __init__(self, campaign_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[_campaign_pb2.CampaignLog.Status, str]] = ..., user_id: _Optional[str] = ...) -> None: ...

class ListCampaignLogsResponse(_message.Message):
    __slots__ = ("logs", "next_page_token")
    LOGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    logs: _containers.RepeatedCompositeFieldContainer[_campaign_pb2.CampaignLog]
    next_page_token: str
    def __init__(self, logs: _Optional[_Iterable[_Union[_campaign_pb2.CampaignLog, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListCampaignChangesRequest(_message.Message):
    __slots__ = ("campaign_id", "page_size", "page_token")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    campaign_id: int
    page_size: int
    page_token: str
    def __init__(self, campaign_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class CampaignChange(_message.Message):
    __slots__ = ("action", "from_status", "to_status", "changed_by", "changed_at", "detail_json")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    action: str
    from_status: _campaign_pb2.Campaign.Status
    to_status: _campaign_pb2.Campaign.Status
    changed_by: str
    changed_at: _timestamp_pb2.Timestamp
    detail_json: _struct_pb2.Struct
    def __init__(self, action: _Optional[str] = ..., from_status: _Optional[_Union[_campaign_pb2.Campaign.Status, str]] = ..., to_status: _Optional[_Union[_campaign_pb2.Campaign.Status, str]] = ..., changed_by: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detail_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListCampaignChangesResponse(_message.Message):
    __slots__ = ("changes", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[CampaignChange]
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[CampaignChange, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListInboxMessagesRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token", "unread_only")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UNREAD_ONLY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    unread_only: bool
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., unread_only: _Optional[bool] = ...) -> None: ...

class ListInboxMessagesResponse(_message.Message):
    __slots__ = ("messages", "next_page_token", "unread_count")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_campaign_pb2.InboxMessage]
    next_page_token: str
    unread_count: int
    def __init__(self, messages: _Optional[_Iterable[_Union[_campaign_pb2.InboxMessage, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., unread_count: _Optional[int] = ...) -> None: ...

class MarkInboxMessageReadRequest(_message.Message):
    __slots__ = ("user_id", "message_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    message_id: str
    def __init__(self, user_id: _Optional[str] = ..., message_id: _Optional[str] = ...) -> None: ...

class MarkInboxMessageReadResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: _campaign_pb2.InboxMessage
    def __init__(self, message: _Optional[_Union[_campaign_pb2.InboxMessage, _Mapping]] = ...) -> None: ...

class UpsertContactRequest(_message.Message):
    __slots__ = ("user_id", "email", "email_opt_in")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    EMAIL_OPT_IN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    email_opt_in: bool
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ..., email_opt_in: _Optional[bool] = ...) -> None: ...

class UpsertContactResponse(_message.Message):
    __slots__ = ("contact",)
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    contact: _campaign_pb2.Contact
    def __init__(self, contact: _Optional[_Union[_campaign_pb2.Contact, _Mapping]] = ...) -> None: ...
