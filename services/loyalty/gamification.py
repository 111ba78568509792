"""Service layer of streaks, badges and challenges: each function owns its transaction (retried on
deadlock or serialization failure).

`apply_event` is the one way an activity event reaches them. Activity's RecordActivity calls it in
process for visits and purchases (to answer with the streak outcome) and the `activity.recorded`
subscriber calls it for every event; the event id is claimed in `gamification_events` in the same
transaction as the effects, so whichever call comes second answers the stored outcome. A visit or
login on a day already counted changes nothing, so it is answered by one read without a claim (the
subscriber's call reads the same). Claims older than GAMIFICATION_RETENTION are pruned (see
`prune_events`).

Lock order inside one member: the event claim, the streak row, the points account (taken by every
event that can grant or claw back points: purchases, refunds, reviews, and a visit that advances
the streak), the order's totals and counters, the member's challenge rows, badges. A claim of a
challenge's reward takes the account before the challenge row, the same order.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

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
# How long an applied event's claim is kept. Activity's event_keys dedupe a re-sent event id for all
# time; the claim here only has to outlive the subscriber's redeliveries (hours) and RecordActivity
# retries, which apply in process only within REPLAY_WINDOW of the first recording.
RETENTION = timedelta(days=30)
REPLAY_WINDOW = timedelta(days=1)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _expiry_days() -> int:
    from services.common.config import settings

    return loyalty_domain.Rules.from_settings(settings()).expiry_days


# ---- outcomes ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reward:
    """Something a step earned: `points` (a milestone's, amount in points), `freeze` (amount 1), or
    `badge` (the points of a badge the same event earned; reason is the badge's code)."""

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

_ORDER = sa.text(
    """
INSERT INTO loyalty.gamification_orders AS o (user_id, order_id, category, purchases, purchased, refunded)
VALUES (:u, :o, :cat, :p, :pa, :ra)
ON CONFLICT (user_id, order_id) DO UPDATE SET category = coalesce(o.category, excluded.category),
  purchases = o.purchases + excluded.purchases, purchased = o.purchased + excluded.purchased,
  refunded = o.refunded + excluded.refunded
RETURNING category, purchases, purchased, refunded
"""
)


def _order(conn: Connection, user_id: str, order_id: str, event_type: str, amount: int,
           category: str | None) -> tuple[gd.OrderTotals, gd.OrderTotals, str | None]:
    """Adds a purchase or refund to the order's totals; (before, after, the order's category)."""
    buy = event_type == "PURCHASE"
    d = gd.OrderTotals(int(buy), amount if buy else 0, 0 if buy else amount)
    row = conn.execute(_ORDER, {"u": user_id, "o": order_id, "cat": category if buy else None, "p": d.purchases,
                                "pa": d.purchased, "ra": d.refunded}).one()
    after = gd.OrderTotals(row.purchases, row.purchased, row.refunded)
    before = gd.OrderTotals(after.purchases - d.purchases, after.purchased - d.purchased, after.refunded - d.refunded)
    return before, after, row.category


def _grant(conn: Connection, user_id: str, amount: int, reason: str, key: str, label: str, meta: dict,
           now: datetime) -> points.Grant:
    return points.grant_points(
        conn, user_id=user_id, points=amount, reason=reason, source=reason.lower(), idempotency_key=key,
        expiry_days=_expiry_days(), label=label, meta=meta, now=now,
    )


def _granted(conn: Connection, key: str) -> bool:
    """Whether a grant under `key` exists (a lot is stored per grant key)."""
    return conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM loyalty.lots WHERE idempotency_key = :k)"), {"k": key}).scalar_one()


def _award_badges(conn: Connection, user_id: str, counters: list[str], *, event_id: str | None, order_id: str | None,
                  now: datetime, code: str | None = None) -> list[sa.Row]:
    """Awards what the counters (or `code`) earned, with each badge's points; the badges awarded."""
    won = badges.award(conn, user_id, counters, event_id=event_id, order_id=order_id, now=now, code=code)
    for b in won:
        if b.points_reward > 0:
            _grant(conn, user_id, b.points_reward, "BADGE", f"badge:{user_id}:{b.id}", b.code,
                   {"badge": b.code, "event_id": event_id, "order_id": order_id}, now)
    return won


def _streak_step(conn: Connection, user_id: str, streak_type: str, day: date, event_id: str, now: datetime,
                 r: gd.StreakRules) -> tuple[StreakOutcome, gd.StreakStep]:
    """Moves the streak by an active day. A day after the last one advances it (the cheap, common
    path); a day before it that was not yet counted rebuilds the run from the stored days
    (`gd.rebuild`); a day already counted changes nothing."""
    s = streaks.lock(conn, user_id, streak_type, now)
    if s.last_day is None or day > s.last_day:
        step = gd.advance(s, day, r)
        streaks.add_day(conn, user_id, streak_type, day, step.freezes_used)
    elif day < s.last_day and streaks.add_day(conn, user_id, streak_type, day):
        days, paid = streaks.days_until(conn, user_id, streak_type, s.last_day)
        step = gd.rebuild(s, days, r, paid)
        if step.advanced:
            streaks.mark_run_paid(conn, user_id, streak_type, step.state.run_start, step.state.last_day)
    else:
        step = gd.advance(s, day, r)  # the day is counted: no change
    rewards: list[Reward] = []
    if step.advanced:
        streaks.save(conn, user_id, streak_type, step.state, now)
        points.lock_account(conn, user_id, now)
        for days, amount in step.milestones:
            # Once per run (keyed by its first day): a run that breaks and reaches the milestone again
            # earns it again; a rebuilt run does not earn one its start already paid.
            key = f"streak:{user_id}:{streak_type}:{days}:{step.state.run_start.isoformat()}"
            if _granted(conn, key):
                continue  # paid already (perhaps at another configured amount): never refused, never twice
            g = _grant(conn, user_id, amount, "STREAK", key, f"{days}-day {streak_type} streak",
                       {"streak_type": streak_type, "days": days, "event_id": event_id}, now)
            if not g.replayed:
                rewards.append(Reward("points", amount, f"{days}-day streak", days))
        if step.freezes_earned:
            rewards.append(Reward("freeze", step.freezes_earned, f"{step.state.current}-day streak", step.state.current))
    st = step.state
    return (
        StreakOutcome(streak_type, st.current, st.max, step.is_record, tuple(rewards), step.broken, step.previous,
                      step.freezes_used, st.freezes, not step.advanced),
        step,
    )


def _peek(conn: Connection, event_id: str, user_id: str, streak_type: str, day: date) -> EventOutcome | None:
    """The answer to a visit or login without a write, when there is one: the stored outcome of an
    applied event id, or "already recorded" for a day already counted (which changes nothing, so no
    claim is needed: any later call for the event finds the day counted too)."""
    row = streaks.peek(conn, event_id, user_id, streak_type, day)
    if row.outcome is not None:
        return EventOutcome.from_json(row.outcome, duplicate=True)
    if not row.counted:
        return None
    s = streaks.state_of(row)
    return EventOutcome(False, StreakOutcome(streak_type, s.current, s.max, False, (), False, 0, 0, s.freezes, True))


def _take_tokens(conn: Connection, user_id: str, token_type: str, amount: int, key: str, meta: dict, now: datetime) -> int:
    """Takes back up to `amount` tokens, never below zero (what was spent already stays spent);
    returns what was taken. A concurrent spend between the read and the debit is retried."""
    for _ in range(3):
        take = min(wallet.balance(conn, user_id, token_type), amount)
        if take <= 0:
            return 0
        try:
            with conn.begin_nested():
                wallet.post(conn, user_id=user_id, token_type=token_type, delta=-take, reason="LOYALTY_CHALLENGE_CLAWBACK",
                            idempotency_key=key, label="challenge reward clawed back", meta=meta, now=now)
            return take
        except FailedPrecondition:
            continue
    return 0


def _claw_back(conn: Connection, user_id: str, c: sa.Row, event_id: str, now: datetime) -> dict:
    """Takes a claimed challenge's reward back after refunds took it under its target: its points
    (what the member no longer has becomes debt, paid from later credits) and its tokens (what was
    spent stays spent and is recorded). The reward's badge stays awarded."""
    claim = c.claim or {}
    meta = {"challenge_id": c.challenge_id, "event_id": event_id}
    key = "challenge-clawback" + challenges.reward_key(c.challenge_id, user_id, c.reversals).removeprefix("challenge")
    taken, debt = 0, 0
    if int(claim.get("points", 0)) > 0:
        taken, debt = points.claw_back(conn, user_id=user_id, points=int(claim["points"]), key=key, reason="CHALLENGE_CLAWBACK",
                                       label=c.title, meta=meta, now=now)
    tokens = [
        {"token_type": t, "amount": int(n), "taken": _take_tokens(conn, user_id, t, int(n), f"loyalty:{key}:{t}", meta, now)}
        for t, n in claim.get("tokens", [])
    ]
    record = {"points": int(claim.get("points", 0)), "points_taken": taken, "points_debt": debt, "tokens": tokens}
    challenges.mark_reversed(conn, user_id, c.challenge_id, record, now)
    return record


def _refund_challenges(conn: Connection, user_id: str, order_id: str, move: gd.OrderMove, event_id: str, now: datetime) -> int:
    """Takes what a refunded order added off the member's challenges; returns how many completions
    it undid (an unclaimed one is simply no longer completed; a claimed one is clawed back)."""
    undone = 0
    for c in challenges.contributions(conn, user_id, order_id):
        n = gd.refund_take(c.challenge_type, c.amount, c.counted, move)
        if not n:
            continue
        after = challenges.take_back(conn, user_id, c.challenge_id, order_id, n, c.target)
        if c.completed_at is None or after.progress >= c.target:
            continue
        undone += 1
        if c.claimed_at is not None:
            record = _claw_back(conn, user_id, c, event_id, now)
            log.info("challenge reward clawed back", extra={"fields": {"user_id": user_id, "challenge_id": c.challenge_id, **record}})
    return undone


def apply_event(event: dict, *, now: datetime | None = None, rules: gd.StreakRules | None = None) -> EventOutcome | None:
    """Applies one activity event to the member's streak, badges and challenges, exactly once per
    event id; None for event types none of them counts (no database work). A repeated event id
    answers the first outcome with `duplicate` set. `event` carries event_id, user_id, event_type,
    occurred_at, recorded_by (who recorded it: a REVIEW counts only from a trusted backend), and
    for purchases and refunds amount, category and order_id."""
    event_type = event["event_type"]
    if event_type not in gd.GAMIFIED_EVENTS:
        return None
    user, event_id = event["user_id"], str(event["event_id"])
    if event_type == "REVIEW" and not gd.review_counts(user, event.get("recorded_by")):
        return None
    now = _now(now)
    r = rules or streaks.rules()
    occurred_at = event["occurred_at"]
    if isinstance(occurred_at, str):
        occurred_at = datetime.fromisoformat(occurred_at)
    amount, category = max(int(event.get("amount") or 0), 0), event.get("category") or None
    order_id = event.get("order_id") or None
    day = r.day(occurred_at)
    streak_type = gd.STREAK_OF_EVENT.get(event_type)
    if event_type in gd.VISIT_EVENTS:
        quick = db.retrying(lambda conn: _peek(conn, event_id, user, streak_type, day), single_statements=True)
        if quick is not None:
            return quick

    def apply(conn: Connection) -> EventOutcome:
        if conn.execute(_CLAIM, {"e": event_id, "u": user, "t": event_type, "at": occurred_at, "now": now}).first() is None:
            stored = conn.execute(sa.text("SELECT outcome FROM loyalty.gamification_events WHERE event_id = :e"), {"e": event_id}).scalar_one()
            return EventOutcome.from_json(stored, duplicate=True)
        streak, step = None, None
        if streak_type:
            streak, step = _streak_step(conn, user, streak_type, day, event_id, now, r)
        if event_type not in gd.VISIT_EVENTS:
            points.lock_account(conn, user, now)
        moved: list[tuple[str, int]] = []
        if step is not None and step.advanced:
            moved.append((gd.streak_counter(streak_type), step.state.max))
        done: list[int] = []
        if event_type in ("PURCHASE", "PURCHASE_REFUND"):
            oid = order_id or f"event:{event_id}"
            before, after, cat = _order(conn, user, oid, event_type, amount, category)
            move = gd.order_move(before, after)
            moved += move.counters(cat)
            if event_type == "PURCHASE":
                types = (["purchase_amount"] if move.amount > 0 else []) + (
                    ["purchase_count"] + (["category"] if cat else []) if move.count > 0 else []
                )
                rows = challenges.progress(conn, user, types=types, day=day, occurred_at=occurred_at, amount=max(move.amount, 0),
                                           count=max(move.count, 0), category=cat, order_id=oid, now=now)
                done = [row.challenge_id for row in rows if row.completed]
            elif move.amount < 0 or move.count < 0:
                undone = _refund_challenges(conn, user, oid, move, event_id, now)
                if undone:
                    moved.append(("challenges_completed", -undone))
        elif event_type == "REVIEW":
            moved.append(("reviews", 1))
        elif streak_type == "daily_visit" and step is not None and step.advanced:
            # A rebuilt run counts up to its last day; the event's own time would be before it.
            at = occurred_at if step.state.last_day == day else now
            rows = challenges.progress(conn, user, types=["streak"], day=step.state.last_day, occurred_at=at,
                                       streak=step.state.current, now=now)
            done = [row.challenge_id for row in rows if row.completed]
        if done:
            moved.append(("challenges_completed", len(done)))
        badges.bump(conn, user, moved)
        won = _award_badges(conn, user, [k for k, v in moved if v > 0], event_id=event_id, order_id=order_id, now=now)
        if streak is not None:
            # The call answers every point the event earned: badge points too.
            streak = replace(streak, rewards=streak.rewards + tuple(Reward("badge", b.points_reward, b.code) for b in won if b.points_reward > 0))
        outcome = EventOutcome(False, streak, tuple(b.code for b in won), tuple(done))
        conn.execute(
            sa.text("UPDATE loyalty.gamification_events SET outcome = CAST(:o AS jsonb) WHERE event_id = :e").bindparams(
                sa.bindparam("o", type_=sa.JSON)
            ),
            {"o": outcome.to_json(), "e": event_id},
        )
        return outcome

    return db.retrying(apply)


def prune_events(now: datetime | None = None, batch: int = 10_000) -> int:
    """Deletes claims of events applied more than RETENTION ago, in batches; the rows deleted. Safe:
    an event id is re-sent only by RecordActivity retries (Activity answers DUPLICATE and the
    in-process call is skipped past REPLAY_WINDOW) or by the subscriber's redeliveries, which end
    within hours."""
    cutoff = _now(now) - RETENTION
    total = 0
    while True:
        n = db.retrying(lambda conn: conn.execute(
            sa.text("DELETE FROM loyalty.gamification_events WHERE event_id IN (SELECT event_id FROM loyalty.gamification_events "
                    "WHERE processed_at < :cutoff LIMIT :n)"),
            {"cutoff": cutoff, "n": batch},
        ).rowcount)
        total += n
        if n < batch:
            return total


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


def _award_collection(conn: Connection, row: sa.Row, now: datetime) -> None:
    """A collection saved now goes at once to the members who already hold all its badges (later
    events would never look at it again), with its points; set-based."""
    if row.condition_type != "collection":
        return
    for user_id in badges.award_collection_to_holders(conn, row.id, now):
        if row.points_reward > 0:
            _grant(conn, user_id, row.points_reward, "BADGE", f"badge:{user_id}:{row.id}", row.code, {"badge": row.code}, now)


def create_badge(spec: BadgeSpec, by: str) -> sa.Row:
    values = _badge_values(spec)
    now = datetime.now(UTC)
    try:
        with db.transaction() as conn:
            row = badges.insert(conn, values, by, now)
            _award_collection(conn, row, now)
            return row
    except sa.exc.IntegrityError:
        raise AlreadyExists("BADGE_EXISTS", f"a badge {spec.code} exists", metadata={"code": spec.code}) from None


def update_badge(spec: BadgeSpec, by: str) -> sa.Row:
    """Members who already hold the badge keep it; the new condition applies from the next event
    (a collection's at once, to the members who hold all its badges)."""
    values = _badge_values(spec)
    now = datetime.now(UTC)
    with db.transaction() as conn:
        row = badges.update(conn, values, by, now)
        if row is not None:
            _award_collection(conn, row, now)
    if row is None:
        raise _badge_not_found(spec.code)
    return row


def delete_badge(code: str) -> None:
    """Errors: NOT_FOUND BADGE_NOT_FOUND; FAILED_PRECONDITION BADGE_EARNED (members hold it) or
    BADGE_IN_USE (a challenge's reward or a collection names it)."""
    with db.transaction() as conn:
        row = badges.by_code(conn, code, lock=True)
        if row is None:
            raise _badge_not_found(code)
        if badges.earned_by_anyone(conn, row.id):
            raise FailedPrecondition("BADGE_EARNED", f"members hold {code}: hide it instead", metadata={"code": code})
        users = challenges.reward_badge_users(conn, code)
        collections = badges.collections_naming(conn, code)
        if users or collections:
            raise FailedPrecondition(
                "BADGE_IN_USE", f"{code} is a challenge's reward or part of a collection",
                metadata={"code": code, "challenge_ids": ",".join(map(str, users)), "collections": ",".join(collections)},
            )
        badges.delete(conn, row.id)


def list_badge_definitions(size: int, token: str):
    after = pagination.decode(token, {"badges": 1}, shape=(int,))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        rows = badges.page(conn, after[0] if after else None, limit + 1)
    return pagination.split(rows, limit, {"badges": 1})


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
    if code and badges.by_code(conn, code, lock=True) is None:  # locked: a concurrent delete waits, then sees the use
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
    return pagination.split(rows, limit, {"challenges": 1})


def running_challenges(user_id: str, now: datetime | None = None) -> tuple[list[sa.Row], date]:
    """Every running challenge with the member's part (unset when not joined), and today."""
    today = challenges._today(_now(now))
    with db.transaction() as conn:
        return challenges.running_for_user(conn, user_id, today), today


def join_challenge(user_id: str, challenge_id: int, now: datetime | None = None) -> tuple[sa.Row, date]:
    """Joins a running challenge; the challenge with the member's part (as `running_challenges`
    rows) and today. Errors: NOT_FOUND CHALLENGE_NOT_FOUND; ALREADY_EXISTS ALREADY_JOINED;
    FAILED_PRECONDITION CHALLENGE_NOT_ACTIVE."""
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
        return challenges.with_part(conn, user_id, challenge_id)

    return db.retrying(work), today


@dataclass(frozen=True)
class Claimed:
    points: int
    tokens: tuple[tuple[str, int], ...]
    badge_code: str
    badges_awarded: tuple[str, ...]
    replayed: bool = False  # a repeated claim: the first claim's answer, nothing granted again

    @classmethod
    def stored(cls, claim: dict) -> Claimed:
        return cls(int(claim.get("points", 0)), tuple((t, int(n)) for t, n in claim.get("tokens", [])),
                   claim.get("badge_code") or "", tuple(claim.get("badges_awarded", [])), True)


def claim_challenge(user_id: str, challenge_id: int, now: datetime | None = None) -> Claimed:
    """Grants a completed challenge's reward exactly once: points, tokens into the Reward wallet and
    the badge, in one transaction with the claim. A repeated claim answers the first claim's reward
    with `replayed` set. Errors: NOT_FOUND CHALLENGE_NOT_FOUND;
    FAILED_PRECONDITION NOT_JOINED or CHALLENGE_NOT_COMPLETED.

    Refunds: a refund takes its order's part off the progress; before the claim that may undo the
    completion, after it (progress back under the target) the reward is clawed back: the points
    (what the member no longer has becomes debt) and the tokens (never below zero; what was spent is
    recorded in `clawback`). The reward's badge stays awarded. A clawback reopens the challenge: a
    later qualifying event inside the window completes it again, and its claim pays again (under
    keys suffixed with the number of clawbacks before it)."""
    now = _now(now)

    def work(conn: Connection) -> Claimed:
        c = challenges.get(conn, challenge_id)
        if c is None:
            raise _challenge_not_found(challenge_id)
        points.lock_account(conn, user_id, now)  # the account before the challenge row (module lock order)
        reward = c.reward or {}
        tokens = tuple(gd.merged_tokens(reward.get("tokens", [])))
        claim = {"points": int(reward.get("points", 0)), "tokens": [list(t) for t in tokens], "badge_code": reward.get("badge_code") or ""}
        reversals = challenges.mark_claimed(conn, user_id, challenge_id, claim, now)
        if reversals is None:
            p = challenges.part(conn, user_id, challenge_id)
            meta = {"challenge_id": str(challenge_id)}
            if p is None:
                raise FailedPrecondition("NOT_JOINED", "the member has not joined this challenge", metadata=meta)
            if p.completed_at is None:
                raise FailedPrecondition("CHALLENGE_NOT_COMPLETED", f"progress {p.progress} of {c.target}", metadata=meta)
            return Claimed.stored(p.claim or {})
        key = challenges.reward_key(challenge_id, user_id, reversals)
        if claim["points"]:
            _grant(conn, user_id, claim["points"], "CHALLENGE", key, c.title, {"challenge_id": challenge_id}, now)
        for token_type, amount in tokens:
            wallet.post(conn, user_id=user_id, token_type=token_type, delta=amount, reason="LOYALTY_CHALLENGE",
                        idempotency_key=f"loyalty:{key}:{token_type}", label=c.title, meta={"challenge_id": challenge_id}, now=now)
        won = [b.code for b in _award_badges(conn, user_id, [], event_id=None, order_id=None, now=now, code=claim["badge_code"] or None)]
        challenges.set_claim(conn, user_id, challenge_id, {**claim, "badges_awarded": won})
        return Claimed(claim["points"], tokens, claim["badge_code"], tuple(won))

    return db.retrying(work)
