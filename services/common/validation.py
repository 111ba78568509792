"""Request validation from the rules declared in the protos (`(engage.common.v1.field)` options).

One mechanism for every RPC: rules are compiled once per message type from its descriptor, and the
interceptor checks each request before domain code runs, collecting every violation with its path
(`events[3].event_type`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from engage.common.v1 import options_pb2
from services.common.errors import FieldViolation, InvalidArgument

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "uuid": (_UUID, "must be a UUID such as 0b6f3c1e-9a0d-4c1b-8f5e-2d7a9c4e1b3f"),
    "currency": (re.compile(r"^[A-Z]{3}$"), "must be an ISO 4217 code such as KRW"),
    "token": (re.compile(r"^[\x21-\x7e]+$"), "must be printable ASCII without spaces"),
}

Check = Callable[[Message, str], Iterator[FieldViolation]]


def _is_unset_optional(msg: Message, fd: FieldDescriptor) -> bool:
    return fd.has_presence and not msg.HasField(fd.name)


def _scalar_checks(fd: FieldDescriptor, rules: options_pb2.FieldRules) -> list[Callable[[object], str | None]]:
    checks: list[Callable[[object], str | None]] = []
    if fd.type == FieldDescriptor.TYPE_STRING:
        if rules.min_len:
            checks.append(lambda v, n=rules.min_len: f"must be at least {n} characters" if len(v) < n else None)
        if rules.max_len:
            checks.append(lambda v, n=rules.max_len: f"must be at most {n} characters" if len(v) > n else None)
        if rules.format:
            pattern, text = _FORMATS[rules.format]
            checks.append(lambda v, p=pattern, t=text: t if v and not p.match(v) else None)
    if rules.HasField("gte"):
        checks.append(lambda v, n=rules.gte: f"must be at least {n}" if v < n else None)
    if rules.HasField("lte"):
        checks.append(lambda v, n=rules.lte: f"must be at most {n}" if v > n else None)
    if fd.type == FieldDescriptor.TYPE_ENUM:
        values = {v.number for v in fd.enum_type.values}
        checks.append(lambda v, ok=values: "is not a known value" if v not in ok else None)
    return checks


def _field_check(fd: FieldDescriptor) -> Check | None:
    rules = fd.GetOptions().Extensions[options_pb2.field]
    nested = _compile(fd.message_type) if fd.type == FieldDescriptor.TYPE_MESSAGE else None
    scalar = _scalar_checks(fd, rules)
    repeated = fd.is_repeated
    if not (rules.required or scalar or nested or rules.max_items or rules.min_items):
        return None
    name = fd.name

    def check(msg: Message, prefix: str) -> Iterator[FieldViolation]:
        path = f"{prefix}{name}"
        value = getattr(msg, name)
        if repeated:
            if rules.min_items and len(value) < rules.min_items:
                yield FieldViolation(path, f"must have at least {rules.min_items} items")
            if rules.max_items and len(value) > rules.max_items:
                yield FieldViolation(path, f"must have at most {rules.max_items} items")
                return  # do not walk an oversized list
            for i, item in enumerate(value):
                if nested is not None:
                    yield from nested(item, f"{path}[{i}].")
                for c in scalar:
                    if (problem := c(item)) is not None:
                        yield FieldViolation(f"{path}[{i}]", problem)
            return
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            if not msg.HasField(name):
                if rules.required:
                    yield FieldViolation(path, "is required")
                return
            if nested is not None:
                yield from nested(value, f"{path}.")
            return
        if rules.required and not value:
            yield FieldViolation(path, "is required")
            return
        if _is_unset_optional(msg, fd):
            return
        for c in scalar:
            if (problem := c(value)) is not None:
                yield FieldViolation(path, problem)

    return check


@lru_cache(maxsize=None)
def _compile(descriptor: Descriptor) -> Check | None:
    if descriptor.full_name.startswith("google.protobuf."):
        return None
    checks = [c for fd in descriptor.fields if (c := _field_check(fd)) is not None]
    if not checks:
        return None

    def check_all(msg: Message, prefix: str) -> Iterator[FieldViolation]:
        for c in checks:
            yield from c(msg, prefix)

    return check_all


def violations(message: Message) -> list[FieldViolation]:
    check = _compile(message.DESCRIPTOR)
    return list(check(message, "")) if check else []


def validate(message: Message) -> None:
    """Raises InvalidArgument listing every violated rule of `message`."""
    found = violations(message)
    if found:
        raise InvalidArgument.fields(found)
