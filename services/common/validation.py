"""Request validation from the rules declared in the protos (`(engage.common.v1.field)` options).

One mechanism for every RPC: rules are compiled once per message type from its descriptor, and the
interceptor checks each request before domain code runs, collecting every violation with its path
(`events[3].event_type`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from engage.common.v1 import options_pb2
from services.common.errors import FieldViolation, InvalidArgument

# Matched with fullmatch: `$` would also accept a trailing newline.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "uuid": (_UUID, "must be a UUID such as 0b6f3c1e-9a0d-4c1b-8f5e-2d7a9c4e1b3f"),
    "currency": (re.compile(r"[A-Z]{3}"), "must be an ISO 4217 code such as KRW"),
    "token": (re.compile(r"[\x21-\x7e]+"), "must be printable ASCII without spaces"),
    "date": (re.compile(r"\d{4}-\d{2}-\d{2}"), "must be a date such as 2026-03-01"),
    "code": (re.compile(r"[A-Z][A-Z0-9_]{0,31}"), "must be 1 to 32 upper-case letters, digits or underscores, starting with a letter"),
}

# A compiled check appends the violations of one message to `out`, naming fields under `prefix`.
Check = Callable[[Message, str, list[FieldViolation]], None]


def _scalar_checks(fd: FieldDescriptor, rules: options_pb2.FieldRules) -> list[Callable[[object], str | None]]:
    checks: list[Callable[[object], str | None]] = []
    if fd.type == FieldDescriptor.TYPE_STRING:
        if rules.min_len:
            checks.append(lambda v, n=rules.min_len: f"must be at least {n} characters" if len(v) < n else None)
        if rules.max_len:
            checks.append(lambda v, n=rules.max_len: f"must be at most {n} characters" if len(v) > n else None)
        if rules.format:
            pattern, text = _FORMATS[rules.format]
            checks.append(lambda v, p=pattern, t=text: t if v and not p.fullmatch(v) else None)
    if rules.HasField("gte"):
        checks.append(lambda v, n=rules.gte: f"must be at least {n}" if v < n else None)
    if rules.HasField("lte"):
        checks.append(lambda v, n=rules.lte: f"must be at most {n}" if v > n else None)
    if fd.type == FieldDescriptor.TYPE_ENUM:
        values = frozenset(v.number for v in fd.enum_type.values)
        checks.append(lambda v, ok=values: "is not a known value" if v not in ok else None)
    return checks


def _field_check(fd: FieldDescriptor) -> Check | None:
    rules = fd.GetOptions().Extensions[options_pb2.field]
    nested = _compile(fd.message_type) if fd.type == FieldDescriptor.TYPE_MESSAGE else None
    scalar = _scalar_checks(fd, rules)
    if not (rules.required or scalar or nested or rules.max_items or rules.min_items):
        return None
    name = fd.name
    required = rules.required
    min_items, max_items = rules.min_items, rules.max_items

    if fd.is_repeated:

        def check_repeated(msg: Message, prefix: str, out: list[FieldViolation]) -> None:
            items = getattr(msg, name)
            path = prefix + name
            if min_items and len(items) < min_items:
                out.append(FieldViolation(path, f"must have at least {min_items} items"))
            if max_items and len(items) > max_items:
                out.append(FieldViolation(path, f"must have at most {max_items} items"))
                return  # do not walk an oversized list
            for i, item in enumerate(items):
                if nested is not None:
                    nested(item, f"{path}[{i}].", out)
                for c in scalar:
                    if (problem := c(item)) is not None:
                        out.append(FieldViolation(f"{path}[{i}]", problem))

        return check_repeated

    if fd.type == FieldDescriptor.TYPE_MESSAGE:

        def check_message(msg: Message, prefix: str, out: list[FieldViolation]) -> None:
            if not msg.HasField(name):
                if required:
                    out.append(FieldViolation(prefix + name, "is required"))
            elif nested is not None:
                nested(getattr(msg, name), f"{prefix}{name}.", out)

        return check_message

    presence = fd.has_presence

    def check_scalar(msg: Message, prefix: str, out: list[FieldViolation]) -> None:
        if presence and not msg.HasField(name):
            return
        value = getattr(msg, name)
        if required and not value:
            out.append(FieldViolation(prefix + name, "is required"))
            return
        for c in scalar:
            if (problem := c(value)) is not None:
                out.append(FieldViolation(prefix + name, problem))

    return check_scalar


@lru_cache(maxsize=None)
def _compile(descriptor: Descriptor) -> Check | None:
    if descriptor.full_name.startswith("google.protobuf."):
        return None
    checks = tuple(c for fd in descriptor.fields if (c := _field_check(fd)) is not None)
    if not checks:
        return None

    def check_all(msg: Message, prefix: str, out: list[FieldViolation]) -> None:
        for c in checks:
            c(msg, prefix, out)

    return check_all


def violations(message: Message) -> list[FieldViolation]:
    out: list[FieldViolation] = []
    check = _compile(message.DESCRIPTOR)
    if check is not None:
        check(message, "", out)
    return out


def validate(message: Message) -> None:
    """Raises InvalidArgument listing every violated rule of `message`."""
    found = violations(message)
    if found:
        raise InvalidArgument.fields(found)
