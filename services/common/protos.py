"""Conversions between Python values and well-known protobuf types, shared by the servicers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf import struct_pb2, timestamp_pb2


def timestamp(dt: datetime | None) -> timestamp_pb2.Timestamp | None:
    if dt is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(dt)
    return ts


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def struct(value: dict | None) -> struct_pb2.Struct | None:
    """A Struct from a JSON-like dict (datetimes as RFC 3339 strings); None stays unset."""
    if value is None:
        return None
    out = struct_pb2.Struct()
    out.update({k: _jsonable(v) for k, v in value.items()})
    return out
