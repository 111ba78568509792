"""The one server interceptor every Engage RPC passes through, in this order:

1. request id, structured access log, metrics;
2. authentication (bearer JWT) and the RPC's access policy declared in its proto
   (`(engage.common.v1.access)`: roles, and the field naming the user acted on);
3. validation of the request against the rules declared in the proto;
4. mapping of domain errors to google.rpc.Status (ErrorInfo, BadRequest); anything unexpected is
   logged with its trace and answered INTERNAL with a generic message.

RPCs outside the engage.* packages (health, reflection) pass through untouched.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

import grpc
import sqlalchemy.exc
from google.protobuf import any_pb2
from google.protobuf.descriptor import MethodDescriptor
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from engage.common.v1 import options_pb2
from services.common import auth, logs, metrics, validation
from services.common.errors import DomainError, FieldViolation, InvalidArgument, PermissionDenied

log = logging.getLogger("engage.rpc")
# Envoy's transcoder sets this to the REST path it served (overwriting any client-sent value): every
# path under /admin/ requires the admin role, whatever RPC it maps to. Direct gRPC callers do not
# send it and get the RPC's own policy.
ORIGINAL_PATH = "x-envoy-original-path"
_ROLE_NAMES = {
    options_pb2.AccessPolicy.USER: auth.Role.USER,
    options_pb2.AccessPolicy.ADMIN: auth.Role.ADMIN,
    options_pb2.AccessPolicy.SERVICE: auth.Role.SERVICE,
}


@dataclass(frozen=True)
class MethodPolicy:
    full_method: str  # /engage.activity.v1.ActivityService/RecordActivity
    domain: str  # engage.activity.v1: the ErrorInfo domain
    roles: frozenset[auth.Role]
    subject_field: str

    @classmethod
    def from_descriptor(cls, method: MethodDescriptor) -> "MethodPolicy":
        policy = method.GetOptions().Extensions[options_pb2.access]
        return cls(
            full_method=f"/{method.containing_service.full_name}/{method.name}",
            domain=method.containing_service.file.package,
            roles=frozenset(_ROLE_NAMES[r] for r in policy.roles),
            subject_field=policy.subject_field,
        )

    def authorize(self, principal: auth.Principal, request, *, admin_surface: bool = False) -> None:
        if admin_surface and principal.role is not auth.Role.ADMIN:
            raise PermissionDenied("ADMIN_REQUIRED", "the admin API requires the admin role")
        if principal.role not in self.roles:
            raise PermissionDenied(
                "ROLE_NOT_ALLOWED",
                f"the {principal.role.value} role may not call this method",
                metadata={"role": principal.role.value},
            )
        if not self.subject_field:
            return
        named = getattr(request, self.subject_field)
        if principal.role is auth.Role.USER:
            if not named:
                setattr(request, self.subject_field, principal.subject)
            elif named != principal.subject:
                raise PermissionDenied("NOT_YOUR_DATA", "a user may act only on their own data")
        elif not named:
            raise InvalidArgument.fields(
                [FieldViolation(self.subject_field, f"is required for {principal.role.value} callers")]
            )


def status_for(error: DomainError, domain: str) -> grpc.Status:
    details = []
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=error.metadata)
    details.append(info)
    if error.violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                    for v in error.violations
                ]
            )
        )
    packed = []
    for d in details:
        a = any_pb2.Any()
        a.Pack(d)
        packed.append(a)
    return rpc_status.to_status(
        status_pb2.Status(code=error.code.value[0], message=error.message, details=packed)
    )


def _plain_status(code: int, reason: str, message: str, domain: str) -> grpc.Status:
    """A status for failures that are not domain errors: a fixed message, never the exception's text."""
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=domain))
    return rpc_status.to_status(status_pb2.Status(code=code, message=message, details=[info]))


