from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tourplan.activities import PRIORITY_MAX, PRIORITY_MIN
from web.core.constraints import in_range
from web.extensions import db


class Activity(db.Model):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        in_range("priority", PRIORITY_MIN, PRIORITY_MAX),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    what_to_bring: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(200), default="")

    def __repr__(self) -> str:
        return f"<Activity {self.slug}>"
