import datetime

from engage.common.v1 import options_pb2 as _options_pb2
from engage.segmentation.v1 import segmentation_pb2 as _segmentation_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListSegmentRulesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSegmentRulesResponse(_message.Message):
    __slots__ = ("rules", "next_page_token")
    RULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[_segmentation_pb2.SegmentRule]
    next_page_token: str
    def __init__(self, rules: _Optional[_Iterable[_Union[_segmentation_pb2.SegmentRule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateSegmentRuleRequest(_message.Message):
    __slots__ = ("name", "segment", "priority", "enabled", "condition_json")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CONDITION_JSON_FIELD_NUMBER: _ClassVar[int]
    name: str
    segment: str
    priority: int
    enabled: bool
    condition_json: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., segment: _Optional[str] = ..., priority: _Optional[int] = ..., enabled: _Optional[bool] = ..., condition_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CreateSegmentRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: _segmentation_pb2.SegmentRule
    def __init__(self, rule: _Optional[_Union[_segmentation_pb2.SegmentRule, _Mapping]] = ...) -> None: ...

class UpdateSegmentRuleRequest(_message.Message):
    __slots__ = ("rule_id", "name", "segment", "priority", "enabled", "condition_json", "expected_version")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CONDITION_JSON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    rule_id: int
    name: str
    segment: str
    priority: int
    enabled: bool
    condition_json: _struct_pb2.Struct
    expected_version: int
    def __init__(self, rule_id: _Optional[int] = ..., name: _Optional[str] = ..., segment: _Optional[str] = ..., priority: _Optional[int] = ..., enabled: _Optional[bool] = ..., condition_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class UpdateSegmentRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: _segmentation_pb2.SegmentRule
    def __init__(self, rule: _Optional[_Union[_segmentation_pb2.SegmentRule, _Mapping]] = ...) -> None: ...

class DeleteSegmentRuleRequest(_message.Message):
    __slots__ = ("rule_id",)
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    rule_id: int
    def __init__(self, rule_id: _Optional[int] = ...) -> None: ...

class DeleteSegmentRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PreviewSegmentRuleRequest(_message.Message):
    __slots__ = ("condition_json", "sample_size")
    CONDITION_JSON_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_SIZE_FIELD_NUMBER: _ClassVar[int]
    condition_json: _struct_pb2.Struct
    sample_size: int
    def __init__(self, condition_json: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., sample_size: _Optional[int] = ...) -> None: ...

class PreviewSegmentRuleResponse(_message.Message):
    __slots__ = ("matched_count", "sample_user_ids")
    MATCHED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_USER_IDS_FIELD_NUMBER: _ClassVar[int]
    matched_count: int
    sample_user_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, matched_count: _Optional[int] = ..., sample_user_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RecomputeSegmentsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RecomputeSegmentsResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: _segmentation_pb2.SegmentRun
    def __init__(self, run: _Optional[_Union[_segmentation_pb2.SegmentRun, _Mapping]] = ...) -> None: ...

class ListSegmentsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSegmentsResponse(_message.Message):
    __slots__ = ("segments",)
    class SegmentCount(_message.Message):
        __slots__ = ("segment", "user_count")
        SEGMENT_FIELD_NUMBER: _ClassVar[int]
        USER_COUNT_FIELD_NUMBER: _ClassVar[int]
        segment: str
        user_count: int
        def __init__(self, segment: _Optional[str] = ..., user_count: _Optional[int] = ...) -> None: ...
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    segments: _containers.RepeatedCompositeFieldContainer[ListSegmentsResponse.SegmentCount]
    def __init__(self, segments: _Optional[_Iterable[_Union[ListSegmentsResponse.SegmentCount, _Mapping]]] = ...) -> None: ...

class ListSegmentUsersRequest(_message.Message):
    __slots__ = ("segment", "page_size", "page_token")
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    segment: str
    page_size: int
    page_token: str
    def __init__(self, segment: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSegmentUsersResponse(_message.Message):
    __slots__ = ("user_ids", "next_page_token")
    USER_IDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_ids: _containers.RepeatedScalarFieldContainer[str]
    next_page_token: str
    def __init__(self, user_ids: _Optional[_Iterable[str]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetUserSegmentRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetUserSegmentResponse(_message.Message):
    __slots__ = ("user_id", "segment", "rule_id", "rule_version", "since", "facts", "checks", "segment_now", "rule_id_now")
    class RuleCheck(_message.Message):
        __slots__ = ("rule_id", "name", "segment", "failed_conditions")
        RULE_ID_FIELD_NUMBER: _ClassVar[int]
        NAME_FIELD_NUMBER: _ClassVar[int]
        SEGMENT_FIELD_NUMBER: _ClassVar[int]
        FAILED_CONDITIONS_FIELD_NUMBER: _ClassVar[int]
        rule_id: int
        name: str
        segment: str
        failed_conditions: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
        def __init__(self, rule_id: _Optional[int] = ..., name: _Optional[str] = ..., segment: _Optional[str] = ..., failed_conditions: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ...) -> None: ...
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_VERSION_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_NOW_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_NOW_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    segment: str
    rule_id: int
    rule_version: int
    since: _timestamp_pb2.Timestamp
    facts: _struct_pb2.Struct
    checks: _containers.RepeatedCompositeFieldContainer[GetUserSegmentResponse.RuleCheck]
    segment_now: str
    rule_id_now: int
    def __init__(self, user_id: _Optional[str] = ..., segment: _Optional[str] = ..., rule_id: _Optional[int] = ..., rule_version: _Optional[int] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., facts: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., checks: _Optional[_Iterable[_Union[GetUserSegmentResponse.RuleCheck, _Mapping]]] = ..., segment_now: _Optional[str] = ..., rule_id_now: _Optional[int] = ...) -> None: ...

class ListSegmentRunsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSegmentRunsResponse(_message.Message):
    __slots__ = ("runs", "next_page_token")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[_segmentation_pb2.SegmentRun]
    next_page_token: str
    def __init__(self, runs: _Optional[_Iterable[_Union[_segmentation_pb2.SegmentRun, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