class _WithRequestId(grpc.Status):
    """A status whose trailers also carry the request id (abort replaces earlier trailing metadata)."""

    def __init__(self, status: grpc.Status, request_id: str) -> None:
        self.code = status.code
        self.details = status.details
        self.trailing_metadata = (*(status.trailing_metadata or ()), ("x-request-id", request_id))


class EngageInterceptor(grpc.ServerInterceptor):
    def __init__(self, authenticator: auth.Authenticator, policies: dict[str, MethodPolicy]) -> None:
        self.authenticator = authenticator
        self.policies = policies

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or not method.startswith("/engage."):
            return handler  # unknown methods, health, reflection
        policy = self.policies.get(method)
        if policy is None or handler.unary_unary is None:
            # Fail closed: an engage RPC the policy table does not know (or a streaming one, which this
            # interceptor does not wrap) is refused rather than served unauthenticated.
            log.error("refusing %s: no access policy is enforced for it", method)
            return grpc.unary_unary_rpc_method_handler(
                lambda request, context: context.abort(grpc.StatusCode.PERMISSION_DENIED, "this method is not available"),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return grpc.unary_unary_rpc_method_handler(
            self._wrap(handler.unary_unary, policy),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _wrap(self, behavior, policy: MethodPolicy):
        authenticator = self.authenticator
        method = policy.full_method

        def handle(request, context: grpc.ServicerContext):
            started = time.perf_counter()
            md = dict(context.invocation_metadata())
            rid = md.get("x-request-id") or uuid.uuid4().hex
            rid_token = logs.request_id.set(rid)
            context.set_trailing_metadata((("x-request-id", rid),))
            principal_token = None
            code = grpc.StatusCode.OK
            status: grpc.Status | None = None
            principal = None
            try:
                principal = authenticator.authenticate(md.get("authorization"))
                policy.authorize(principal, request, admin_surface=md.get(ORIGINAL_PATH, "").startswith("/admin/"))
                validation.validate(request)
                principal_token = auth.bind_principal(principal)
                return behavior(request, context)
            except DomainError as e:
                code, status = e.code, status_for(e, policy.domain)
            except sqlalchemy.exc.OperationalError:
                log.exception("database unavailable")
                code = grpc.StatusCode.UNAVAILABLE
                status = _plain_status(code_pb2.UNAVAILABLE, "DATABASE_UNAVAILABLE", "the database is unavailable; retry", policy.domain)
            except Exception:
                if context.code() is not None:  # the servicer aborted the call itself
                    code = context.code()
                    raise
                log.exception("unexpected error")
                code = grpc.StatusCode.INTERNAL
                status = _plain_status(code_pb2.INTERNAL, "INTERNAL", "internal error; see the server log", policy.domain)
            finally:
                elapsed = time.perf_counter() - started
                metrics.RPC_TOTAL.labels(method, code.name).inc()
                metrics.RPC_SECONDS.labels(method).observe(elapsed)
                if log.isEnabledFor(logging.INFO):
                    log.info(
                        "rpc",
                        extra={
                            "fields": {
                                "method": method,
                                "code": code.name,
                                "ms": round(elapsed * 1000, 3),
                                "caller": principal.subject if principal else None,
                                "role": principal.role.value if principal else None,
                            }
                        },
                    )
                if principal_token is not None:
                    auth.reset_principal(principal_token)
                logs.request_id.reset(rid_token)
            context.abort_with_status(_WithRequestId(status, rid))

        return handle


def policies_for(service_descriptors) -> dict[str, MethodPolicy]:
    """The policy of every RPC; refuses to start when a USER-callable RPC names no subject field
    (without one, nothing would stop a user from acting on another user's data)."""
    out = {}
    for svc in service_descriptors:
        for m in svc.methods:
            p = MethodPolicy.from_descriptor(m)
            check_policy(p)
            out[p.full_method] = p
    return out


def check_policy(p: MethodPolicy) -> None:
    if auth.Role.USER in p.roles and not p.subject_field:
        raise SystemExit(f"{p.full_method}: the USER role may call it, so its access policy must name a subject_field")
