from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import db


class Van(db.Model):
    """A van. ``slug`` is its id in problem files and in ``/vans/<slug>.ics``.
    Times are minutes after midnight; ``days_off`` ISO dates."""

    __tablename__ = "vans"
    __table_args__ = (
        CheckConstraint("shift_start >= 0 AND shift_end <= 1440 AND shift_start < shift_end", name="shift"),
        CheckConstraint(
            "break_minutes >= 0 AND break_earliest >= 0 AND break_latest <= 1440 "
            "AND break_latest - break_earliest >= break_minutes",
            name="break_fits",
        ),
        CheckConstraint("max_drive_minutes IS NULL OR max_drive_minutes >= 0", name="max_drive"),
        CheckConstraint("depot_lat BETWEEN -90 AND 90 AND depot_lon BETWEEN -180 AND 180", name="depot_point"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    depot_label: Mapped[str] = mapped_column(String(200), default="")
    depot_lat: Mapped[float] = mapped_column(Float)
    depot_lon: Mapped[float] = mapped_column(Float)
    shift_start: Mapped[int] = mapped_column(Integer, default=8 * 60)
    shift_end: Mapped[int] = mapped_column(Integer, default=18 * 60)
    break_earliest: Mapped[int] = mapped_column(Integer, default=12 * 60)
    break_latest: Mapped[int] = mapped_column(Integer, default=14 * 60)
    break_minutes: Mapped[int] = mapped_column(Integer, default=0)
    max_drive_minutes: Mapped[int | None] = mapped_column(Integer)
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    days_off: Mapped[list[str]] = mapped_column(JSON, default=list)

    def __repr__(self) -> str:
        return f"<Van {self.slug}>"
