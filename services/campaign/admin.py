"""The Campaign admin API: campaigns (validated on every save, versioned, with a change history),
their status moves, stats and logs, and the contacts the EMAIL channel uses. Each function owns its
transaction; status moves go through repository.move."""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from email.headerregistry import Address
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.campaign import domain, repository
from services.common import db, pagination
from services.common.errors import Aborted, FailedPrecondition, FieldViolation, InvalidArgument

REWARD_TYPES = ("NONE", "TOKEN", "POINTS", "COUPON", "OFFER")
CHANNELS = ("IN_APP", "EMAIL", "WEBHOOK")
TRIGGERS = ("SCHEDULED", "SEGMENT_ENTRY", "EVENT")
NEEDS_SEGMENT = ("SCHEDULED", "SEGMENT_ENTRY")
MAX_LOG_PAGE = 500
# Campaign times must fall in these years: protobuf Timestamps reach far beyond what datetime and
# PostgreSQL hold, and no campaign runs in year 1 or 9999.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2101, 1, 1, tzinfo=UTC)  # exclusive
TIME_RANGE = "must be a time from year 2000 to year 2100"
# Fields a campaign keeps once it has started: changing them mid-delivery would mix two campaigns
# in one set of stats (the audience, the control split, the channel, the conversion window).
FIXED_ONCE_STARTED = ("trigger", "segment", "control_group_percent", "channel", "conversion_window_hours")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Fields:
    """What an operator writes on Create and Update (Update replaces them all)."""

    name: str
    segment: str | None
    start_at: datetime | None
    end_at: datetime | None
    reward_type: str | None
    reward_value: dict
    message_template: str
    channel: str | None
    trigger: str | None
    control_group_percent: int = 0
    message_title: str = ""
    event: str | None = None
    webhook_url: str | None = None
    quiet_hours_start: str | None = None
    quiet_hours_end: str | None = None
    timezone: str | None = None
    conversion_window_hours: int | None = None


FIELD_NAMES = tuple(f.name for f in fields(Fields))


