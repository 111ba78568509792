"""What a failed gRPC call said: its code, the ErrorInfo reason, and the BadRequest fields."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def _read(error: grpc.RpcError) -> tuple[grpc.StatusCode, str | None, dict[str, str]]:
    status = rpc_status.from_call(error)
    reason, fields = None, {}
    for d in status.details if status else []:
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            d.Unpack(info)
            reason = info.reason
        if d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            d.Unpack(bad)
            fields = {v.field: v.description for v in bad.field_violations}
    return error.code(), reason, fields


def failure(call) -> tuple[grpc.StatusCode, str | None, dict[str, str]]:
    """The call must fail; returns (code, reason, {field: description})."""
    with pytest.raises(grpc.RpcError) as exc:
        call()
    return _read(exc.value)


def outcome(call) -> tuple[grpc.StatusCode | None, str | None]:
    """(None, None) when the call succeeded, else its code and reason: for concurrent tests that
    count successes and refusals."""
    try:
        call()
    except grpc.RpcError as e:
        code, reason, _ = _read(e)
        return code, reason
    return None, None
