"""What a failed gRPC call said: its code, the ErrorInfo reason, and the BadRequest fields."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def failure(call) -> tuple[grpc.StatusCode, str | None, dict[str, str]]:
    with pytest.raises(grpc.RpcError) as exc:
        call()
    status = rpc_status.from_call(exc.value)
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
    return exc.value.code(), reason, fields
