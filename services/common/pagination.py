"""Keyset pagination: page sizes and opaque page tokens bound to the request they continue.

A token carries the sort key of the last row served and a digest of the request's filters, so it
cannot be replayed against another user or other filters, and a tampered token is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from services.common.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Tokens are opaque, not secret: the MAC only catches edits and cross-request reuse.
_KEY = b"engage-page-token-v1"


def page_size(requested: int) -> int:
    """0 means the default; the proto rules already refuse negatives and sizes over the cap."""
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _digest(scope: Any) -> str:
    return hashlib.sha256(json.dumps(scope, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode(after: list[Any], scope: Any) -> str:
    body = json.dumps({"after": after, "scope": _digest(scope)}, separators=(",", ":"), default=str).encode()
    mac = hmac.new(_KEY, body, hashlib.sha256).digest()[:8]
    return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")


def split(rows: list, limit: int, scope: Any, key=lambda row: [row.id]) -> tuple[list, str]:
    """The page of `rows` (fetched with `limit + 1`, so one more than a page shows there is more) and
    the token continuing after its last row; empty on the last page."""
    page = rows[:limit]
    return page, encode(key(page[-1]), scope) if len(rows) > limit else ""


def decode(token: str, scope: Any, shape: tuple[type, ...]) -> list[Any] | None:
    """The sort key after which the page starts (None for the first page); its values must have the
    types in `shape`."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        mac, body = raw[:8], raw[8:]
        if not hmac.compare_digest(mac, hmac.new(_KEY, body, hashlib.sha256).digest()[:8]):
            raise ValueError("bad mac")
        data = json.loads(body)
        if data["scope"] != _digest(scope):
            raise ValueError("other request")
        after = data["after"]
        if not isinstance(after, list) or len(after) != len(shape) or not all(
            isinstance(v, t) and not isinstance(v, bool) for v, t in zip(after, shape)
        ):
            raise ValueError("bad key")
        return after
    except (ValueError, KeyError, TypeError):
        raise invalid_token() from None


def invalid_token() -> InvalidArgument:
    """The refusal of a page token that was not issued for the request, or whose key a caller
    cannot use (the token key is not a secret, so callers parse the values before SQL sees them)."""
    return InvalidArgument(
        "INVALID_PAGE_TOKEN",
        "page_token was not issued for this request",
        violations=[FieldViolation("page_token", "was not issued for this request")],
    )
