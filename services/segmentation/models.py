"""Tables of the Segmentation service (schema `segmentation`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.common.models import Base

SCHEMA = "segmentation"


class SegmentRule(Base):
    """An operator's rule: the first enabled rule by (priority, id) whose condition holds decides."""

    __tablename__ = "segment_rules"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    segment: Mapped[str] = mapped_column(sa.Text)
    priority: Mapped[int] = mapped_column(sa.Integer)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    condition: Mapped[dict] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())
    updated_by: Mapped[str] = mapped_column(sa.Text)


class RuleVersion(Base):
    """Every change to a rule: what it was before, what it became, who changed it and when."""

    __tablename__ = "rule_versions"
    __table_args__ = (sa.Index("ix_rule_versions_rule_id", "rule_id", "version"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.BigInteger)
    version: Mapped[int] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.Text)  # created, updated, deleted
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    changed_at: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(sa.Text)


class UserSegment(Base):
    """Every known user's current segment and the rule (and its version) that decided it."""

    __tablename__ = "user_segments"
    __table_args__ = (sa.Index("ix_user_segments_segment", "segment", "user_id"), {"schema": SCHEMA})

    user_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    segment: Mapped[str] = mapped_column(sa.Text)
    rule_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    rule_version: Mapped[int | None] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime]


class SegmentRun(Base):
    """One evaluation over all users: when, how many, the count per segment, what changed, or the error."""

    __tablename__ = "segment_runs"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    trigger: Mapped[str] = mapped_column(sa.Text)
    users_evaluated: Mapped[int | None] = mapped_column(sa.BigInteger)
    changes: Mapped[int | None] = mapped_column(sa.BigInteger)
    counts: Mapped[dict | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(sa.Text)


class SegmentChange(Base):
    """A user's move from one segment to another."""

    __tablename__ = "segment_history"
    __table_args__ = (sa.Index("ix_segment_history_user_id", "user_id", "changed_at"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    user_id: Mapped[str] = mapped_column(sa.Text)
    from_segment: Mapped[str | None] = mapped_column(sa.Text)
    to_segment: Mapped[str] = mapped_column(sa.Text)
    rule_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    changed_at: Mapped[datetime]


class Outbox(Base):
    """Segment changes waiting to be published after their run committed (drained by the relay)."""

    __tablename__ = "outbox"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    history_id: Mapped[int] = mapped_column(sa.BigInteger)
