from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, CheckConstraint, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import db


class Season(db.Model):
    """A planning season. ``publication_serial`` rises at every publication: a draft
    remembers the serial it was planned against, and publishing it fails with a
    conflict when another publication happened in between (optimistic locking)."""

    __tablename__ = "seasons"
    __table_args__ = (
        CheckConstraint('"end" >= start', name="horizon"),
        CheckConstraint("lock_slack_minutes >= 0", name="slack_positive"),
        CheckConstraint("publication_serial >= 0 AND version_counter >= 0", name="counters"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    #: ISO weekdays 1 (Monday) .. 7 (Sunday) the vans go out.
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=lambda: [1, 2, 3, 4, 5])
    #: ISO dates with no service (public holidays filled in, editable).
    closed_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/Paris")
    #: How far a published visit's start may move when the season is planned again.
    lock_slack_minutes: Mapped[int] = mapped_column(Integer, default=30)
    publication_serial: Mapped[int] = mapped_column(Integer, default=0)
    version_counter: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Season {self.slug}>"
