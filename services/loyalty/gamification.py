"""Service layer of streaks, badges and challenges: each function owns its transaction (retried on
deadlock or serialization failure).

`apply_event` is the one way an activity event reaches them. Activity's RecordActivity calls it in
process for visits and purchases (to answer with the streak outcome) and the `activity.recorded`
subscriber calls it for every event; the event id is claimed in `gamification_events` in the same
transaction as the effects, so whichever call comes second answers the stored outcome.

Lock order inside one member: the event claim, the streak row, the points account, counters,
challenges, badges. A claim of a challenge's reward takes the account before the challenge row.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common import db, pagination
from services.common.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from services.loyalty import badges, challenges, points, streaks
from services.loyalty import domain as loyalty_domain
from services.loyalty import gamification_domain as gd
from services.reward import wallet

log = logging.getLogger("engage.loyalty")
GAMIFIED_EVENTS = gd.GAMIFIED_EVENTS
STREAK_EVENTS = frozenset(gd.STREAK_OF_EVENT)  # what RecordActivity applies in process


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _expiry_days() -> int:
    from services.common.config import settings

    return loyalty_domain.Rules.from_settings(settings()).expiry_days


# ---- outcomes ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reward:
    """Something a step earned: `points` (amount) or a streak `freeze` (amount 1)."""

    kind: str
    amount: int
    reason: str
    milestone: int = 0


@dataclass(frozen=True)
class StreakOutcome:
    streak_type: str
    streak: int
    max_streak: int
    is_record: bool
    rewards: tuple[Reward, ...]
    streak_broken: bool
    previous_streak: int
    freezes_used: int
    freezes_left: int
    already_recorded: bool

    @property
    def freeze_used(self) -> bool:
        return self.freezes_used > 0


@dataclass(frozen=True)
class EventOutcome:
    duplicate: bool
    streak: StreakOutcome | None = None
    badges: tuple[str, ...] = ()  # codes awarded by this event
    challenges_completed: tuple[int, ...] = ()

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("duplicate")
        return d

    @classmethod
    def from_json(cls, d: dict, *, duplicate: bool) -> EventOutcome:
        s = d.get("streak")
        streak = StreakOutcome(**{**s, "rewards": tuple(Reward(**r) for r in s["rewards"])}) if s else None
        return cls(duplicate, streak, tuple(d.get("badges", ())), tuple(d.get("challenges_completed", ())))


# ---- events --------------------------------------------------------------------------------------

_CLAIM = sa.text(
    "INSERT INTO loyalty.gamification_events (event_id, user_id, event_type, occurred_at, processed_at) "
    "VALUES (:e, :u, :t, :at, :now) ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)


def _grant(conn: Connection, user_id: str, amount: int, reason: str, key: str, label: str, meta: dict, now: datetime) -> None:
    points.grant_points(
        conn, user_id=user_id, points=amount, reason=reason, source=reason.lower(), idempotency_key=key,
        expiry_days=_expiry_days(), label=label, meta=meta, now=now,
    )


def _award_badges(conn: Connection, user_id: str, counters: list[str], *, event_id: str | None, order_id: str | None,
                  now: datetime, code: str | None = None) -> list[str]:
    """Awards what the counters (or `code`) earned, with each badge's points; the codes awarded."""
    won = badges.award(conn, user_id, counters, event_id=event_id, order_id=order_id, now=now, code=code)
    for b in won:
        if b.points_reward > 0:
            _grant(conn, user_id, b.points_reward, "BADGE", f"badge:{user_id}:{b.id}", b.code,
                   {"badge": b.code, "event_id": event_id, "order_id": order_id}, now)
    return [b.code for b in won]


def _streak_step(conn: Connection, user_id: str, streak_type: str, day: date, event_id: str, now: datetime,
                 r: gd.StreakRules) -> tuple[StreakOutcome, gd.StreakStep]:
    step = gd.advance(streaks.lock(conn, user_id, streak_type, now), day, r)
    rewards: list[Reward] = []
    if step.advanced:
        streaks.save(conn, user_id, streak_type, step.state, now)
        points.lock_account(conn, user_id, now)
        for days, amount in step.milestones:
            # Once per run: a run that breaks and reaches the milestone again earns it again.
            key = f"streak:{user_id}:{streak_type}:{days}:{step.state.run_start.isoformat()}"
            _grant(conn, user_id, amount, "STREAK", key, f"{days}-day {streak_type} streak",
                   {"streak_type": streak_type, "days": days, "event_id": event_id}, now)
            rewards.append(Reward("points", amount, f"{days}-day streak", days))
        if step.freezes_earned:
            rewards.append(Reward("freeze", step.freezes_earned, f"{step.state.current}-day streak", step.state.current))
    s = step.state
    return (
        StreakOutcome(streak_type, s.current, s.max, step.is_record, tuple(rewards), step.broken, step.previous,
                      step.freezes_used, s.freezes, not step.advanced),
        step,
    )


