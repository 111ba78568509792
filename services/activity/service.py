"""Service layer of Activity, called by the servicer or an actor. Each write is atomic: one statement
per batch (autocommit) for events, one transaction for deposits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum

from services.activity import domain, repository
from services.activity.domain import NewEvent
from services.common import db, pagination
from services.common.auth import Principal
from services.common.coalesce import Coalescer, WaitExpired
from services.common.config import settings
from services.common.errors import AlreadyExists, DeadlineExceeded, FieldViolation, InvalidArgument, Unavailable


class Outcome(str, Enum):
    RECORDED = "RECORDED"
    DUPLICATE = "DUPLICATE"
    CONFLICT = "CONFLICT"


@dataclass(frozen=True)
class Recorded:
    event_id: str
    user_id: str
    outcome: Outcome
    recorded_at: datetime
    occurred_at: datetime | None = None  # the stored event's time (record_event fills it in)


def _normalize(e: NewEvent, currency: str) -> NewEvent:
    if e.event_type in domain.VALUE_BEARING and e.currency is None and e.amount is not None:
        return replace(e, currency=currency)
    return e


def _checked(events: list[NewEvent], caller: Principal, now: datetime, path: str) -> list[NewEvent]:
    """Normalizes and checks events; raises with every violation found. Nothing is written."""
    currency = settings().currency
    events = [_normalize(e, currency) for e in events]
    problems: list[FieldViolation] = []
    for i, e in enumerate(events):
        prefix = f"{path}[{i}]." if path else ""
        problems += domain.check(e, trusted=caller.trusted, now=now, currency=currency, path=prefix)
    if problems:
        raise InvalidArgument.fields(problems)
    return events


def _write(items: Sequence[tuple[NewEvent, str]]) -> list[Recorded]:
    """Writes checked events (each with who recorded it) exactly once per event_id, in one statement.

    Returns one result per item, in order. Within the batch the first occurrence of an id wins;
    later ones, and ids recorded earlier, are DUPLICATE when the payload matches and CONFLICT when
    it does not.
    """
    now = datetime.now(UTC)
    events = [e for e, _ in items]
    prints = [domain.fingerprint(e) for e in events]
    first: dict[str, int] = {}
    for i, e in enumerate(events):
        first.setdefault(e.event_id, i)
    # Sorted by id: concurrent batches claim keys in the same order and cannot deadlock.
    unique = sorted(first.values(), key=lambda i: events[i].event_id)

    # RECORD_EVENTS is one atomic statement, and the look-up of earlier keys reads only committed rows:
    # autocommit saves the BEGIN and COMMIT round trips. Each is retried on its own, so a failed
    # look-up never repeats (and misreports) a write that committed.
    seen = db.retrying(
        lambda conn: repository.record_events(
            conn, [events[i] for i in unique], [prints[i] for i in unique], [items[i][1] for i in unique], now=now
        ),
        single_statements=True,
    )
    existing = db.retrying(lambda conn: repository.existing_keys(conn, list(seen)), single_statements=True) if seen else {}
    results = []
    for i, e in enumerate(events):
        j = first[e.event_id]
        recorded_now = e.event_id not in seen
        if recorded_now and j == i:
            results.append(Recorded(e.event_id, e.user_id, Outcome.RECORDED, now))
            continue
        if recorded_now:  # a repeat inside this batch of an id recorded now
            original = repository.KeyRecord(events[j].user_id, prints[j], now)
        else:
            original = existing[e.event_id]
        outcome = Outcome.DUPLICATE if original.fingerprint == prints[i] else Outcome.CONFLICT
        results.append(Recorded(e.event_id, original.user_id, outcome, original.recorded_at))
    return results


# Single events from concurrent requests are written together (group commit): see coalesce.py.
def _bad_data(e: BaseException) -> bool:
    """A failure caused by one event's data (SQLSTATE class 22 or 23), worth retrying events alone."""
    sqlstate = getattr(getattr(e, "orig", None), "sqlstate", None) or ""
    return sqlstate[:2] in {"22", "23"}


_single_writer: Coalescer[tuple[NewEvent, str], Recorded] = Coalescer(
    _write, isolate=_bad_data, name="activity-writer", writers=4
)
WRITE_TIMEOUT_SECONDS = 30.0


def record_events(events: list[NewEvent], caller: Principal, *, now: datetime | None = None) -> list[Recorded]:
    """Records a batch in one statement; one result per event, in order. A malformed event refuses
    the whole batch and nothing is written."""
    checked = _checked(events, caller, now or datetime.now(UTC), "events")
    return _write([(e, caller.subject) for e in checked])


