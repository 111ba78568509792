"""Settings from the environment: one frozen object, read once per process.

Every variable is documented in README.md ("Configuration").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from None


def _share(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise SystemExit(f"{name} must be a number from 0 to 1, got {raw!r}")
    return value


def _list(name: str, default: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in os.environ.get(name, default).split(",") if v.strip())


def _window(name: str, default: str) -> str:
    """`lifetime`, or a rolling number of months such as `12m`."""
    raw = (os.environ.get(name) or default).strip().lower()
    if raw == "lifetime" or (raw.endswith("m") and raw[:-1].isdigit() and 1 <= int(raw[:-1]) <= 120):
        return raw
    raise SystemExit(f"{name} must be lifetime or a number of months such as 12m, got {raw!r}")


def _days(name: str, default: str) -> tuple[int, ...]:
    """Comma-separated positive day counts, such as `7,30`."""
    try:
        days = tuple(sorted({int(v) for v in _list(name, default)}))
    except ValueError:
        days = (0,)
    if any(d < 1 for d in days):
        raise SystemExit(f"{name} must be positive day counts such as 7,30")
    return days


def _milestones(name: str, default: str) -> tuple[tuple[int, int], ...]:
    """`day:points` pairs, such as `7:500,30:3000`."""
    out = {}
    for item in _list(name, default):
        day, _, points = item.partition(":")
        if not (day.isdigit() and points.isdigit() and int(day) >= 1 and int(points) >= 1):
            raise SystemExit(f"{name} must be day:points pairs such as 7:500,30:3000, got {item!r}")
        out[int(day)] = int(points)
    return tuple(sorted(out.items()))


def sqlalchemy_url(url: str) -> str:
    """Accepts postgres://, postgresql:// or postgresql+psycopg:// and returns the psycopg 3 form."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise SystemExit(f"DATABASE_URL must be a PostgreSQL URL, got {url.split('://')[0]}://...")


def libpq_url(url: str) -> str:
    """The same URL in the plain libpq form psycopg and pgbench take."""
    return "postgresql://" + sqlalchemy_url(url)[len("postgresql+psycopg://") :]


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None
    broker_url: str | None
    grpc_host: str
    grpc_port: int
    grpc_workers: int
    grpc_processes: int
    edge_port: int
    edge_admin_port: int
    metrics_port: int
    db_pool_size: int
    jwt_issuer: str
    jwt_audience: str
    jwt_jwks: str | None
    cors_origins: tuple[str, ...]
    currency: str
    timezone: str
    log_level: str
    outbox_relay_seconds: int
    segment_run_cron: str
    max_request_bytes: int
    reward_explore_share: float
    coupon_failed_redeem_limit: int
    loyalty_tier_window: str
    loyalty_downgrade_grace_days: int
    loyalty_points_rate_bp: int
    loyalty_points_hold_days: int
    loyalty_points_expiry_days: int
    loyalty_expiring_soon_days: int
    loyalty_referral_min_purchase: int
    loyalty_referral_referrer_points: int
    loyalty_referral_referee_points: int
    loyalty_referral_clawback_days: int
    loyalty_referral_monthly_cap: int
    loyalty_referral_failed_attach_limit: int
    loyalty_leaderboard_close_cron: str
    loyalty_leaderboard_close_delay_hours: int
    loyalty_leaderboard_retain_months: int
    loyalty_streak_milestones: tuple[tuple[int, int], ...]
    loyalty_streak_max_freezes: int
    loyalty_streak_freeze_milestones: tuple[int, ...]
    campaign_scheduler_seconds: int
    campaign_batch_size: int
    campaign_frequency_cap: int
    campaign_conversion_window_hours: int
    campaign_cart_idle_minutes: int
    campaign_send_max_attempts: int
    campaign_webhook_timeout_seconds: int
    smtp_host: str
    smtp_port: int
    smtp_from: str
    smtp_username: str | None
    smtp_password: str | None
    smtp_starttls: bool
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def grpc_target(self) -> str:
        return f"{self.grpc_host}:{self.grpc_port}"

    @property
    def dev_key_path(self) -> Path:
        return self.home / "dev-jwt-key.pem"


