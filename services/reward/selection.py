"""The learning reward selector: Thompson sampling over Beta posteriors per (context bucket, arm),
with a permanent uniform exploration slice and a propensity logged for every choice."""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from services.common import db
from services.common.config import settings
from services.common.errors import AlreadyExists, FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from services.reward import domain, repository

_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MAX_CONTEXT_KEYS = 8
# Sampling needs statistical, not cryptographic, randomness; one generator per process is enough.
_rng = random.Random()


@dataclass(frozen=True)
class Outcome:
    selection: sa.Row
    successes: int
    failures: int


def _check(context: dict[str, str], candidates: list[str]) -> None:
    problems = []
    if len(context) > MAX_CONTEXT_KEYS:
        problems.append(FieldViolation("context", f"at most {MAX_CONTEXT_KEYS} keys (a bucket per combination must still learn)"))
    for k, v in context.items():
        if not _NAME.fullmatch(k) or not _NAME.fullmatch(v):
            problems.append(FieldViolation(f"context[{k}]", "keys and values are 1 to 64 of A-Z a-z 0-9 _ . : -"))
    for i, c in enumerate(candidates):
        if not _NAME.fullmatch(c):
            problems.append(FieldViolation(f"candidates[{i}]", "must be 1 to 64 of A-Z a-z 0-9 _ . : -"))
        elif c in candidates[:i]:
            problems.append(FieldViolation(f"candidates[{i}]", f"repeats {c!r}"))
    if problems:
        raise InvalidArgument.fields(problems)


def select(user_id: str, context: dict[str, str], candidates: list[str], request_id: str, now: datetime | None = None) -> sa.Row:
    _check(context, candidates)
    bucket = domain.bucket(context)
    with db.transaction() as conn:
        if request_id:
            prior = repository.selection_by_request(conn, user_id, request_id)
            if prior is not None:
                return _same_request(prior, bucket, candidates)
        choice = domain.thompson_choice(
            repository.posteriors(conn, bucket, candidates), candidates, explore_share=settings().reward_explore_share, rng=_rng
        )
        row = repository.insert_selection(
            conn,
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "request_id": request_id or None,
                "bucket": bucket,
                "arm": choice.arm,
                "candidates": candidates,
                "propensity": choice.propensity,
                "explored": choice.explored,
                "selected_at": now or datetime.now(UTC),
            },
        )
    if row is None:  # a concurrent retry of the same request id won
        with db.transaction() as conn:
            return _same_request(repository.selection_by_request(conn, user_id, request_id), bucket, candidates)
    return row


def select_many(
    requests: list[tuple[str, str]], context: dict[str, str], candidates: list[str], now: datetime | None = None
) -> dict[str, sa.Row | AlreadyExists]:
    """`select` for many (user_id, request_id) with the same context and candidates (a campaign
    batch), in one transaction and a fixed number of statements: each user's selection, or the
    AlreadyExists REQUEST_ID_REUSED its request id earned (a choice among other candidates). A
    request id answers its first selection, as with `select`."""
    _check(context, candidates)
    bucket = domain.bucket(context)
    at = now or datetime.now(UTC)
    out: dict[str, sa.Row | AlreadyExists] = {}
    with db.transaction() as conn:
        for _ in range(2):  # a second pass reads what concurrent callers of the same request ids wrote
            todo = [(u, r) for u, r in requests if u not in out]
            for prior in repository.selections_by_request(conn, todo):
                try:
                    out[prior.user_id] = _same_request(prior, bucket, candidates)
                except AlreadyExists as e:
                    out[prior.user_id] = e
            todo = [(u, r) for u, r in requests if u not in out]
            if not todo:
                break
            posteriors = repository.posteriors(conn, bucket, candidates)
            rows = []
            for u, r in todo:
                choice = domain.thompson_choice(posteriors, candidates, explore_share=settings().reward_explore_share, rng=_rng)
                rows.append({"id": uuid.uuid4(), "user_id": u, "request_id": r, "bucket": bucket, "arm": choice.arm,
                             "candidates": candidates, "propensity": choice.propensity, "explored": choice.explored,
                             "selected_at": at})
            for row in repository.insert_selections(conn, rows):
                out[row.user_id] = row
    return out


def _same_request(prior: sa.Row, bucket: str, candidates: list[str]) -> sa.Row:
    """A retry answers the first selection; the same request id with another context or other
    candidates is refused (its answer would not fit the request)."""
    if (prior.bucket, list(prior.candidates)) != (bucket, candidates):
        raise AlreadyExists(
            "REQUEST_ID_REUSED", "this request id was used for a selection with another context or candidates",
            metadata={"selection_id": str(prior.id)},
        )
    return prior


def record_outcome(selection_id: str, converted: bool, now: datetime | None = None) -> Outcome:
    """Updates the arm's posterior on the first report only; the same report again is answered as
    it was, a contradicting one is refused."""
    try:
        sid = uuid.UUID(selection_id)
    except ValueError:
        raise InvalidArgument.fields([FieldViolation("selection_id", "must be a UUID")]) from None
    with db.transaction() as conn:
        row = repository.record_outcome(conn, sid, converted, now or datetime.now(UTC))
        if row is not None:
            return Outcome(row, row.successes, row.failures)
        existing = repository.selection(conn, sid)
        if existing is None:
            raise NotFound("SELECTION_NOT_FOUND", f"no selection {selection_id}", metadata={"selection_id": selection_id})
        if existing.converted != converted:
            raise FailedPrecondition(
                "OUTCOME_ALREADY_RECORDED",
                f"selection {selection_id} was already recorded as converted={existing.converted}",
                metadata={"selection_id": selection_id},
            )
        s, f = repository.posteriors(conn, existing.bucket, [existing.arm]).get(existing.arm, (0, 0))
        return Outcome(existing, s, f)


def arms(context: dict[str, str], now: datetime | None = None) -> tuple[str, list[sa.Row], dict[str, int]]:
    bucket = domain.bucket(context)
    since = (now or datetime.now(UTC)) - timedelta(days=30)
    with db.transaction() as conn:
        return bucket, repository.arms(conn, bucket), repository.recent_selections(conn, bucket, since)