def apply_event(event: dict, *, now: datetime | None = None, rules: gd.StreakRules | None = None) -> EventOutcome | None:
    """Applies one activity event to the member's streak, badges and challenges, exactly once per
    event id; None for event types none of them counts (no database work). A repeated event id
    answers the first outcome with `duplicate` set. `event` carries event_id, user_id, event_type,
    occurred_at, and for purchases amount, category and order_id."""
    event_type = event["event_type"]
    if event_type not in gd.GAMIFIED_EVENTS:
        return None
    now = _now(now)
    r = rules or streaks.rules()
    occurred_at = event["occurred_at"]
    if isinstance(occurred_at, str):
        occurred_at = datetime.fromisoformat(occurred_at)
    user, event_id = event["user_id"], str(event["event_id"])
    amount, category, order_id = int(event.get("amount") or 0), event.get("category") or None, event.get("order_id") or None
    day = r.day(occurred_at)

    def apply(conn: Connection) -> EventOutcome:
        if conn.execute(_CLAIM, {"e": event_id, "u": user, "t": event_type, "at": occurred_at, "now": now}).first() is None:
            stored = conn.execute(sa.text("SELECT outcome FROM loyalty.gamification_events WHERE event_id = :e"), {"e": event_id}).scalar_one()
            return EventOutcome.from_json(stored, duplicate=True)
        streak, step = None, None
        streak_type = gd.STREAK_OF_EVENT.get(event_type)
        if streak_type:
            streak, step = _streak_step(conn, user, streak_type, day, event_id, now, r)
        else:
            points.lock_account(conn, user, now)
        moved = gd.counters_for(event_type, amount, category)
        if step is not None and step.advanced:
            moved.append((gd.streak_counter(streak_type), step.state.max))
        types = []
        if event_type == "PURCHASE":
            types = ["purchase_count", "purchase_amount"] + (["category"] if category else [])
        elif streak_type == "daily_visit" and step is not None and step.advanced:
            types = ["streak"]
        done = [
            row.challenge_id
            for row in challenges.progress(conn, user, types=types, day=day, occurred_at=occurred_at, amount=amount,
                                           category=category, streak=streak.streak if streak else 0, now=now)
            if row.completed
        ]
        if done:
            moved.append(("challenges_completed", len(done)))
        badges.bump(conn, user, moved)
        won = _award_badges(conn, user, [k for k, _ in moved], event_id=event_id, order_id=order_id, now=now)
        outcome = EventOutcome(False, streak, tuple(won), tuple(done))
        conn.execute(
            sa.text("UPDATE loyalty.gamification_events SET outcome = CAST(:o AS jsonb) WHERE event_id = :e").bindparams(
                sa.bindparam("o", type_=sa.JSON)
            ),
            {"o": outcome.to_json(), "e": event_id},
        )
        return outcome

    return db.retrying(apply)


# ---- streaks -------------------------------------------------------------------------------------

def get_streaks(user_id: str, now: datetime | None = None) -> dict:
    """The member's streaks as `streak_summary` reads them."""
    with db.transaction() as conn:
        return streaks.streak_summary(conn, user_id, _now(now))


def grant_freezes(user_id: str, streak_type: str, count: int, now: datetime | None = None) -> int:
    """An operator's gift of freezes, never past LOYALTY_STREAK_MAX_FREEZES; the freezes held after."""
    if streak_type not in gd.STREAK_TYPES:
        raise InvalidArgument("UNKNOWN_STREAK_TYPE", f"no streak type {streak_type}", metadata={"streak_type": streak_type})
    cap = streaks.rules().max_freezes
    return db.retrying(lambda conn: streaks.add_freezes(conn, user_id, streak_type, count, cap, _now(now)))


