"""The delivery engine: who a campaign targets, and the batch transaction that rewards and messages
them exactly once.

A targeted user gets one `campaign_logs` row (the primary key is the exactly-once guard), PENDING or
HELD_OUT (the control group). A SCHEDULED campaign snapshots its whole segment at launch, numbered
into batches, one worker message each; entry and event triggers (services/campaign/triggers.py)
write their users' logs and hand them to `deliver`. `deliver` claims a batch's PENDING logs and, in one transaction with set-based
statements, applies the e-mail address check and the daily frequency cap, grants the rewards (keys
`campaign:<id>:<user>`, so a retry after a rollback grants nothing twice), writes the in-app messages
or the pending e-mail/webhook sends, and settles the logs. Channel sends happen after the commit
(`send_due`) and are retried with backoff under a stable delivery id; they never roll back a reward.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.campaign import channels, domain, repository
from services.common import db
from services.common.config import settings
from services.common.errors import AlreadyExists, DomainError, FailedPrecondition

log = logging.getLogger("engage.campaign")

STALE_BATCH = timedelta(minutes=3)  # a campaign without a batch done for this long gets its pending batches re-sent
ORPHAN_AFTER = timedelta(minutes=1)  # entry/event logs left pending this long are delivered by the sweeper
ORPHAN_CHUNKS = 5  # the sweeper delivers at most this many CAMPAIGN_BATCH_SIZE chunks of them per run
SEND_CHUNK = 25  # sends claimed, sent and settled together
SEND_BUDGET_SECONDS = 240.0  # one send_due call stops claiming after this long
MAX_BACKOFF = timedelta(hours=1)

_CONTROL = domain.CONTROL_SQL.format(campaign="CAST(:cid AS text)", user="{user}")


def grant_key(campaign_id: int, user_id: str) -> str:
    """The idempotency key of a user's reward from a campaign (wallet, points, coupon and budget)."""
    return f"campaign:{campaign_id}:{user_id}"


def delivery_id(campaign_id: int, user_id: str) -> str:
    """A stable id for one user's message of a campaign, safe in a Message-ID: receivers drop resends."""
    return f"{campaign_id}.{hashlib.sha256(user_id.encode()).hexdigest()[:24]}"


def _tz(campaign) -> ZoneInfo:
    return domain.zone(campaign.timezone or "") or ZoneInfo(settings().timezone)


def quiet_until(campaign, now: datetime) -> datetime | None:
    """When the campaign's quiet window around `now` ends (None outside it or without one)."""
    return domain.quiet_until(
        now, domain.parse_hhmm(campaign.quiet_hours_start or ""), domain.parse_hhmm(campaign.quiet_hours_end or ""), _tz(campaign)
    )


# ---------------------------------------------------------------------------------------------
# Targeting (SCHEDULED campaigns; entry and event triggers target in services/campaign/triggers.py).


def launch(campaign_id: int, *, batch_size: int | None = None, now: datetime | None = None) -> int:
    """Snapshots a RUNNING SCHEDULED-trigger campaign's segment into logs and batches, once (under the
    campaign's lock; a second launch finds launched_at set). Returns the number of users targeted.
    `enqueue` sends the batches afterwards."""
    now = now or datetime.now(UTC)
    size = max(1, batch_size or settings().campaign_batch_size)
    with db.transaction() as conn:
        c = repository.get(conn, campaign_id, lock=True)
        if c is None or c.status != "RUNNING" or c.trigger != "SCHEDULED" or c.launched_at is not None:
            return 0
        conn.execute(sa.text("SET LOCAL statement_timeout = '10min'"))
        # Pending users are numbered on their own, so every batch but the last is full.
        targeted = conn.execute(
            sa.text(
                f"""
WITH members AS (
  SELECT user_id, {_CONTROL.format(user="user_id")} < :pct AS held
  FROM segmentation.user_segments WHERE segment = :seg
), logs AS (
  INSERT INTO campaign.campaign_logs (campaign_id, user_id, batch, status, created_at, processed_at)
  SELECT :cid, user_id,
         CASE WHEN NOT held THEN ((row_number() OVER (PARTITION BY held ORDER BY user_id)) - 1) / :size END,
         CASE WHEN held THEN 'HELD_OUT' ELSE 'PENDING' END, :now, CASE WHEN held THEN :now END
  FROM members
  ON CONFLICT DO NOTHING RETURNING batch
), batches AS (
  INSERT INTO campaign.batches (campaign_id, batch, users)
  SELECT :cid, batch, count(*) FROM logs WHERE batch IS NOT NULL GROUP BY batch
)
SELECT count(*) FROM logs
"""
            ),
            {"cid": campaign_id, "seg": c.segment, "pct": c.control_group_percent, "size": size, "now": now},
        ).scalar_one()
        conn.execute(sa.text("UPDATE campaign.campaigns SET launched_at = :now WHERE id = :id"), {"id": campaign_id, "now": now})
        repository.record_change(conn, campaign_id, action="launched", from_status="RUNNING", to_status="RUNNING",
                                 by=repository.SCHEDULER, now=now, detail={"targeted": targeted, "batch_size": size})
    return targeted


def claim_batches(campaign_id: int | None, now: datetime, *, stale: timedelta | None = STALE_BATCH) -> list[tuple[int, int]]:
    """Marks pending batches of running campaigns as enqueued now and returns them: the ones never
    sent, and (with `stale`) the ones sent longer ago than that without being done. Two callers
    never both get one."""
    where = "b.status = 'PENDING' AND c.status = 'RUNNING'"
    if campaign_id is not None:
        where += " AND b.campaign_id = :cid"
    where += " AND (b.enqueued_at IS NULL OR b.enqueued_at < :before)" if stale is not None else " AND b.enqueued_at IS NULL"
    with db.transaction() as conn:
        rows = conn.execute(
            sa.text(
                f"""
UPDATE campaign.batches u SET enqueued_at = :now
FROM (SELECT b.campaign_id, b.batch FROM campaign.batches b JOIN campaign.campaigns c ON c.id = b.campaign_id
      WHERE {where} ORDER BY b.campaign_id, b.batch FOR UPDATE OF b SKIP LOCKED) x
WHERE u.campaign_id = x.campaign_id AND u.batch = x.batch
RETURNING u.campaign_id, u.batch
"""
            ),
            {"cid": campaign_id, "now": now, "before": now - (stale or timedelta(0))},
        ).all()
    return sorted((r.campaign_id, r.batch) for r in rows)


