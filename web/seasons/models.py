from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, CheckConstraint, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from web.core.constraints import in_range
from web.extensions import db

#: Re-planning defaults (problem-format v2): two weeks of published visits frozen, and one
#: priority point the cost of moving a published visit.
DEFAULT_FREEZE_DAYS = 14
#: A published visit is a promise to a commune: moving it must win more than a small visit's
#: priority (1 to 5), yet a visit a closed day forced off must still find a place by moving
#: another (it costs its priority less this). Measured by bench/replan.py: at 1, 8 % of the
#: published visits moved for small gains; at 3, visits of priority 3 forced off a closed day
#: were dropped rather than moving anyone (a tie); 2 keeps both low.
DEFAULT_MOVE_COST = 2
#: Communes get a reminder with their duties this many days before a visit (0: none).
DEFAULT_REMINDER_DAYS = 7


class Season(db.Model):
    """A planning season. ``publication_serial`` rises at every publication: a draft
    remembers the serial it was planned against, and publishing it fails with a
    conflict when another publication happened in between (optimistic locking)."""

    __tablename__ = "seasons"
    __table_args__ = (
        CheckConstraint('"end" >= start', name="horizon"),
        CheckConstraint("lock_slack_minutes >= 0", name="slack_positive"),
        CheckConstraint("freeze_days >= 0 AND move_cost >= 0", name="stability_positive"),
        CheckConstraint("publication_serial >= 0 AND version_counter >= 0", name="counters"),
        in_range("reminder_days", 0, 60),
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
    #: Published visits within this many days from today are frozen (hard locks when re-planned):
    #: communes rely on them. Later ones are kept unless moving them pays for itself.
    freeze_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_FREEZE_DAYS, server_default="14")
    #: Priority points one moved published visit costs a re-plan (problem-format v2 ``move_cost``).
    move_cost: Mapped[int] = mapped_column(Integer, default=DEFAULT_MOVE_COST, server_default="2")
    #: Days before a visit the commune is reminded of what to prepare (0: no reminder).
    reminder_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_REMINDER_DAYS, server_default="7")
    publication_serial: Mapped[int] = mapped_column(Integer, default=0)
    version_counter: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Season {self.slug}>"