# ---- badges --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BadgeSpec:
    code: str
    name: str
    description: str = ""
    icon_url: str = ""
    condition_type: str = "first_purchase"
    condition_value: dict = field(default_factory=dict)
    points_reward: int = 0
    is_hidden: bool = False


def _badge_values(spec: BadgeSpec) -> dict:
    rule, problems = gd.badge_rule(spec.condition_type, spec.condition_value)
    if problems:
        raise InvalidArgument.fields(problems)
    return {**asdict(spec), "counter": rule.counter, "target": rule.target}


def _badge_not_found(code: str) -> NotFound:
    return NotFound("BADGE_NOT_FOUND", f"no badge {code}", metadata={"code": code})


def create_badge(spec: BadgeSpec, by: str) -> sa.Row:
    values = _badge_values(spec)
    try:
        with db.transaction() as conn:
            return badges.insert(conn, values, by, datetime.now(UTC))
    except sa.exc.IntegrityError:
        raise AlreadyExists("BADGE_EXISTS", f"a badge {spec.code} exists", metadata={"code": spec.code}) from None


def update_badge(spec: BadgeSpec, by: str) -> sa.Row:
    """Members who already hold the badge keep it; the new condition applies from the next event."""
    values = _badge_values(spec)
    with db.transaction() as conn:
        row = badges.update(conn, values, by, datetime.now(UTC))
    if row is None:
        raise _badge_not_found(spec.code)
    return row


def delete_badge(code: str) -> None:
    with db.transaction() as conn:
        row = badges.by_code(conn, code, lock=True)
        if row is None:
            raise _badge_not_found(code)
        if badges.earned_by_anyone(conn, row.id):
            raise FailedPrecondition("BADGE_EARNED", f"members hold {code}: hide it instead", metadata={"code": code})
        badges.delete(conn, row.id)