def enqueue(campaign_id: int, *, now: datetime | None = None) -> int:
    """Sends one worker message per pending, not yet sent batch of the campaign; returns how many."""
    from services.campaign import actors  # the actors import this module

    batches = claim_batches(campaign_id, now or datetime.now(UTC), stale=None)
    for cid, b in batches:
        actors.deliver_batch.send(cid, b)
    return len(batches)


def requeue(campaign_id: int, *, now: datetime | None = None) -> int:
    """After a resume: re-sends every pending batch of the campaign (their messages were consumed
    while it was paused) and the pending entry/event users. Returns the number of messages."""
    from services.campaign import actors

    now = now or datetime.now(UTC)
    batches = claim_batches(campaign_id, now, stale=timedelta(0))
    for cid, b in batches:
        actors.deliver_batch.send(cid, b)
    sent = len(batches)
    # Pending entry/event users, one message per chunk, read chunk by chunk (user order) so a large
    # backlog is never held in memory at once.
    size, after = max(1, settings().campaign_batch_size), ""
    while True:
        with db.transaction() as conn:
            users = conn.execute(
                sa.text(
                    "SELECT user_id FROM campaign.campaign_logs WHERE campaign_id = :cid AND status = 'PENDING' "
                    "AND batch IS NULL AND user_id > :after ORDER BY user_id LIMIT :n"
                ),
                {"cid": campaign_id, "after": after, "n": size},
            ).scalars().all()
        if not users:
            break
        actors.deliver_users.send(campaign_id, list(users))
        sent += 1
        after = users[-1]
        if len(users) < size:
            break
    return sent


def _deliver_orphans(now: datetime) -> int:
    """Delivers, in this process, entry/event logs left pending longer than ORPHAN_AFTER (their
    worker message was lost, or they were held by quiet hours) of running campaigns outside their
    quiet hours: oldest first, at most ORPHAN_CHUNKS chunks per sweep. Delivering instead of
    re-sending messages means a sweep never adds to a backlog. Returns the logs claimed."""
    size = max(1, settings().campaign_batch_size)
    before = now - ORPHAN_AFTER
    with db.transaction() as conn:
        campaigns = conn.execute(
            sa.text(
                "SELECT c.* FROM campaign.campaigns c WHERE c.status = 'RUNNING' AND c.trigger <> 'SCHEDULED' AND EXISTS "
                "(SELECT 1 FROM campaign.campaign_logs l WHERE l.campaign_id = c.id AND l.status = 'PENDING' "
                "AND l.batch IS NULL AND l.created_at <= :before)"
            ),
            {"before": before},
        ).all()
        ids = [c.id for c in campaigns if quiet_until(c, now) is None]
        rows = conn.execute(
            sa.text(
                "SELECT campaign_id, user_id FROM campaign.campaign_logs WHERE campaign_id = ANY(CAST(:ids AS bigint[])) "
                "AND status = 'PENDING' AND batch IS NULL AND created_at <= :before "
                "ORDER BY created_at, campaign_id, user_id LIMIT :n"
            ),
            {"ids": ids, "before": before, "n": ORPHAN_CHUNKS * size},
        ).all() if ids else []
    by_campaign: dict[int, list[str]] = {}
    for r in rows:
        by_campaign.setdefault(r.campaign_id, []).append(r.user_id)
    claimed = 0
    for cid, users in by_campaign.items():
        for i in range(0, len(users), size):
            # Their e-mails and webhooks are left to retry_sends: the sweep stays short.
            claimed += _isolated(cid, "orphan delivery", lambda: deliver(cid, user_ids=users[i : i + size], now=now, send=False).claimed)
    return claimed


def _isolated(campaign_id: int, step: str, work) -> int:
    """Runs one campaign's share of a sweep step; a failure is logged and skipped, so one broken
    campaign cannot hold every other campaign's sweep back (its work is tried again next sweep)."""
    try:
        return work()
    except Exception:
        log.exception("campaign sweep: %s of campaign %s failed", step, campaign_id)
        return 0


# ---------------------------------------------------------------------------------------------
# The batch transaction.


@dataclass
class Outcome:
    """What one `deliver` call did (counts by the status it left the logs in)."""

    claimed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    held_until: datetime | None = None  # quiet hours: nothing was done before then
    sending: list[str] = field(default_factory=list)
    stale: bool = False  # the campaign changed since it was read: nothing was done, read it again


@dataclass
class _User:
    status: str = "DELIVERED"
    reason: str | None = None
    meta: dict = field(default_factory=dict)
    reward_text: str = ""
    coupon_code: str = ""
    coupon_id: int | None = None
    offer: domain.Reward | None = None
    selection_id: str | None = None
    address: str | None = None


def _pending(campaign_id: int, batch: int | None, user_ids: list[str] | None) -> list[str]:
    with db.transaction() as conn:
        return list(conn.execute(*_pending_query(campaign_id, batch, user_ids, lock=False)).scalars())


def _pending_query(campaign_id: int, batch: int | None, user_ids: list[str] | None, *, lock: bool):
    where = "campaign_id = :cid AND status = 'PENDING'"
    if batch is not None:
        where += " AND batch = :batch"
    if user_ids is not None:
        where += " AND user_id = ANY(CAST(:users AS text[]))"
    suffix = " FOR UPDATE SKIP LOCKED" if lock else ""
    return (
        sa.text(f"SELECT user_id FROM campaign.campaign_logs WHERE {where} ORDER BY user_id{suffix}"),
        {"cid": campaign_id, "batch": batch, "users": list(user_ids or [])},
    )