def normalized_reward(value: Any, key: str | None = None) -> Any:
    """A reward_value as stored: JSON numbers that are whole, and amounts written as digit strings,
    become ints (a Struct carries every number as a double), and coupon ids become strings (int64
    ids do not fit a JSON double)."""
    if isinstance(value, dict):
        return {k: normalized_reward(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized_reward(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if key in ("amount", "points", "expiry_days") and isinstance(value, str) and domain.DIGITS.fullmatch(value):
        value = int(value)
    if key == "coupon_id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


# ---- validation -------------------------------------------------------------------------------

def _webhook_problem(url: str) -> str | None:
    """Why the URL cannot be a webhook target. Host names are resolved and checked again when
    sending; IP literals that can never be a partner's endpoint are refused here."""
    if any(c.isspace() for c in url) or domain.has_control(url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number in 0..65535)
    except ValueError:
        return "must be an absolute http or https URL with a valid port"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http or https URL with a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    try:
        ip = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return None  # a host name
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return "must not be a link-local, multicast or unspecified address"
    return None


def _coupon_ids(spec: domain.RewardSpec) -> list[tuple[str, int]]:
    """(field path, template coupon id) of every coupon the reward would copy."""
    if spec.reward is not None:
        return [("reward_value.coupon_id", spec.reward.coupon_id)] if spec.reward.type == "COUPON" else []
    return [
        (f"reward_value.offers[{i}].reward_value.coupon_id", o.coupon_id)
        for i, o in enumerate(spec.offers) if o.type == "COUPON"
    ]


def _coupon_problems(conn: Connection, spec: domain.RewardSpec) -> list[FieldViolation]:
    wanted = _coupon_ids(spec)
    if not wanted:
        return []
    found = {
        r.id: r.assigned_user_id
        for r in conn.execute(
            sa.text("SELECT id, assigned_user_id FROM coupon.coupons WHERE id = ANY(:ids)"),
            {"ids": [cid for _, cid in wanted]},
        )
    }
    out = []
    for path, cid in wanted:
        if cid not in found:
            out.append(FieldViolation(path, f"COUPON_NOT_FOUND: no coupon has id {cid}"))
        elif found[cid] is not None:
            out.append(FieldViolation(path, f"coupon {cid} is a personal code; name a template coupon"))
    return out


def problems(conn: Connection, f: Fields) -> list[FieldViolation]:
    """Every reason the fields cannot be saved (empty when they can)."""
    out: list[FieldViolation] = []
    if not f.name.strip():
        out.append(FieldViolation("name", "is required"))
    for field in ("name", "event", "segment", "timezone", "quiet_hours_start", "quiet_hours_end"):
        if domain.has_control(getattr(f, field)):
            out.append(FieldViolation(field, "must not contain control characters"))
    for field in ("message_template", "message_title"):
        if domain.has_control(getattr(f, field), template=True):
            out.append(FieldViolation(field, "must not contain control characters other than line breaks and tabs"))
        else:
            out += [FieldViolation(field, p) for p in domain.template_problems(getattr(f, field))]
    if not f.message_template.strip():
        out.append(FieldViolation("message_template", "is required"))
    if f.reward_type not in REWARD_TYPES:
        out.append(FieldViolation("reward_type", f"must be one of {', '.join(REWARD_TYPES)}"))
    else:
        spec, bad = domain.parse_reward(f.reward_type, f.reward_value)
        out += bad
        if spec is not None:
            out += _coupon_problems(conn, spec)
    for field in ("start_at", "end_at"):
        at = getattr(f, field)
        if at is not None and not EARLIEST <= at < LATEST:
            out.append(FieldViolation(field, TIME_RANGE))
    if f.start_at is None:
        out.append(FieldViolation("start_at", "is required"))
    elif f.end_at is not None and f.end_at <= f.start_at:
        out.append(FieldViolation("end_at", "must be after start_at"))
    if f.channel not in CHANNELS:
        out.append(FieldViolation("channel", f"must be one of {', '.join(CHANNELS)}"))
    if f.trigger not in TRIGGERS:
        out.append(FieldViolation("trigger", f"must be one of {', '.join(TRIGGERS)}"))
    if f.trigger in NEEDS_SEGMENT and not f.segment:
        out.append(FieldViolation("segment", f"is required for trigger {f.trigger}"))
    if f.trigger == "EVENT":
        if f.event not in domain.EVENTS:
            out.append(FieldViolation("event", f"must be one of {', '.join(domain.EVENTS)} for trigger EVENT"))
    elif f.event:
        out.append(FieldViolation("event", "is only for trigger EVENT"))
    if f.channel == "WEBHOOK":
        problem = _webhook_problem(f.webhook_url) if f.webhook_url else "is required for channel WEBHOOK"
        if problem:
            out.append(FieldViolation("webhook_url", problem))
    elif f.webhook_url:
        out.append(FieldViolation("webhook_url", "is only for channel WEBHOOK"))
    if bool(f.quiet_hours_start) != bool(f.quiet_hours_end):
        missing = "quiet_hours_end" if f.quiet_hours_start else "quiet_hours_start"
        out.append(FieldViolation(missing, "quiet hours need both a start and an end"))
    for field in ("quiet_hours_start", "quiet_hours_end"):
        raw = getattr(f, field)
        if raw and domain.parse_hhmm(raw) is None:
            out.append(FieldViolation(field, 'must be a time "HH:MM" (00:00 to 23:59)'))
    if f.quiet_hours_start and f.quiet_hours_start == f.quiet_hours_end:
        out.append(FieldViolation("quiet_hours_end", "must differ from quiet_hours_start"))
    if f.timezone and not domain.has_control(f.timezone) and domain.zone(f.timezone) is None:
        out.append(FieldViolation("timezone", "must be an IANA time zone such as Asia/Seoul"))
    if not 0 <= f.control_group_percent <= 50:
        out.append(FieldViolation("control_group_percent", "must be from 0 to 50"))
    if f.conversion_window_hours is not None and not 0 <= f.conversion_window_hours <= 2160:
        out.append(FieldViolation("conversion_window_hours", "must be from 0 to 2160"))
    return out


def _checked(conn: Connection, f: Fields) -> Fields:
    bad = problems(conn, f)
    if bad:
        raise InvalidArgument.fields(bad)
    return Fields(**{
        **asdict(f),
        "reward_value": normalized_reward(f.reward_value or {}),
        # Empty optional strings are stored as NULL, so "unset" has one spelling.
        **{k: getattr(f, k) or None for k in ("segment", "event", "webhook_url", "quiet_hours_start", "quiet_hours_end", "timezone")},
        "conversion_window_hours": f.conversion_window_hours or None,
    })


# ---- campaigns ----------------------------------------------------------------------------------

_COLUMNS = ", ".join(FIELD_NAMES)
_PARAMS = ", ".join(f"CAST(:{n} AS jsonb)" if n == "reward_value" else f":{n}" for n in FIELD_NAMES)
_JSON = sa.bindparam("reward_value", type_=sa.JSON)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _snapshot(source, names=FIELD_NAMES) -> dict:
    """The named fields of a row or Fields as JSON values (for the change history)."""
    return {n: _jsonable(getattr(source, n)) for n in names}


def create(f: Fields, by: str, *, now: datetime | None = None) -> sa.Row:
    """A new DRAFT campaign; a WEBHOOK campaign gets its signing secret here."""
    now = now or _now()
    with db.transaction() as conn:
        f = _checked(conn, f)
        secret = secrets.token_hex(32) if f.channel == "WEBHOOK" else None
        row = conn.execute(
            sa.text(
                f"INSERT INTO campaign.campaigns ({_COLUMNS}, webhook_secret, status, version, created_at, created_by, updated_at, updated_by) "
                f"VALUES ({_PARAMS}, :secret, 'DRAFT', 1, :now, :by, :now, :by) RETURNING *"
            ).bindparams(_JSON),
            {**asdict(f), "secret": secret, "now": now, "by": by},
        ).one()
        repository.record_change(
            conn, row.id, action="created", from_status=None, to_status="DRAFT", by=by, now=now, detail={"after": _snapshot(row)},
        )
        return row


def get(campaign_id: int) -> sa.Row:
    with db.transaction() as conn:
        return repository.get_or_raise(conn, campaign_id)


def update(campaign_id: int, f: Fields, by: str, *, expected_version: int | None = None, now: datetime | None = None) -> sa.Row:
    """Replaces the fields of a DRAFT, SCHEDULED or PAUSED campaign (its status is kept)."""
    now = now or _now()
    with db.transaction() as conn:
        f = _checked(conn, f)
        before = repository.get_or_raise(conn, campaign_id, lock=True)
        if expected_version is not None and before.version != expected_version:
            raise Aborted(
                "CAMPAIGN_VERSION_MISMATCH",
                f"the campaign is at version {before.version}, not {expected_version}; reload it and retry",
                metadata={"version": str(before.version), "campaign_id": str(campaign_id)},
            )
        if before.status not in domain.EDITABLE:
            raise _not_editable(campaign_id, before.status, f"a {before.status} campaign cannot be edited (pause it first)")
        if before.status != "DRAFT" and f.end_at is not None and f.end_at <= now:
            # As Schedule refuses it: a live campaign whose end has passed would only be completed.
            raise FailedPrecondition(
                "CAMPAIGN_ENDED", "end_at must be in the future for a scheduled or paused campaign",
                metadata={"campaign_id": str(campaign_id), "end_at": f.end_at.isoformat()},
            )
        if before.status == "PAUSED" or before.started_at is not None:
            # Delivery already started: its audience and what the stats compare are fixed.
            for field in FIXED_ONCE_STARTED:
                if getattr(f, field) != getattr(before, field):
                    raise _not_editable(
                        campaign_id, before.status, f"the {field} of a started campaign cannot change: delivery has started",
                        field=field,
                    )
            if "OFFER" in (f.reward_type, before.reward_type) and _arms(f.reward_type, f.reward_value) != _arms(
                before.reward_type, before.reward_value
            ):
                raise _not_editable(
                    campaign_id, before.status,
                    "the offers of a started OFFER campaign cannot be added, removed or renamed: users may hold a choice among them",
                    field="reward_value",
                )
        changed = [n for n in FIELD_NAMES if getattr(f, n) != getattr(before, n)]
        secret = (before.webhook_secret or secrets.token_hex(32)) if f.channel == "WEBHOOK" else None
        row = conn.execute(
            sa.text(
                f"UPDATE campaign.campaigns SET ({_COLUMNS}, webhook_secret, version, updated_at, updated_by) "
                f"= ({_PARAMS}, :secret, version + 1, :now, :by) WHERE id = :id RETURNING *"
            ).bindparams(_JSON),
            {**asdict(f), "secret": secret, "now": now, "by": by, "id": campaign_id},
        ).one()
        repository.record_change(
            conn, campaign_id, action="updated", from_status=before.status, to_status=before.status, by=by, now=now,
            detail={"before": _snapshot(before, changed), "after": _snapshot(row, changed)},
        )
        return row


def _arms(reward_type: str | None, value: dict | None) -> list[str] | None:
    """The arm names of an OFFER reward (None for other rewards)."""
    if reward_type != "OFFER":
        return None
    return sorted(str(o.get("arm")) for o in (value or {}).get("offers", []) if isinstance(o, dict))


def _not_editable(campaign_id: int, status: str, message: str, **extra: str) -> FailedPrecondition:
    return FailedPrecondition(
        "CAMPAIGN_NOT_EDITABLE", message, metadata={"campaign_id": str(campaign_id), "status": status, **extra}
    )


def delete(campaign_id: int, by: str, *, now: datetime | None = None) -> None:
    """Deletes a DRAFT campaign (one that never delivered, so it has no logs); its history stays."""
    now = now or _now()
    with db.transaction() as conn:
        row = repository.get_or_raise(conn, campaign_id, lock=True)
        if row.status != "DRAFT":
            raise FailedPrecondition(
                "CAMPAIGN_NOT_DELETABLE", f"a {row.status} campaign cannot be deleted; cancel it instead",
                metadata={"campaign_id": str(campaign_id), "status": row.status},
            )
        conn.execute(sa.text("DELETE FROM campaign.campaigns WHERE id = :id"), {"id": campaign_id})
        repository.record_change(conn, campaign_id, action="deleted", from_status="DRAFT", to_status=None, by=by, now=now)


def list_campaigns(filters: dict, size: int, token: str) -> tuple[list[sa.Row], str]:
    """Newest first; only the filters given become conditions."""
    filters = {k: v for k, v in filters.items() if v}
    after = _id_key(pagination.decode(token, {"campaigns": filters}, shape=(int,)))
    limit = pagination.page_size(size)
    where = [f"{k} = :{k}" for k in filters] + (["id < :after"] if after else [])
    sql = "SELECT * FROM campaign.campaigns" + (" WHERE " + " AND ".join(where) if where else "")
    with db.transaction() as conn:
        rows = list(conn.execute(sa.text(sql + " ORDER BY id DESC LIMIT :n"), {**filters, "after": after and after[0], "n": limit + 1}))
    return pagination.split(rows, limit, {"campaigns": filters})


def _id_key(after: list | None) -> list | None:
    """A page token's id key, which must fit a bigint (tokens can be forged)."""
    if after and not 0 < after[0] < 2**63:
        raise pagination.invalid_token()
    return after


# ---- status moves -------------------------------------------------------------------------------

def schedule(campaign_id: int, by: str, *, now: datetime | None = None) -> sa.Row:
    now = now or _now()
    with db.transaction() as conn:
        row = repository.get_or_raise(conn, campaign_id, lock=True)
        if domain.next_status(row.status, "schedule") and row.end_at is not None and row.end_at <= now:
            raise FailedPrecondition(
                "CAMPAIGN_ENDED", "the campaign's end_at has passed; move it before scheduling",
                metadata={"campaign_id": str(campaign_id), "end_at": row.end_at.isoformat()},
            )
        return repository.move(conn, campaign_id, "schedule", by=by, now=now)


def pause(campaign_id: int, by: str, *, now: datetime | None = None) -> sa.Row:
    with db.transaction() as conn:
        return repository.move(conn, campaign_id, "pause", by=by, now=now or _now())


def resume(campaign_id: int, by: str, *, now: datetime | None = None) -> sa.Row:
    """Back to RUNNING; the batches left pending while paused are queued again once that commits
    (a worker taking one earlier would still see PAUSED and drop it)."""
    with db.transaction() as conn:
        row = repository.move(conn, campaign_id, "resume", by=by, now=now or _now())
    from services.campaign import delivery  # here: the other admin calls need no broker

    delivery.requeue(campaign_id)
    return row


def cancel(campaign_id: int, by: str, reason: str = "", *, now: datetime | None = None) -> sa.Row:
    if domain.has_control(reason, template=True):
        raise InvalidArgument.fields([FieldViolation("reason", "must not contain control characters other than line breaks and tabs")])
    with db.transaction() as conn:
        return repository.move(conn, campaign_id, "cancel", by=by, now=now or _now(), detail={"reason": reason})


# ---- stats, logs and history --------------------------------------------------------------------

_STATS = sa.text(
    """
SELECT (SELECT reward_type FROM campaign.campaigns WHERE id = :id) AS reward_type,
  count(*) AS targeted,
  count(*) FILTER (WHERE status = 'HELD_OUT') AS held_out,
  count(*) FILTER (WHERE status = 'SUPPRESSED') AS suppressed,
  count(*) FILTER (WHERE status IN ('PENDING', 'SENDING')) AS pending,
  count(*) FILTER (WHERE status = 'DELIVERED') AS delivered,
  count(*) FILTER (WHERE status = 'FAILED') AS failed,
  count(*) FILTER (WHERE status = 'CANCELED') AS canceled,
  count(*) FILTER (WHERE status = 'DELIVERED' AND opened_at IS NOT NULL) AS opened,
  count(*) FILTER (WHERE status = 'DELIVERED' AND redeemed_at IS NOT NULL) AS redeemed,
  count(*) FILTER (WHERE status = 'HELD_OUT' AND redeemed_at IS NOT NULL) AS control_converted,
  count(*) FILTER (WHERE status IN ('DELIVERED', 'SENDING', 'SUPPRESSED', 'FAILED')) AS assigned,
  count(*) FILTER (WHERE status IN ('DELIVERED', 'SENDING', 'SUPPRESSED', 'FAILED') AND redeemed_at IS NOT NULL)
    AS assigned_converted
FROM campaign.campaign_logs WHERE campaign_id = :id
"""
)
_OFFERS = sa.text(
    """
SELECT offer AS arm, count(*) AS delivered, count(*) FILTER (WHERE redeemed_at IS NOT NULL) AS redeemed
FROM campaign.campaign_logs WHERE campaign_id = :id AND status = 'DELIVERED' AND offer IS NOT NULL
GROUP BY offer ORDER BY offer
"""
)


@dataclass(frozen=True)
class Stats:
    campaign_id: int
    targeted: int
    held_out: int
    suppressed: int
    pending: int
    delivered: int
    failed: int
    canceled: int
    opened: int
    redeemed: int
    control_converted: int
    assigned: int
    assigned_converted: int
    effect: domain.Effect
    intent_to_treat: domain.Effect
    offers: list[sa.Row]


def stats(campaign_id: int) -> Stats:
    with db.transaction() as conn:
        row = conn.execute(_STATS, {"id": campaign_id}).one()
        if row.reward_type is None:
            raise repository.not_found(campaign_id)
        offers = list(conn.execute(_OFFERS, {"id": campaign_id})) if row.reward_type == "OFFER" else []
    counts = row._asdict()
    del counts["reward_type"]
    return Stats(
        campaign_id=campaign_id, **counts, offers=offers,
        effect=domain.effect(row.delivered, row.redeemed, row.held_out, row.control_converted),
        intent_to_treat=domain.effect(row.assigned, row.assigned_converted, row.held_out, row.control_converted),
    )


def list_logs(campaign_id: int, status: str | None, user_id: str | None, size: int, token: str) -> tuple[list[sa.Row], str]:
    """The campaign's logs by user id."""
    scope = {"logs": campaign_id, "status": status, "user_id": user_id}
    if domain.has_control(user_id):
        raise InvalidArgument.fields([FieldViolation("user_id", "must not contain control characters")])
    after = pagination.decode(token, scope, shape=(str,))
    if after and domain.has_control(after[0]):
        raise pagination.invalid_token()
    limit = min(size or pagination.DEFAULT_PAGE_SIZE, MAX_LOG_PAGE)
    where = ["campaign_id = :id"] + (["status = :status"] if status else []) + (["user_id = :user_id"] if user_id else [])
    where += ["user_id > :after"] if after else []
    with db.transaction() as conn:
        repository.get_or_raise(conn, campaign_id)
        rows = list(conn.execute(
            sa.text(f"SELECT * FROM campaign.campaign_logs WHERE {' AND '.join(where)} ORDER BY user_id LIMIT :n"),
            {"id": campaign_id, "status": status, "user_id": user_id, "after": after and after[0], "n": limit + 1},
        ))
    return pagination.split(rows, limit, scope, key=lambda r: [r.user_id])


def list_changes(campaign_id: int, size: int, token: str) -> tuple[list[sa.Row], str]:
    """Newest first."""
    scope = {"changes": campaign_id}
    after = _id_key(pagination.decode(token, scope, shape=(int,)))
    limit = pagination.page_size(size)
    with db.transaction() as conn:
        repository.get_or_raise(conn, campaign_id)
        rows = list(conn.execute(
            sa.text(
                "SELECT * FROM campaign.campaign_changes WHERE campaign_id = :id AND (CAST(:after AS bigint) IS NULL OR id < :after) "
                "ORDER BY id DESC LIMIT :n"
            ),
            {"id": campaign_id, "after": after and after[0], "n": limit + 1},
        ))
    return pagination.split(rows, limit, scope)


# ---- contacts -----------------------------------------------------------------------------------

# A dot-atom local part (no quoted strings, comments or brackets: the address goes into a header)
# at a host name with at least one dot.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+", re.ASCII)


def email_ok(email: str) -> bool:
    if len(email) > 254 or not EMAIL.fullmatch(email) or len(email.rsplit("@", 1)[0]) > 64:
        return False
    try:  # what the SMTP channel will build must read back as the same address
        return Address(addr_spec=email).addr_spec == email
    except (ValueError, IndexError):
        return False


def upsert_contact(user_id: str, email: str, email_opt_in: bool, by: str, *, now: datetime | None = None) -> sa.Row:
    """Sets how the EMAIL channel reaches the user; an empty email forgets the address."""
    email = email.strip()
    if domain.has_control(user_id):
        raise InvalidArgument.fields([FieldViolation("user_id", "must not contain control characters")])
    if email and not email_ok(email):
        raise InvalidArgument.fields([FieldViolation("email", "must be an e-mail address such as ana@example.com")])
    if email:
        local, domain_part = email.rsplit("@", 1)
        email = f"{local}@{domain_part.lower()}"  # the domain is case-insensitive; the local part may not be
    with db.transaction() as conn:
        return conn.execute(
            sa.text(
                "INSERT INTO campaign.contacts (user_id, email, email_opt_in, updated_at, updated_by) VALUES (:u, :e, :o, :now, :by) "
                "ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, email_opt_in = excluded.email_opt_in, "
                "updated_at = excluded.updated_at, updated_by = excluded.updated_by RETURNING *"
            ),
            {"u": user_id, "e": email or None, "o": email_opt_in, "now": now or _now(), "by": by},
        ).one()
