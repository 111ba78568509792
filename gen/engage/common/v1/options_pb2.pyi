from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
FIELD_FIELD_NUMBER: _ClassVar[int]
field: _descriptor.FieldDescriptor
ACCESS_FIELD_NUMBER: _ClassVar[int]
access: _descriptor.FieldDescriptor

class FieldRules(_message.Message):
    __slots__ = ("required", "min_len", "max_len", "gte", "lte", "max_items", "format", "min_items")
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    MIN_LEN_FIELD_NUMBER: _ClassVar[int]
    MAX_LEN_FIELD_NUMBER: _ClassVar[int]
    GTE_FIELD_NUMBER: _ClassVar[int]
    LTE_FIELD_NUMBER: _ClassVar[int]
    MAX_ITEMS_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    MIN_ITEMS_FIELD_NUMBER: _ClassVar[int]
    required: bool
    min_len: int
    max_len: int
    gte: int
    lte: int
    max_items: int
    format: str
    min_items: int
    def __init__(self, required: _Optional[bool] = ..., min_len: _Optional[int] = ..., max_len: _Optional[int] = ..., gte: _Optional[int] = ..., lte: _Optional[int] = ..., max_items: _Optional[int] = ..., format: _Optional[str] = ..., min_items: _Optional[int] = ...) -> None: ...

class AccessPolicy(_message.Message):
    __slots__ = ("roles", "subject_field")
    class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ROLE_UNSPECIFIED: _ClassVar[AccessPolicy.Role]
        USER: _ClassVar[AccessPolicy.Role]
        ADMIN: _ClassVar[AccessPolicy.Role]
        SERVICE: _ClassVar[AccessPolicy.Role]
    ROLE_UNSPECIFIED: AccessPolicy.Role
    USER: AccessPolicy.Role
    ADMIN: AccessPolicy.Role
    SERVICE: AccessPolicy.Role
    ROLES_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_FIELD_NUMBER: _ClassVar[int]
    roles: _containers.RepeatedScalarFieldContainer[AccessPolicy.Role]
    subject_field: str
    def __init__(self, roles: _Optional[_Iterable[_Union[AccessPolicy.Role, str]]] = ..., subject_field: _Optional[str] = ...) -> None: ...