def deliver(campaign_id: int, *, batch: int | None = None, user_ids: list[str] | None = None, now: datetime | None = None,
            send: bool = True) -> Outcome:
    """Delivers the campaign's PENDING logs of `batch` (or of `user_ids`, or all of them): nothing
    unless the campaign is RUNNING and outside its quiet hours (then `held_until` says when to come
    back). Safe to repeat and to run concurrently: logs are claimed with SKIP LOCKED and whatever a
    committed call settled is no longer pending. With `send`, the e-mails and webhooks of this call
    are attempted after the commit."""
    given, now = now, now or datetime.now(UTC)
    for _ in range(3):
        with db.transaction() as conn:
            c = repository.get(conn, campaign_id)
        if c is None or c.status != "RUNNING":
            return Outcome()
        held = quiet_until(c, now)
        if held is not None:
            return Outcome(held_until=held)
        spec, problems = domain.parse_reward(c.reward_type, c.reward_value)
        if spec is None:
            raise ValueError(f"campaign {campaign_id} has an invalid reward: {problems}")
        choices: dict[str, tuple[domain.Reward, str]] = {}
        if spec.offers:
            # Chosen before the transaction: the selection commits on its own and answers a replay alike.
            choices = _choose_offers(campaign_id, spec, _pending(campaign_id, batch, user_ids), now)
        out = _run(campaign_id, batch, user_ids, now, spec, choices, c.version)
        if not out.stale:
            break
        # Edited (pause, edit, resume) between the read above and the transaction's lock: the
        # reward, template and quiet hours are read again.
    else:
        raise RuntimeError(f"campaign {campaign_id} keeps changing under its delivery; retried later")
    if send and out.sending:
        # Each chunk's claim reads the clock again (unless the caller fixed `now`, as tests do).
        send_due(campaign_id=campaign_id, user_ids=out.sending, now=given, limit=len(out.sending))
    return out


def _run(campaign_id: int, batch, user_ids, now: datetime, spec, choices: dict, version: int) -> Outcome:
    """The batch transaction; when it fails for a reason that retrying would only repeat (one
    user's grant refused), it is redone granting user by user, each in a savepoint, so only the
    failing users end FAILED (REWARD_ERROR) and the rest are delivered."""
    try:
        return db.retrying(lambda conn: _deliver_in(conn, campaign_id, batch, user_ids, now, spec, choices, version))
    except Exception as e:
        if db.is_transient(e):
            raise
        log.warning("campaign %s: batch %s failed (%s: %s); delivering user by user", campaign_id, batch, type(e).__name__, e)
    return db.retrying(lambda conn: _deliver_in(conn, campaign_id, batch, user_ids, now, spec, choices, version, isolate=True))


def _choose_offers(campaign_id: int, spec: domain.RewardSpec, users: list[str], now: datetime) -> dict:
    from services.reward import selection

    arms = sorted(o.arm for o in spec.offers)  # the request's candidates: order-free across edits
    made = selection.select_many([(u, grant_key(campaign_id, u)) for u in users], {"campaign": str(campaign_id)}, arms, now=now)
    chosen = {}
    for u, row in made.items():
        if isinstance(row, AlreadyExists) or row.arm not in arms:
            # A choice made among other offers (admin refuses such edits once a campaign started):
            # the user fails alone rather than holding the batch back forever.
            chosen[u] = (None, f"{type(row).__name__}: {row}"[:300] if isinstance(row, AlreadyExists) else f"unknown arm {row.arm}")
        else:
            chosen[u] = (spec.by_arm(row.arm), str(row.id))
    return chosen


def _deliver_in(conn: Connection, campaign_id: int, batch, user_ids, now: datetime, spec: domain.RewardSpec, choices: dict,
                version: int, *, isolate: bool = False) -> Outcome:
    # A share lock: deliveries run side by side, a pause or cancel waits for them (and they for it).
    c = conn.execute(sa.text("SELECT * FROM campaign.campaigns WHERE id = :id FOR SHARE"), {"id": campaign_id}).one()
    if c.status != "RUNNING":
        return Outcome()
    if c.version != version:
        return Outcome(stale=True)
    claimed = list(conn.execute(*_pending_query(campaign_id, batch, user_ids, lock=True)).scalars())
    out = Outcome(claimed=len(claimed))
    if claimed:
        users = {u: _User() for u in claimed}
        _addresses(conn, c, users)
        _offers(spec, choices, users)
        _cap(conn, users, now)
        _rewards(conn, c, spec, choices, users, now, isolate=isolate)
        _messages(conn, c, users, now)
        _settle(conn, c, users, now)
        for u in users.values():
            out.statuses[u.status] = out.statuses.get(u.status, 0) + 1
        out.sending = [k for k, u in users.items() if u.status == "SENDING"]
    if batch is not None:
        conn.execute(
            sa.text(
                "UPDATE campaign.batches SET status = 'DONE', done_at = :now WHERE campaign_id = :cid AND batch = :b "
                "AND status = 'PENDING' AND NOT EXISTS (SELECT 1 FROM campaign.campaign_logs WHERE campaign_id = :cid "
                "AND batch = :b AND status = 'PENDING')"
            ),
            {"cid": campaign_id, "b": batch, "now": now},
        )
    return out


def _live(users: dict[str, _User]) -> list[str]:
    return sorted(k for k, u in users.items() if u.status == "DELIVERED")


def _fail(u: _User, status: str, reason: str) -> None:
    u.status, u.reason = status, reason


