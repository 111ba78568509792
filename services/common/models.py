"""Declarative base shared by every service's models, and the platform's own tables.

Each service keeps its tables in its own PostgreSQL schema (activity, segmentation, ...); the
`platform` schema holds plumbing shared by all (the scheduler's tick claims).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: sa.DateTime(timezone=True)}


class ScheduleTick(Base):
    """One row per (job, time slot) fired: the primary key makes a second scheduler's claim a no-op."""

    __tablename__ = "schedule_ticks"
    __table_args__ = {"schema": "platform"}

    job: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    slot: Mapped[datetime] = mapped_column(primary_key=True)
    claimed_by: Mapped[str] = mapped_column(sa.Text)
    claimed_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())