def list_badge_definitions(size: int, token: str):
    after = pagination.decode(token, {"badges": 1}, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = badges.page(conn, after[0] if after else None, limit + 1)
    page = rows[:limit]
    return page, pagination.encode([page[-1].id], {"badges": 1}) if len(rows) > limit else ""


def user_badges(user_id: str) -> list[sa.Row]:
    """Earned badges (newest first) then visible unearned ones with their progress; hidden badges
    only once earned."""
    with db.transaction() as conn:
        return badges.for_user(conn, user_id)


# ---- challenges ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChallengeSpec:
    title: str
    description: str
    challenge_type: str
    target_value: dict
    reward: dict  # {"points", "badge_code", "tokens": [{"token_type", "amount"}]}
    start_date: date
    end_date: date
    is_active: bool = True


def _challenge_values(spec: ChallengeSpec) -> dict:
    rule, problems = gd.challenge_rule(spec.challenge_type, spec.target_value)
    problems += gd.check_reward(spec.reward, wallet.TOKEN_TYPES)
    if spec.end_date < spec.start_date:
        problems.append(gd.FieldViolation("end_date", "must not be before start_date"))
    if problems:
        raise InvalidArgument.fields(problems)
    return {**asdict(spec), "target": rule.target, "category": rule.category}


def _check_badge_exists(conn: Connection, reward: dict) -> None:
    code = reward.get("badge_code")
    if code and badges.by_code(conn, code) is None:
        raise InvalidArgument.fields([gd.FieldViolation("reward.badge_code", f"no badge {code}")])


def _challenge_not_found(challenge_id: int) -> NotFound:
    return NotFound("CHALLENGE_NOT_FOUND", f"no challenge {challenge_id}", metadata={"challenge_id": str(challenge_id)})


def create_challenge(spec: ChallengeSpec, by: str) -> sa.Row:
    values = _challenge_values(spec)
    with db.transaction() as conn:
        _check_badge_exists(conn, spec.reward)
        return challenges.insert(conn, values, by, datetime.now(UTC))


def update_challenge(challenge_id: int, spec: ChallengeSpec, by: str) -> sa.Row:
    """Progress already made stays; a new target applies from the next event."""
    values = _challenge_values(spec)
    with db.transaction() as conn:
        _check_badge_exists(conn, spec.reward)
        row = challenges.update(conn, challenge_id, values, by, datetime.now(UTC))
    if row is None:
        raise _challenge_not_found(challenge_id)
    return row


def delete_challenge(challenge_id: int) -> None:
    with db.transaction() as conn:
        row = challenges.get(conn, challenge_id)
        if row is None:
            raise _challenge_not_found(challenge_id)
        if challenges.joined_by_anyone(conn, challenge_id):
            raise FailedPrecondition(
                "CHALLENGE_JOINED", "members joined it: deactivate it instead", metadata={"challenge_id": str(challenge_id)}
            )
        challenges.delete(conn, challenge_id)


def list_challenge_definitions(size: int, token: str):
    after = pagination.decode(token, {"challenges": 1}, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = challenges.page(conn, after[0] if after else None, limit + 1)
    page = rows[:limit]
    return page, pagination.encode([page[-1].id], {"challenges": 1}) if len(rows) > limit else ""


def running_challenges(user_id: str, now: datetime | None = None) -> tuple[list[sa.Row], date]:
    """Every running challenge with the member's part (unset when not joined), and today."""
    today = challenges._today(_now(now))
    with db.transaction() as conn:
        return challenges.running_for_user(conn, user_id, today), today


def join_challenge(user_id: str, challenge_id: int, now: datetime | None = None) -> sa.Row:
    now = _now(now)
    today = challenges._today(now)

    def work(conn: Connection) -> sa.Row:
        if not challenges.join(conn, user_id, challenge_id, today, now):
            row = challenges.get(conn, challenge_id)
            if row is None:
                raise _challenge_not_found(challenge_id)
            if challenges.part(conn, user_id, challenge_id) is not None:
                raise AlreadyExists("ALREADY_JOINED", "the member already joined this challenge", metadata={"challenge_id": str(challenge_id)})
            raise FailedPrecondition(
                "CHALLENGE_NOT_ACTIVE", "the challenge is not running today", metadata={"challenge_id": str(challenge_id)}
            )
        return challenges.part(conn, user_id, challenge_id)

    return db.retrying(work)


@dataclass(frozen=True)
class Claimed:
    points: int
    tokens: tuple[tuple[str, int], ...]
    badge_code: str
    badges_awarded: tuple[str, ...]


def claim_challenge(user_id: str, challenge_id: int, now: datetime | None = None) -> Claimed:
    """Grants a completed challenge's reward exactly once: points, tokens into the Reward wallet and
    the badge, in one transaction with the claim. Errors: NOT_FOUND CHALLENGE_NOT_FOUND;
    FAILED_PRECONDITION NOT_JOINED or CHALLENGE_NOT_COMPLETED; ALREADY_EXISTS ALREADY_CLAIMED."""
    now = _now(now)

    def work(conn: Connection) -> Claimed:
        c = challenges.get(conn, challenge_id)
        if c is None:
            raise _challenge_not_found(challenge_id)
        points.lock_account(conn, user_id, now)  # the account before the challenge row (module lock order)
        reward = c.reward or {}
        tokens = tuple((t["token_type"], int(t["amount"])) for t in reward.get("tokens", []))
        claim = {"points": int(reward.get("points", 0)), "tokens": [list(t) for t in tokens], "badge_code": reward.get("badge_code") or ""}
        if not challenges.mark_claimed(conn, user_id, challenge_id, claim, now):
            p = challenges.part(conn, user_id, challenge_id)
            meta = {"challenge_id": str(challenge_id)}
            if p is None:
                raise FailedPrecondition("NOT_JOINED", "the member has not joined this challenge", metadata=meta)
            if p.completed_at is None:
                raise FailedPrecondition("CHALLENGE_NOT_COMPLETED", f"progress {p.progress} of {c.target}", metadata=meta)
            raise AlreadyExists("ALREADY_CLAIMED", "the reward was already claimed", metadata=meta)
        key = f"challenge:{challenge_id}:{user_id}"
        if claim["points"]:
            _grant(conn, user_id, claim["points"], "CHALLENGE", key, c.title, {"challenge_id": challenge_id}, now)
        for token_type, amount in tokens:
            wallet.post(conn, user_id=user_id, token_type=token_type, delta=amount, reason="LOYALTY_CHALLENGE",
                        idempotency_key=f"loyalty:{key}:{token_type}", label=c.title, meta={"challenge_id": challenge_id}, now=now)
        won = _award_badges(conn, user_id, [], event_id=None, order_id=None, now=now, code=claim["badge_code"] or None)
        return Claimed(claim["points"], tokens, claim["badge_code"], tuple(won))

    return db.retrying(work)