def _addresses(conn: Connection, c, users: dict[str, _User]) -> None:
    """E-mail needs an address and the user's opt-in; a webhook needs the campaign's URL."""
    if c.channel == "WEBHOOK":
        for u in users.values():
            if c.webhook_url:
                u.address = c.webhook_url
            else:
                _fail(u, "FAILED", "NO_WEBHOOK_URL")
    if c.channel != "EMAIL":
        return
    rows = conn.execute(
        sa.text(
            "SELECT u, k.email, coalesce(k.email_opt_in, false) AS opt_in FROM unnest(CAST(:users AS text[])) u "
            "LEFT JOIN campaign.contacts k ON k.user_id = u"
        ),
        {"users": list(users)},
    ).all()
    for r in rows:
        u = users[r.u]
        if not r.email:
            _fail(u, "FAILED", "NO_EMAIL_ADDRESS")
        elif not r.opt_in:
            _fail(u, "FAILED", "EMAIL_OPTED_OUT")
        else:
            u.address = r.email


def cap_day(now: datetime):
    return now.astimezone(ZoneInfo(settings().timezone)).date()


def _cap(conn: Connection, users: dict[str, _User], now: datetime) -> None:
    """Counts today's message for each user still under the cap, in one statement (rows locked in
    user order, so concurrent batches cannot deadlock or both pass the last slot); the rest are
    SUPPRESSED. A cap of 0 or less turns the cap off."""
    cap = settings().campaign_frequency_cap
    live = _live(users)
    if cap <= 0 or not live:
        return
    passed = set(
        conn.execute(
            sa.text(
                """
INSERT INTO campaign.daily_sends AS d (user_id, day, sent)
SELECT u, :day, 1 FROM unnest(CAST(:users AS text[])) u ORDER BY u
ON CONFLICT (user_id, day) DO UPDATE SET sent = d.sent + 1 WHERE d.sent < :cap
RETURNING d.user_id
"""
            ),
            {"users": live, "day": cap_day(now), "cap": cap},
        ).scalars()
    )
    for k in live:
        if k not in passed:
            _fail(users[k], "SUPPRESSED", "FREQUENCY_CAP")


def prune_daily_sends(now: datetime | None = None) -> int:
    """Drops the cap counters of days before yesterday (the cap reads only today's)."""
    with db.transaction() as conn:
        return conn.execute(
            sa.text("DELETE FROM campaign.daily_sends WHERE day < :day"), {"day": cap_day(now or datetime.now(UTC)) - timedelta(days=1)}
        ).rowcount


def _uncount(conn: Connection, user_ids: list[str], now: datetime) -> None:
    """Gives back today's cap slot of users who, in the end, got no message."""
    if user_ids and settings().campaign_frequency_cap > 0:
        today = "(SELECT u AS user_id, CAST(:day AS date) AS cap_day FROM unnest(CAST(:users AS text[])) u) r"
        conn.execute(sa.text(_GIVE_BACK.format(source=today)), {"day": cap_day(now), "users": sorted(user_ids)})


# ---------------------------------------------------------------------------------------------
# Rewards.


def _offers(spec: domain.RewardSpec, choices: dict, users: dict[str, _User]) -> None:
    """The offer chosen for each user of an OFFER campaign."""
    if not spec.offers:
        return
    for k in _live(users):
        if k in choices and choices[k][0] is None:
            _fail(users[k], "FAILED", "REWARD_ERROR")
            users[k].meta = {"error": choices[k][1]}
        elif k in choices:
            users[k].offer, users[k].selection_id = choices[k]
        else:  # became pending after the offers were chosen: it stays pending for the next call
            users[k].status = "PENDING"


def _rewards(conn: Connection, c, spec: domain.RewardSpec, choices: dict, users: dict[str, _User], now: datetime, *,
             isolate: bool = False) -> None:
    live = _live(users)
    if not live:
        return
    groups: dict[domain.Reward, list[str]] = {}
    for k in live:
        groups.setdefault(users[k].offer or spec.reward, []).append(k)
    budgeted = conn.execute(sa.text("SELECT reward.has_budget('CAMPAIGN', :id)"), {"id": str(c.id)}).scalar()
    refused: list[str] = []
    for reward, ks in groups.items():
        if reward.type == "COUPON" and not _coupon_usable(conn, reward.coupon_id, now):
            for k in ks:
                _fail(users[k], "FAILED", "REWARD_UNAVAILABLE")
            refused += ks
            continue
        if isolate:
            refused += _grant_each(conn, c, reward, ks, users, now, budgeted=budgeted and reward.type != "NONE", isolate=True)
            continue
        if budgeted and reward.type != "NONE":
            ks, over = _within_budget(conn, c, reward, ks, now)
            for k in over:
                _fail(users[k], "FAILED", "BUDGET_EXHAUSTED")
            refused += over
        _grant(conn, c, reward, ks, users, now)
    _uncount(conn, refused, now)


def _within_budget(conn: Connection, c, reward: domain.Reward, ks: list[str], now: datetime) -> tuple[list[str], list[str]]:
    """Splits the users into those the campaign's budget still covers (counted now, in one go) and
    those it refuses."""
    from services.reward import budgets

    taken = set(budgets.consume_many(
        conn, owner_kind="CAMPAIGN", owner_id=str(c.id), keys=[grant_key(c.id, k) for k in ks], now=now,
        tokens=reward.amount if reward.type == "TOKEN" else 0, token_type=reward.token_type,
        points=reward.amount if reward.type == "POINTS" else 0,
    ))
    return [k for k in ks if grant_key(c.id, k) in taken], [k for k in ks if grant_key(c.id, k) not in taken]


def _coupon_usable(conn: Connection, coupon_id: int, now: datetime) -> bool:
    from services.coupon import repository as coupons

    return bool(coupons.usable_templates(conn, [coupon_id], now))