def load() -> Settings:
    home = Path(os.environ.get("ENGAGE_HOME") or Path.cwd() / ".engage").resolve()
    return Settings(
        home=home,
        database_url=os.environ.get("DATABASE_URL") or None,
        broker_url=os.environ.get("BROKER_URL") or None,
        grpc_host=os.environ.get("GRPC_HOST", "127.0.0.1"),
        grpc_port=_int("GRPC_PORT", 50051),
        grpc_workers=_int("GRPC_WORKERS", 8),
        grpc_processes=_int("GRPC_PROCESSES", 1),
        edge_port=_int("EDGE_PORT", 8080),
        edge_admin_port=_int("EDGE_ADMIN_PORT", 9901),
        metrics_port=_int("METRICS_PORT", 9464),
        db_pool_size=_int("DB_POOL_SIZE", 16),
        jwt_issuer=os.environ.get("JWT_ISSUER", "engage-dev"),
        jwt_audience=os.environ.get("JWT_AUDIENCE", "engage"),
        jwt_jwks=os.environ.get("JWT_JWKS") or None,
        cors_origins=_list("CORS_ORIGINS", "http://localhost:5173,http://127.0.0.1:5173,http://localhost:3000"),
        currency=os.environ.get("ENGAGE_CURRENCY", "KRW").upper(),
        timezone=os.environ.get("ENGAGE_TIMEZONE", "Asia/Seoul"),
        log_level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        outbox_relay_seconds=_int("OUTBOX_RELAY_SECONDS", 1),
        segment_run_cron=os.environ.get("SEGMENT_RUN_CRON", "0 4 * * *"),
        max_request_bytes=_int("MAX_REQUEST_BYTES", 1_048_576),
        reward_explore_share=_share("REWARD_EXPLORE_SHARE", 0.1),
        coupon_failed_redeem_limit=_int("COUPON_FAILED_REDEEM_LIMIT", 10),
        loyalty_tier_window=_window("LOYALTY_TIER_WINDOW", "lifetime"),
        loyalty_downgrade_grace_days=_int("LOYALTY_DOWNGRADE_GRACE_DAYS", 30),
        loyalty_points_rate_bp=_int("LOYALTY_POINTS_RATE_BP", 100),
        loyalty_points_hold_days=_int("LOYALTY_POINTS_HOLD_DAYS", 0),
        loyalty_points_expiry_days=_int("LOYALTY_POINTS_EXPIRY_DAYS", 365),
        loyalty_expiring_soon_days=_int("LOYALTY_EXPIRING_SOON_DAYS", 30),
        loyalty_referral_min_purchase=_int("LOYALTY_REFERRAL_MIN_PURCHASE", 30_000),
        loyalty_referral_referrer_points=_int("LOYALTY_REFERRAL_REFERRER_POINTS", 3_000),
        loyalty_referral_referee_points=_int("LOYALTY_REFERRAL_REFEREE_POINTS", 2_000),
        loyalty_referral_clawback_days=_int("LOYALTY_REFERRAL_CLAWBACK_DAYS", 14),
        loyalty_referral_monthly_cap=_int("LOYALTY_REFERRAL_MONTHLY_CAP", 10),
        loyalty_referral_failed_attach_limit=_int("LOYALTY_REFERRAL_FAILED_ATTACH_LIMIT", 5),
        loyalty_leaderboard_close_cron=os.environ.get("LOYALTY_LEADERBOARD_CLOSE_CRON", "30 0 * * *"),
        loyalty_leaderboard_close_delay_hours=_int("LOYALTY_LEADERBOARD_CLOSE_DELAY_HOURS", 24),
        loyalty_leaderboard_retain_months=_int("LOYALTY_LEADERBOARD_RETAIN_MONTHS", 3),
        loyalty_streak_milestones=_milestones("LOYALTY_STREAK_MILESTONES", "7:500,30:3000,100:10000"),
        loyalty_streak_max_freezes=_int("LOYALTY_STREAK_MAX_FREEZES", 2),
        loyalty_streak_freeze_milestones=_days("LOYALTY_STREAK_FREEZE_MILESTONES", "7,30"),
        campaign_scheduler_seconds=_int("CAMPAIGN_SCHEDULER_SECONDS", 30),
        campaign_batch_size=_int("CAMPAIGN_BATCH_SIZE", 1000),
        campaign_frequency_cap=_int("CAMPAIGN_FREQUENCY_CAP", 3),
        campaign_conversion_window_hours=_int("CAMPAIGN_CONVERSION_WINDOW_HOURS", 72),
        campaign_cart_idle_minutes=_int("CAMPAIGN_CART_IDLE_MINUTES", 30),
        campaign_send_max_attempts=_int("CAMPAIGN_SEND_MAX_ATTEMPTS", 6),
        campaign_webhook_timeout_seconds=_int("CAMPAIGN_WEBHOOK_TIMEOUT_SECONDS", 5),
        smtp_host=os.environ.get("SMTP_HOST", "127.0.0.1"),
        smtp_port=_int("SMTP_PORT", 25),
        smtp_from=os.environ.get("SMTP_FROM", "Engage <no-reply@engage.local>"),
        smtp_username=os.environ.get("SMTP_USERNAME") or None,
        smtp_password=os.environ.get("SMTP_PASSWORD") or None,
        smtp_starttls=os.environ.get("SMTP_STARTTLS", "false").lower() in ("1", "true", "yes"),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load()
