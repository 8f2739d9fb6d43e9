from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.core.types import UTCDateTime, utcnow
from web.extensions import db
from web.requests.models import VisitRequest
from web.vans.models import Van

PIN_KINDS = ("lock", "unlock")


class VisitPin(db.Model):
    """An operator's decision about one visit for the next plans of its season.

    ``lock``: keep this occurrence on that van, date and start (exported as ``locked``),
    in every re-plan, until the operator unlocks it.
    ``unlock`` ("allow to move"): a published visit within the season's freeze horizon that
    the optimiser may move after all (exported as ``published`` only, not ``locked``). It
    ends at the next publication that includes the visit: a published visit is a fresh
    promise (:func:`web.tours.operations._clear_unlocks`)."""

    __tablename__ = "visit_pins"
    __table_args__ = (
        UniqueConstraint("season_id", "request_id", "occurrence"),
        CheckConstraint("kind IN ('lock', 'unlock')", name="kind"),
        CheckConstraint(
            "kind <> 'lock' OR (van_id IS NOT NULL AND date IS NOT NULL AND start IS NOT NULL)",
            name="lock_has_place",
        ),
        CheckConstraint("occurrence >= 0", name="occurrence_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("visit_requests.id", ondelete="CASCADE"))
    occurrence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    van_id: Mapped[int | None] = mapped_column(ForeignKey("vans.id", ondelete="CASCADE"))
    date: Mapped[date | None] = mapped_column(Date)
    start: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[VisitRequest] = relationship()
    van: Mapped[Van | None] = relationship()