def _grant_each(conn: Connection, c, reward: domain.Reward, ks: list[str], users: dict[str, _User], now: datetime, *,
                budgeted: bool, isolate: bool) -> list[str]:
    """One savepoint per user: the budget (when the campaign has one) counts the grant or refuses
    it, and a refusal undoes only that user's charge; with `isolate`, any other non-transient error
    of the user's grant fails only that user (REWARD_ERROR, the error in the log's meta). Returns
    the refused users."""
    from services.reward import budgets

    refused = []
    for k in ks:
        try:
            with conn.begin_nested():
                if budgeted:
                    budgets.consume(
                        conn, owner_kind="CAMPAIGN", owner_id=str(c.id), key=grant_key(c.id, k), now=now,
                        tokens=reward.amount if reward.type == "TOKEN" else 0, token_type=reward.token_type,
                        points=reward.amount if reward.type == "POINTS" else 0,
                    )
                _grant(conn, c, reward, [k], users, now)
        except Exception as e:
            if isinstance(e, FailedPrecondition) and e.reason == "BUDGET_EXHAUSTED":
                _fail(users[k], "FAILED", "BUDGET_EXHAUSTED")
                users[k].meta = {}
            elif isolate and not db.is_transient(e):
                _fail(users[k], "FAILED", "REWARD_ERROR")
                reason = getattr(e, "reason", None)
                users[k].meta = {"error": f"{type(e).__name__}{f' {reason}' if reason else ''}: {e}"[:300]}
                users[k].coupon_code, users[k].coupon_id = "", None
            else:
                raise
            refused.append(k)
    return refused


def _grant(conn: Connection, c, reward: domain.Reward, ks: list[str], users: dict[str, _User], now: datetime) -> None:
    meta = {"campaign_id": str(c.id)}
    text = reward.describe()
    if reward.type == "TOKEN":
        from services.reward import wallet

        wallet.post_many(conn, credits=[(k, grant_key(c.id, k)) for k in ks], token_type=reward.token_type,
                         delta=reward.amount, reason="CAMPAIGN", label=c.name, meta=meta, now=now)
    elif reward.type == "POINTS":
        from services.loyalty import points

        extra = {"expiry_days": reward.expiry_days} if reward.expiry_days else {}
        points.grant_points_many(conn, grants=[(k, grant_key(c.id, k)) for k in ks], points=reward.amount, reason="CAMPAIGN",
                                 source="campaign", label=c.name, meta=meta, now=now, **extra)
    elif reward.type == "COUPON":
        from services.coupon import service as coupons

        codes = coupons.issue_personal_codes(conn, template_coupon_id=reward.coupon_id, grants=[(k, grant_key(c.id, k)) for k in ks])
        for k, (code, coupon_id) in codes.items():
            users[k].coupon_code, users[k].coupon_id = code, coupon_id
            users[k].meta["coupon_code"] = code
        text = ""
    for k in ks:
        u = users[k]
        u.reward_text = text or u.coupon_code or reward.label
        if reward.type != "NONE":
            u.meta["reward"] = {"type": reward.type, "token_type": reward.token_type, "amount": reward.amount,
                                "coupon_id": str(reward.coupon_id) if reward.coupon_id else None}


# ---------------------------------------------------------------------------------------------
# Messages and logs.


def _messages(conn: Connection, c, users: dict[str, _User], now: datetime) -> None:
    live = _live(users)
    if not live:
        return
    titles, bodies = [], []
    for k in live:
        u = users[k]
        values = {"user_id": k, "reward": u.reward_text, "campaign_name": c.name, "coupon_code": u.coupon_code,
                  "offer": u.offer.label if u.offer else ""}
        titles.append(domain.render(c.message_title, values) if c.message_title else c.name)
        bodies.append(domain.render(c.message_template, values))
    if c.channel == "IN_APP":
        rows = conn.execute(
            sa.text(
                "INSERT INTO campaign.inbox_messages (user_id, campaign_id, title, body, created_at) "
                "SELECT u, :cid, t, b, :now FROM unnest(CAST(:users AS text[]), CAST(:titles AS text[]), CAST(:bodies AS text[])) "
                "AS v(u, t, b) RETURNING id, user_id"
            ),
            {"cid": c.id, "users": live, "titles": titles, "bodies": bodies, "now": now},
        ).all()
        for r in rows:
            users[r.user_id].meta["message_id"] = str(r.id)
        return
    payloads = []
    for k, title, body in zip(live, titles, bodies):
        u = users[k]
        u.status = "SENDING"
        u.meta["delivery_id"] = delivery_id(c.id, k)
        payloads.append(json.dumps({"delivery_id": delivery_id(c.id, k), "campaign_id": str(c.id), "user_id": k,
                                    "title": title, "body": body, "reward": u.reward_text}))
    conn.execute(
        sa.text(
            "INSERT INTO campaign.sends (campaign_id, user_id, channel, address, title, body, payload, cap_day, next_attempt_at, "
            "created_at) SELECT :cid, u, :channel, a, t, b, CAST(p AS jsonb), :day, :now, :now FROM unnest(CAST(:users AS text[]), "
            "CAST(:addresses AS text[]), CAST(:titles AS text[]), CAST(:bodies AS text[]), CAST(:payloads AS text[])) "
            "AS v(u, a, t, b, p) ON CONFLICT DO NOTHING"
        ),
        {"cid": c.id, "channel": c.channel, "users": live, "addresses": [users[k].address for k in live],
         "titles": titles, "bodies": bodies, "payloads": payloads, "now": now,
         "day": cap_day(now) if settings().campaign_frequency_cap > 0 else None},
    )


