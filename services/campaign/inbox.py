"""The user's in-app inbox: what IN_APP campaigns delivered, newest first, and read receipts (which
are also the campaign's "opened")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from services.campaign import domain
from services.common import db, pagination
from services.common.errors import FieldViolation, InvalidArgument, NotFound

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_COLUMNS = "id, user_id, campaign_id, title, body, created_at, read_at"


def list_messages(user_id: str, unread_only: bool, size: int, token: str) -> tuple[list[sa.Row], str, int]:
    """A page of the user's messages (created_at DESC, id DESC), the next page's token and how many
    of all their messages are unread."""
    _check_user(user_id)
    scope = {"inbox": user_id, "unread_only": unread_only}
    after = _key(pagination.decode(token, scope, shape=(str, str)))
    limit = min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    where = ["user_id = :u"] + (["read_at IS NULL"] if unread_only else [])
    if after:
        where.append("(created_at, id) < (CAST(:at AS timestamptz), CAST(:id AS uuid))")
    with db.transaction() as conn:
        rows = list(conn.execute(
            sa.text(f"SELECT {_COLUMNS} FROM campaign.inbox_messages WHERE {' AND '.join(where)} "
                    "ORDER BY created_at DESC, id DESC LIMIT :n"),
            {"u": user_id, "at": after and after[0], "id": after and after[1], "n": limit + 1},
        ))
        unread = conn.execute(
            sa.text("SELECT count(*) FROM campaign.inbox_messages WHERE user_id = :u AND read_at IS NULL"), {"u": user_id}
        ).scalar_one()
    page, next_token = pagination.split(rows, limit, scope, key=lambda r: [r.created_at.isoformat(), str(r.id)])
    return page, next_token, unread


def _check_user(user_id: str) -> None:
    if domain.has_control(user_id):  # an admin may name any user; PostgreSQL text cannot hold NUL
        raise InvalidArgument.fields([FieldViolation("user_id", "must not contain control characters")])


def _key(after: list | None) -> list | None:
    """The (created_at, id) a page token continues after, parsed here: tokens can be forged, and a
    value PostgreSQL cannot cast would otherwise fail the query."""
    if after is None:
        return None
    try:
        at = datetime.fromisoformat(after[0])
        message_id = uuid.UUID(after[1])
    except ValueError:
        raise pagination.invalid_token() from None
    if at.tzinfo is None:
        raise pagination.invalid_token()
    return [at, str(message_id)]


def _not_found(message_id: str) -> NotFound:
    return NotFound("MESSAGE_NOT_FOUND", "you have no message with this id", metadata={"message_id": message_id})


def mark_read(user_id: str, message_id: str, *, opened: bool = True, now: datetime | None = None) -> sa.Row:
    """Marks the user's message read (a second read keeps the first time) and, when the reader is
    the user (`opened`), its campaign log opened, in one transaction. Another user's message is
    NOT_FOUND, as an unknown one is."""
    _check_user(user_id)
    try:
        uuid.UUID(message_id)
    except ValueError:
        raise _not_found(message_id) from None
    now = now or datetime.now(UTC)
    with db.transaction() as conn:
        row = conn.execute(
            sa.text(f"UPDATE campaign.inbox_messages SET read_at = coalesce(read_at, :now) "
                    f"WHERE id = CAST(:id AS uuid) AND user_id = :u RETURNING {_COLUMNS}"),
            {"id": message_id, "u": user_id, "now": now},
        ).one_or_none()
        if row is None:
            raise _not_found(message_id)
        if not opened:
            return row
        conn.execute(
            sa.text("UPDATE campaign.campaign_logs SET opened_at = :at "
                    "WHERE campaign_id = :c AND user_id = :u AND opened_at IS NULL"),
            {"c": row.campaign_id, "u": user_id, "at": now},  # when the user opened it, not when it was marked read
        )
    return row