def record_event(
    event: NewEvent, caller: Principal, *, now: datetime | None = None, timeout: float | None = None
) -> Recorded:
    """Records one event exactly once; a reuse of its event_id with another payload is ALREADY_EXISTS.

    `timeout` (the caller's remaining deadline) bounds the wait for the write: past it the caller gets
    DEADLINE_EXCEEDED, past WRITE_TIMEOUT_SECONDS UNAVAILABLE; either way it may retry with the same
    event_id (the write may still land, and a retry then answers `duplicate`).
    """
    (checked,) = _checked([event], caller, now or datetime.now(UTC), "")
    by_deadline = timeout is not None and timeout < WRITE_TIMEOUT_SECONDS
    if by_deadline and timeout <= 0:
        raise DeadlineExceeded("DEADLINE_EXCEEDED", "the deadline passed before the event was written")
    try:
        result = _single_writer.submit((checked, caller.subject), timeout=timeout if by_deadline else WRITE_TIMEOUT_SECONDS)
    except WaitExpired:
        if by_deadline:
            raise DeadlineExceeded("DEADLINE_EXCEEDED", "the deadline passed before the event was written") from None
        raise Unavailable("WRITE_TIMEOUT", "the event could not be written in time; retry with the same event_id") from None
    if result.outcome is Outcome.CONFLICT:
        raise AlreadyExists(
            "EVENT_ID_REUSED",
            "this event_id was already recorded with a different payload",
            metadata={"event_id": event.event_id},
        )
    # A retry without occurred_at carries its own clock: the event keeps the first request's time.
    occurred_at = checked.occurred_at
    if result.outcome is Outcome.DUPLICATE and not checked.occurred_at_given:
        occurred_at = db.retrying(
            lambda conn: repository.stored_occurred_at(conn, result.user_id, event.event_id, result.recorded_at),
            single_statements=True,
        )
    return replace(result, occurred_at=occurred_at)


def list_user_events(user_id: str, event_type: str | None, size: int, token: str) -> tuple[list, str]:
    """One page of a user's events, newest first, and the token of the next page ("" at the end)."""
    scope = {"user_id": user_id, "event_type": event_type}
    after = pagination.decode(token, scope, shape=(str, str))
    limit = pagination.page_size(size)
    key = (datetime.fromisoformat(after[0]), after[1]) if after else None
    with db.transaction() as conn:
        rows = repository.list_events(conn, user_id, event_type, key, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    next_token = pagination.encode([page[-1].occurred_at.isoformat(), page[-1].event_id], scope) if more else ""
    return page, next_token


def get_user_activity(user_id: str):
    with db.transaction() as conn:
        return repository.user_activity(conn, user_id)


@dataclass(frozen=True)
class DepositChange:
    user_id: str
    previous_amount: int
    deposit_amount: int

    @property
    def increased(self) -> bool:
        return self.deposit_amount > self.previous_amount


def upsert_external_deposits(
    entries: list[tuple[str, int]], caller: Principal, *, now: datetime | None = None
) -> list[DepositChange]:
    """Sets cumulative deposit amounts; `last_charge_at` moves to `now` only where an amount increased."""
    now = now or datetime.now(UTC)
    seen: dict[str, int] = {}
    dupes = []
    for i, (user_id, _) in enumerate(entries):
        if user_id in seen:
            dupes.append(FieldViolation(f"entries[{i}].user_id", f"repeats entries[{seen[user_id]}]"))
        seen.setdefault(user_id, i)
    if dupes:
        raise InvalidArgument.fields(dupes, reason="DUPLICATE_USER")
    user_ids = [u for u, _ in entries]
    amounts = [a for _, a in entries]

    def work(conn) -> dict[str, int]:
        previous = repository.lock_deposits(conn, user_ids)
        repository.set_deposits(
            conn, user_ids, amounts, [previous[u] for u in user_ids], now=now, by=caller.subject
        )
        return previous

    previous = db.retrying(work)
    return [DepositChange(u, previous[u], a) for u, a in entries]


def ensure_event_partitions(now: datetime | None = None, months_ahead: int = 3) -> int:
    """Creates the monthly event partitions from this month to `months_ahead` months on, each in its
    own short transaction; returns how many were created."""
    now = now or datetime.now(UTC)
    created = 0
    year, month = now.year, now.month
    for _ in range(months_ahead + 1):
        with db.transaction() as conn:
            created += repository.ensure_event_partition(conn, datetime(year, month, 1, tzinfo=UTC))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return created