def _settle(conn: Connection, c, users: dict[str, _User], now: datetime) -> None:
    done = sorted(k for k, u in users.items() if u.status != "PENDING")
    conn.execute(
        sa.text(
            """
UPDATE campaign.campaign_logs l SET status = v.status, reason = v.reason, processed_at = :now,
  delivered_at = CASE WHEN v.status = 'DELIVERED' THEN CAST(:now AS timestamptz) END,
  offer = v.offer, selection_id = v.selection_id, coupon_id = v.coupon_id, meta_json = l.meta_json || CAST(v.meta AS jsonb)
FROM unnest(CAST(:users AS text[]), CAST(:statuses AS text[]), CAST(:reasons AS text[]), CAST(:metas AS text[]),
            CAST(:offers AS text[]), CAST(:selections AS text[]), CAST(:coupons AS bigint[]))
     AS v(user_id, status, reason, meta, offer, selection_id, coupon_id)
WHERE l.campaign_id = :cid AND l.user_id = v.user_id
"""
        ),
        {
            "cid": c.id, "now": now, "users": done,
            "statuses": [users[k].status for k in done], "reasons": [users[k].reason for k in done],
            "metas": [json.dumps(users[k].meta) for k in done],
            "offers": [users[k].offer.arm if users[k].offer else None for k in done],
            "selections": [users[k].selection_id for k in done], "coupons": [users[k].coupon_id for k in done],
        },
    )


# ---------------------------------------------------------------------------------------------
# Channel sends after the commit, and their retries.


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... up to an hour, after the n-th failed attempt."""
    return min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** max(0, attempts - 1)))


def send_lease() -> timedelta:
    """How long a claimed chunk is its claimer's: longer than the chunk's worst case, so a slow but
    live worker is never taken over; a dead worker's sends come due again after it. E-mails stop
    starting after CHUNK_SECONDS and the last one may then wait out its connection and four
    commands (MAIL, RCPT, DATA, the data); webhooks all wait out their timeout, in turns of the
    thread pool."""
    smtp = channels.CHUNK_SECONDS + 5 * channels.SMTP_TIMEOUT
    hooks = -(-SEND_CHUNK // channels.WEBHOOK_THREADS) * settings().campaign_webhook_timeout_seconds
    return timedelta(seconds=smtp + hooks + 60)


def send_due(*, campaign_id: int | None = None, user_ids: list[str] | None = None, now: datetime | None = None,
             limit: int = 500, budget_seconds: float = SEND_BUDGET_SECONDS) -> dict[str, int]:
    """Sends due e-mails and webhooks, SEND_CHUNK at a time: each chunk is claimed (SKIP LOCKED,
    under a lease and a claim token), sent, and settled right away: DELIVERED, retried later with
    backoff, or FAILED with the reason after the last attempt or a permanent refusal. Only sends of
    RUNNING or COMPLETED campaigns (users handled before the end) go out: a PAUSED campaign's wait,
    quiet hours move them to the window's end, a CANCELED campaign's are dropped. Stops after
    `limit` claimed sends or `budget_seconds`. Returns counts by result."""
    counts: dict[str, int] = {}
    deadline = time.monotonic() + budget_seconds
    claimed = 0
    while claimed < limit and time.monotonic() < deadline:
        at = now or datetime.now(UTC)
        want = min(SEND_CHUNK, limit - claimed)
        token = uuid.uuid4().hex
        rows, dropped = db.retrying(lambda conn: _claim_sends(conn, at, want, token, campaign_id, user_ids))
        if dropped:
            counts["CANCELED"] = counts.get("CANCELED", 0) + dropped
        if not rows:
            break
        claimed += len(rows)
        results = channels.send([channels.Message.of(r) for r in rows])
        max_attempts = settings().campaign_send_max_attempts
        settled: dict[str, list] = {"DELIVERED": [], "FAILED": [], "RETRY": []}
        for r in rows:
            res = results[(r.campaign_id, r.user_id)]
            if res.ok:
                settled["DELIVERED"].append((r, res))
            elif res.permanent or r.attempts >= max_attempts:
                settled["FAILED"].append((r, res))
            else:
                settled["RETRY"].append((r, res))
        db.retrying(lambda conn: settle_sends(conn, settled, token, at))
        for k, v in settled.items():
            if v:
                counts[k] = counts.get(k, 0) + len(v)
        if len(rows) < want:
            break
    return counts


def _claim_sends(conn: Connection, now: datetime, limit: int, token: str, campaign_id, user_ids) -> tuple[list, int]:
    """One chunk's claim, after applying the campaigns' state to their due sends. Returns the
    claimed rows and the number of sends dropped for canceled campaigns."""
    rows = conn.execute(
        sa.text(
            "SELECT c.* FROM campaign.campaigns c WHERE (c.status = 'CANCELED' OR (c.status IN ('RUNNING', 'COMPLETED') "
            "AND c.quiet_hours_start IS NOT NULL)) AND EXISTS (SELECT 1 FROM campaign.sends s WHERE s.campaign_id = c.id "
            "AND s.next_attempt_at <= :now)" + (" AND c.id = :cid" if campaign_id is not None else "")
        ),
        {"now": now, "cid": campaign_id},
    ).all()
    dropped = 0
    for c in rows:
        if c.status == "CANCELED":
            dropped += _drop_canceled(conn, c.id, now)
        elif (until := quiet_until(c, now)) is not None:
            # Held, not sent: they go out when the window ends.
            conn.execute(
                sa.text("UPDATE campaign.sends SET next_attempt_at = :until WHERE campaign_id = :cid AND next_attempt_at <= :now"),
                {"cid": c.id, "until": until, "now": now},
            )
    where = "s.next_attempt_at <= :now AND c.status IN ('RUNNING', 'COMPLETED')"
    if campaign_id is not None:
        where += " AND s.campaign_id = :cid"
    if user_ids is not None:
        where += " AND s.user_id = ANY(CAST(:users AS text[]))"
    claimed = conn.execute(
        sa.text(
            f"""
UPDATE campaign.sends s SET attempts = s.attempts + 1, next_attempt_at = :lease, claim_token = :token
FROM (SELECT s.campaign_id, s.user_id FROM campaign.sends s JOIN campaign.campaigns c ON c.id = s.campaign_id
      WHERE {where} ORDER BY s.next_attempt_at LIMIT :limit FOR UPDATE OF s SKIP LOCKED) x
