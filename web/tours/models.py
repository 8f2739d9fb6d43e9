from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.core.types import UTCDateTime, unique_where, utcnow
from web.extensions import db
from web.requests.models import VisitRequest
from web.seasons.models import Season
from web.vans.models import Van

VERSION_STATUSES = ("draft", "published", "superseded", "failed")
VISIT_STATUSES = ("scheduled", "cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class TourVersion(db.Model):
    """One optimiser run of a season: the problem it solved, the plan, its figures
    and why visits were left out. At most one ``published`` per season — enforced
    by a partial unique index, not only in Python."""

    __tablename__ = "tour_versions"
    __table_args__ = (
        UniqueConstraint("season_id", "number"),
        CheckConstraint(_in("status", VERSION_STATUSES), name="status"),
        CheckConstraint("status <> 'published' OR published_at IS NOT NULL", name="published_has_date"),
        CheckConstraint("status = 'failed' OR plan_json IS NOT NULL", name="plan_unless_failed"),
        unique_where("uq_tour_versions_one_published_per_season", "season_id", "status = 'published'"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254), default="")
    #: The season's publication_serial when this version was planned (see Season).
    base_serial: Mapped[int] = mapped_column(Integer, default=0)
    problem_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The road data the travel came from: "<engine> <graph version>" ("Valhalla valhalla:1796…"),
    #: "" when the plan used straight lines (the problem's haversine model).
    travel_source: Mapped[str] = mapped_column(String(200), default="", server_default="")
    plan_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text, default="")
    served: Mapped[int] = mapped_column(Integer, default=0)
    visits: Mapped[int] = mapped_column(Integer, default=0)
    served_priority: Mapped[int] = mapped_column(Integer, default=0)
    total_priority: Mapped[int] = mapped_column(Integer, default=0)
    distance_km: Mapped[float] = mapped_column(Float, default=0.0)
    drive_minutes: Mapped[int] = mapped_column(Integer, default=0)
    van_days: Mapped[int] = mapped_column(Integer, default=0)
    solve_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    #: [{"request_id", "occurrence", "reason", "reason_text", "detail"}]
    unserved: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(254), default="")

    season: Mapped[Season] = relationship()
    rows: Mapped[list[VersionVisit]] = relationship(
        back_populates="version",
        cascade="all, delete-orphan",
        order_by="(VersionVisit.date, VersionVisit.van_id, VersionVisit.order)",
    )

    def __repr__(self) -> str:
        return f"<TourVersion season={self.season_id} #{self.number} {self.status}>"


class VersionVisit(db.Model):
    """A visit as one version plans it; ``visit_id`` links it to the stable public
    :class:`Visit` once the version is published."""

    __tablename__ = "version_visits"
    __table_args__ = (
        UniqueConstraint("version_id", "request_id", "occurrence"),
        CheckConstraint("occurrence >= 0", name="occurrence_positive"),
        CheckConstraint('arrive <= start AND start <= "end" AND start >= 0 AND "end" <= 1440', name="times"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("tour_versions.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("visit_requests.id", ondelete="RESTRICT"), index=True)
    occurrence: Mapped[int] = mapped_column(Integer)
    van_id: Mapped[int] = mapped_column(ForeignKey("vans.id", ondelete="RESTRICT"))
    date: Mapped[date] = mapped_column(Date)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    arrive: Mapped[int] = mapped_column(Integer)
    #: Position in the van-day's route, from 0.
    order: Mapped[int] = mapped_column("stop_order", Integer)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"), index=True)

    version: Mapped[TourVersion] = relationship(back_populates="rows")
    request: Mapped[VisitRequest] = relationship()
    van: Mapped[Van] = relationship()
    visit: Mapped[Visit | None] = relationship()


class Visit(db.Model):
    """The public, stable visit of one request occurrence. Its ``id`` is the identifier
    in calendar UIDs (``visit-<id>@<host>``) and is never reused (AUTOINCREMENT on
    SQLite, a sequence on PostgreSQL). ``revision`` rises whenever date, time, van
    or place change and on cancellation; a cancelled visit is kept."""

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("request_id", "occurrence"),
        CheckConstraint(_in("status", VISIT_STATUSES), name="status"),
        CheckConstraint("occurrence >= 0 AND revision >= 0", name="counters"),
        CheckConstraint('start <= "end" AND start >= 0 AND "end" <= 1440', name="times"),
        CheckConstraint("status <> 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_has_date"),
        Index("ix_visits_season_date", "season_id", "date"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("visit_requests.id", ondelete="RESTRICT"), index=True)
    occurrence: Mapped[int] = mapped_column(Integer)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="RESTRICT"))
    van_id: Mapped[int] = mapped_column(ForeignKey("vans.id", ondelete="RESTRICT"), index=True)
    date: Mapped[date] = mapped_column(Date)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    #: Where the van stands, copied from the request when published (a change is a new revision).
    place_label: Mapped[str] = mapped_column(String(300), default="")
    place_address: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The published version that last set this visit.
    version_id: Mapped[int | None] = mapped_column(ForeignKey("tour_versions.id", ondelete="SET NULL"))

    request: Mapped[VisitRequest] = relationship()
    season: Mapped[Season] = relationship()
    van: Mapped[Van] = relationship()

    def __repr__(self) -> str:
        return f"<Visit {self.id} r{self.request_id}#{self.occurrence} {self.date} rev{self.revision} {self.status}>"
