from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tourplan.activities import PRIORITY_MAX, PRIORITY_MIN
from web.activities.models import Activity
from web.communes.models import Commune
from web.core.constraints import in_range, one_of, sql_in, unique_where
from web.core.types import UTCDateTime, utcnow
from web.extensions import db
from web.seasons.models import Season

STATUSES = ("submitted", "accepted", "declined", "planned", "done", "cancelled")
STRUCTURE_KINDS = ("mairie", "médiathèque", "école", "CCAS", "association", "autre")


def new_tracking_token() -> str:
    # 32 URL-safe characters, 192 bits: cannot be guessed nor enumerated.
    return secrets.token_urlsafe(24)


class VisitRequest(db.Model):
    """A commune asks for the van. ``periods`` is a list of ``{"start", "end"}`` ISO dates;
    ``weekdays`` ISO weekdays or null for any; hours in minutes after midnight.
    The venue defaults to the town hall. ``occurrences`` … ``same_start_within_minutes``
    make its rhythm (see :mod:`web.requests.rhythm`). ``status`` changes only through
    :func:`web.requests.operations.change_status`."""

    __tablename__ = "visit_requests"
    __table_args__ = (
        one_of("status", STATUSES),
        one_of("structure_kind", STRUCTURE_KINDS),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        in_range("priority", PRIORITY_MIN, PRIORITY_MAX),
        CheckConstraint("occurrences >= 1", name="occurrences_positive"),
        CheckConstraint("min_days_between >= 0", name="min_days_between_positive"),
        CheckConstraint(
            "max_days_between IS NULL OR (max_days_between >= 1 AND max_days_between >= min_days_between)",
            name="max_days_between_range",
        ),
        CheckConstraint(
            "same_start_within_minutes IS NULL OR same_start_within_minutes BETWEEN 0 AND 1440",
            name="same_start_within_range",
        ),
        CheckConstraint("expected_attendees IS NULL OR expected_attendees >= 0", name="attendees_positive"),
        CheckConstraint(
            "(earliest_start IS NULL OR earliest_start BETWEEN 0 AND 1440) AND "
            "(latest_end IS NULL OR latest_end BETWEEN 0 AND 1440) AND "
            "(earliest_start IS NULL OR latest_end IS NULL OR earliest_start <= latest_end)",
            name="hours",
        ),
        CheckConstraint(
            "(venue_lat IS NULL OR venue_lat BETWEEN -90 AND 90) AND "
            "(venue_lon IS NULL OR venue_lon BETWEEN -180 AND 180)",
            name="venue_point",
        ),
        CheckConstraint("status <> 'declined' OR decline_reason <> ''", name="decline_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="RESTRICT"), index=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee", ondelete="RESTRICT"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="RESTRICT"))
    structure_kind: Mapped[str] = mapped_column(String(20), default="mairie")
    structure_name: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    label: Mapped[str] = mapped_column(String(300))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    periods: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    weekdays: Mapped[list[int] | None] = mapped_column(JSON)
    earliest_start: Mapped[int | None] = mapped_column(Integer)
    latest_end: Mapped[int | None] = mapped_column(Integer)
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    expected_attendees: Mapped[int | None] = mapped_column(Integer)
    venue_label: Mapped[str] = mapped_column(String(300), default="")
    venue_address: Mapped[str] = mapped_column(Text, default="")
    venue_lat: Mapped[float | None] = mapped_column(Float)
    venue_lon: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    min_days_between: Mapped[int] = mapped_column(Integer, default=0)
    #: Rhythm (problem-format v2; plain words in web.requests.rhythm): most days between two
    #: consecutive visits, all on one weekday, starts within so many minutes of each other.
    max_days_between: Mapped[int | None] = mapped_column(Integer)
    same_weekday: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    same_start_within_minutes: Mapped[int | None] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_tracking_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    season: Mapped[Season] = relationship()
    commune: Mapped[Commune] = relationship()
    activity: Mapped[Activity | None] = relationship()
    history: Mapped[list[RequestStatusChange]] = relationship(
        back_populates="request", order_by="RequestStatusChange.id", cascade="all, delete-orphan"
    )

    @property
    def lat(self) -> float:
        """Where the van parks: the venue when given, else the town hall."""
        return self.venue_lat if self.venue_lat is not None else self.commune.lat

    @property
    def lon(self) -> float:
        return self.venue_lon if self.venue_lon is not None else self.commune.lon

    @property
    def place_label(self) -> str:
        return self.venue_label or self.commune.townhall

    def __repr__(self) -> str:
        return f"<VisitRequest {self.id} {self.status}>"


class RequestStatusChange(db.Model):
    """One line of a request's history: who moved it from which status to which, when."""

    __tablename__ = "request_status_changes"
    __table_args__ = (
        one_of("to_status", STATUSES),
        CheckConstraint("from_status IS NULL OR " + sql_in("from_status", STATUSES), name="from_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("visit_requests.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[VisitRequest] = relationship(back_populates="history")


CHANGE_STATUSES = ("pending", "accepted", "refused", "withdrawn")


class RequestChange(db.Model):
    """A commune's request to change its request (from its tracking link). Nothing changes
    on the request until the team accepts: ``proposed`` holds only the fields the commune
    changed (request columns, and ``activity_id``), ``previous`` their values when it asked.
    ``status``: pending -> accepted (values applied) | refused (``reason`` says why) |
    withdrawn (by the commune, or replaced by a newer change, or the request closed).
    At most one pending change per request (a newer one replaces it)."""

    __tablename__ = "request_changes"
    __table_args__ = (
        one_of("status", CHANGE_STATUSES),
        CheckConstraint("status <> 'refused' OR reason <> ''", name="refusal_has_reason"),
        CheckConstraint("status = 'pending' OR decided_at IS NOT NULL", name="decided_at"),
        unique_where("uq_request_changes_one_pending", "request_id", "status = 'pending'"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("visit_requests.id", ondelete="CASCADE"), index=True)
    proposed: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    previous: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(254), default="")

    request: Mapped[VisitRequest] = relationship()

    def __repr__(self) -> str:
        return f"<RequestChange {self.id} of request {self.request_id} {self.status}>"