WHERE s.campaign_id = x.campaign_id AND s.user_id = x.user_id
RETURNING s.*, (SELECT webhook_secret FROM campaign.campaigns c WHERE c.id = s.campaign_id) AS secret
"""
        ),
        {"now": now, "lease": now + send_lease(), "token": token, "cid": campaign_id, "users": list(user_ids or []),
         "limit": limit},
    ).all()
    return claimed, dropped


# The counter rows are locked in (user, day) order first, as the batch's cap statement locks them,
# so a give-back and a batch never wait on each other in opposite orders.
_GIVE_BACK = """
UPDATE campaign.daily_sends d SET sent = greatest(d.sent - x.n, 0)
FROM (SELECT c.user_id, c.cap_day, c.n FROM (
        SELECT user_id, cap_day, count(*) AS n FROM {source} WHERE cap_day IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2) c
      CROSS JOIN LATERAL (SELECT 1 FROM campaign.daily_sends k WHERE k.user_id = c.user_id AND k.day = c.cap_day
                          FOR UPDATE) k) x
WHERE d.user_id = x.user_id AND d.day = x.cap_day
"""


def _drop_canceled(conn: Connection, campaign_id: int, now: datetime) -> int:
    """A canceled campaign's due sends are not sent: their logs end FAILED CAMPAIGN_CANCELED (the
    reward, granted with the log, is kept) and their frequency-cap slots are given back."""
    return conn.execute(
        sa.text(
            f"""
WITH gone AS (
  DELETE FROM campaign.sends s USING (
    SELECT campaign_id, user_id FROM campaign.sends WHERE campaign_id = :cid AND next_attempt_at <= :now FOR UPDATE SKIP LOCKED
  ) x WHERE s.campaign_id = x.campaign_id AND s.user_id = x.user_id
  RETURNING s.campaign_id, s.user_id, s.cap_day, s.attempts
), slots AS ({_GIVE_BACK.format(source="gone")}), logs AS (
  UPDATE campaign.campaign_logs l SET status = 'FAILED', reason = 'CAMPAIGN_CANCELED', processed_at = :now,
    meta_json = l.meta_json || jsonb_build_object('attempts', g.attempts, 'reward_kept', true)
  FROM gone g WHERE l.campaign_id = g.campaign_id AND l.user_id = g.user_id AND l.status = 'SENDING'
)
SELECT count(*) FROM gone
"""
        ),
        {"cid": campaign_id, "now": now},
    ).scalar_one()


def settle_sends(conn: Connection, settled: dict[str, list], token: str, now: datetime) -> None:
    """Settles one claimed chunk: only rows still holding `token` change, so a claimer whose lease
    ran out and whose sends were claimed again changes nothing. A failed send gives its
    frequency-cap slot back."""
    finished = settled.get("DELIVERED", []) + settled.get("FAILED", [])
    if finished:
        conn.execute(
            sa.text(
                f"""
WITH v AS (
  SELECT * FROM unnest(CAST(:cids AS bigint[]), CAST(:users AS text[]), CAST(:ok AS boolean[]), CAST(:reasons AS text[]),
                       CAST(:errors AS text[]), CAST(:attempts AS int[])) AS v(campaign_id, user_id, ok, reason, error, attempts)
), gone AS (
  DELETE FROM campaign.sends s USING v WHERE s.campaign_id = v.campaign_id AND s.user_id = v.user_id AND s.claim_token = :token
  RETURNING s.campaign_id, s.user_id, s.cap_day, v.ok
), failed AS (SELECT * FROM gone WHERE NOT ok), slots AS ({_GIVE_BACK.format(source="failed")})
UPDATE campaign.campaign_logs l SET
  status = CASE WHEN v.ok THEN 'DELIVERED' ELSE 'FAILED' END,
  reason = CASE WHEN v.ok THEN NULL ELSE v.reason END,
  delivered_at = CASE WHEN v.ok THEN CAST(:now AS timestamptz) END, processed_at = :now,
  meta_json = l.meta_json || jsonb_build_object('attempts', v.attempts)
         || CASE WHEN v.ok THEN '{{}}'::jsonb ELSE jsonb_build_object('error', v.error, 'reward_kept', true) END
FROM v JOIN gone g ON g.campaign_id = v.campaign_id AND g.user_id = v.user_id
WHERE l.campaign_id = v.campaign_id AND l.user_id = v.user_id AND l.status = 'SENDING'
"""
            ),
            {
                "cids": [r.campaign_id for r, _ in finished], "users": [r.user_id for r, _ in finished],
                "ok": [res.ok for _, res in finished], "reasons": [res.reason for _, res in finished],
                "errors": [res.error[:500] for _, res in finished], "attempts": [r.attempts for r, _ in finished],
                "now": now, "token": token,
            },
        )
    retry = settled.get("RETRY", [])
    if retry:
        conn.execute(
            sa.text(
                "UPDATE campaign.sends s SET next_attempt_at = v.at, last_error = v.error, claim_token = NULL "
                "FROM unnest(CAST(:cids AS bigint[]), CAST(:users AS text[]), CAST(:ats AS timestamptz[]), CAST(:errors AS text[])) "
                "AS v(campaign_id, user_id, at, error) "
                "WHERE s.campaign_id = v.campaign_id AND s.user_id = v.user_id AND s.claim_token = :token"
            ),
            {"cids": [r.campaign_id for r, _ in retry], "users": [r.user_id for r, _ in retry],
             "ats": [now + backoff(r.attempts) for r, _ in retry], "errors": [res.error[:500] for _, res in retry],
             "token": token},
        )


# ---------------------------------------------------------------------------------------------
# The scheduler's sweep.


def run_due(now: datetime | None = None) -> dict[str, int]:
    """Starts due campaigns, launches and enqueues the started SCHEDULED ones, re-sends the pending
    batches of campaigns that stopped making progress, delivers entry/event users left pending,
    completes finished and ended campaigns and closes logs left pending on finished ones. Each step
    is safe to run twice at once."""
    now = now or datetime.now(UTC)
    done = {"started": 0, "launched": 0, "enqueued": 0, "orphans": 0, "completed": 0, "closed": 0}
    with db.transaction() as conn:
        due = conn.execute(
            sa.text("SELECT id FROM campaign.campaigns WHERE status = 'SCHEDULED' AND start_at <= :now ORDER BY id"), {"now": now}
        ).scalars().all()
    for cid in due:
        done["started"] += _isolated(cid, "start", lambda: start_due(cid, now))
    with db.transaction() as conn:
        unlaunched = conn.execute(
            sa.text("SELECT id FROM campaign.campaigns WHERE status = 'RUNNING' AND trigger = 'SCHEDULED' AND launched_at IS NULL")
        ).scalars().all()
    for cid in unlaunched:
        done["launched"] += _isolated(cid, "launch", lambda: int(launch(cid, now=now) > 0))
        done["enqueued"] += _isolated(cid, "enqueue", lambda: enqueue(cid, now=now))
    done["enqueued"] += _resend_stale(now)
    done["orphans"] = _deliver_orphans(now)
    with db.transaction() as conn:
        finished = conn.execute(
            sa.text(
                """
SELECT id FROM campaign.campaigns c
WHERE (c.status IN ('RUNNING', 'PAUSED') AND c.end_at <= :now)
   OR (c.status = 'RUNNING' AND c.trigger = 'SCHEDULED' AND c.launched_at IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM campaign.batches b WHERE b.campaign_id = c.id AND b.status = 'PENDING')
       AND NOT EXISTS (SELECT 1 FROM campaign.campaign_logs l WHERE l.campaign_id = c.id AND l.status = 'PENDING'))
ORDER BY id
"""
            ),
            {"now": now},
        ).scalars().all()
    for cid in finished:
        done["completed"] += _isolated(cid, "completion", lambda: complete_finished(cid, now))
    done["closed"] = close_leftover_logs(now)
    return done


def start_due(campaign_id: int, now: datetime) -> int:
    """Starts a SCHEDULED campaign whose start_at has come, checked again on the locked row (an
    operator may have moved start_at since the due list was read)."""
    return _move(campaign_id, "start", now, guard=lambda conn, row: row.start_at <= now)


def _finished(conn: Connection, row, now: datetime) -> bool:
    if row.end_at is not None and row.end_at <= now:
        return True
    if row.status != "RUNNING" or row.trigger != "SCHEDULED" or row.launched_at is None:
        return False
    return not conn.execute(
        sa.text(
            "SELECT EXISTS (SELECT 1 FROM campaign.batches WHERE campaign_id = :id AND status = 'PENDING') "
            "OR EXISTS (SELECT 1 FROM campaign.campaign_logs WHERE campaign_id = :id AND status = 'PENDING')"
        ),
        {"id": row.id},
    ).scalar()


def complete_finished(campaign_id: int, now: datetime) -> int:
    """Completes a campaign that ended (end_at passed) or whose snapshot is all handled, checked
    again on the locked row."""
    return _move(campaign_id, "complete", now, guard=lambda conn, row: _finished(conn, row, now))


def _move(campaign_id: int, action: str, now: datetime, *, guard=None) -> int:
    """A scheduler move; 0 when a concurrent move (another sweep, an operator) got there first or
    the campaign is no longer due for it."""
    try:
        with db.transaction() as conn:
            moved = repository.move(conn, campaign_id, action, by=repository.SCHEDULER, now=now, guard=guard)
    except DomainError as e:
        log.info("campaign %s not moved to %s: %s", campaign_id, action, e)
        return 0
    if moved is None:
        log.info("campaign %s no longer due to %s", campaign_id, action)
        return 0
    return 1


def close_leftover_logs(now: datetime) -> int:
    """PENDING logs of COMPLETED or CANCELED campaigns become CANCELED: a targeting transaction
    that committed after the campaign's end or cancel was not seen by its move. Set-based, read
    through the pending logs' partial index."""
    with db.transaction() as conn:
        return conn.execute(
            sa.text(
                "UPDATE campaign.campaign_logs l SET status = 'CANCELED', processed_at = :now FROM campaign.campaigns c "
                "WHERE l.status = 'PENDING' AND c.id = l.campaign_id AND c.status IN ('COMPLETED', 'CANCELED')"
            ),
            {"now": now},
        ).rowcount


def _resend_stale(now: datetime) -> int:
    """Re-sends the pending batches of running campaigns that made no progress for STALE_BATCH (no
    batch done and no launch within it, and the batch's own message older than that): their
    messages were lost or their workers died. A long queue that workers are steadily working
    through gets no duplicates. Campaigns in their quiet hours are left alone: their batches go out
    when the window ends."""
    from services.campaign import actors

    before = now - STALE_BATCH
    with db.transaction() as conn:
        rows = conn.execute(
            sa.text(
                """
SELECT c.* FROM campaign.campaigns c
WHERE c.status = 'RUNNING' AND c.launched_at < :before
  AND EXISTS (SELECT 1 FROM campaign.batches b WHERE b.campaign_id = c.id AND b.status = 'PENDING'
              AND (b.enqueued_at IS NULL OR b.enqueued_at < :before))
  AND NOT EXISTS (SELECT 1 FROM campaign.batches b WHERE b.campaign_id = c.id AND b.done_at >= :before)
"""
            ),
            {"before": before},
        ).all()
    sent = 0
    for c in rows:
        if quiet_until(c, now):
            continue
        for cid, b in claim_batches(c.id, now):
            actors.deliver_batch.send(cid, b)
            sent += 1
    return sent


def hold(campaign_id: int, batch: int, until: datetime) -> None:
    """Marks a batch held by quiet hours as sent at the window's end, so the sweep leaves it alone
    until its delayed message had its chance."""
    with db.transaction() as conn:
        conn.execute(
            sa.text("UPDATE campaign.batches SET enqueued_at = :at WHERE campaign_id = :cid AND batch = :b AND status = 'PENDING'"),
            {"cid": campaign_id, "b": batch, "at": until},
        )
