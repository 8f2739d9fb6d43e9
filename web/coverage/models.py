from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from web.core.constraints import on_earth, one_of
from web.core.types import UTCDateTime, utcnow
from web.extensions import db

PLACE_SOURCES = ("france-services", "operator")


class FixedPlace(db.Model):
    """A fixed place where people get digital help without the van: a France Services site
    (imported from the ANCT list, ``source_id`` its ``id_fs``) or a place the operator entered
    (médiathèque with public computers, EPN). ``commune_insee`` is not a foreign key: a place
    just over the border of the territory still covers the communes near it."""

    __tablename__ = "fixed_places"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        one_of("source", PLACE_SOURCES),
        *on_earth(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    commune_insee: Mapped[str] = mapped_column(String(5), default="", index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    #: Weekday name -> hours as the source writes them ("09:00 - 12:00 / 14:00 - 17:00").
    hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<FixedPlace {self.source}:{self.source_id} {self.name}>"


class CoverageWeights(db.Model):
    """The operator's weights of the need score for one season (defaults when absent)."""

    __tablename__ = "coverage_weights"
    __table_args__ = (
        CheckConstraint("far BETWEEN 0 AND 10 AND stale BETWEEN 0 AND 10 AND people BETWEEN 0 AND 10",
                        name="weights_range"),
        CheckConstraint("far + stale + people > 0", name="weights_not_all_zero"),
    )

    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"), primary_key=True)
    far: Mapped[int] = mapped_column(Integer)
    stale: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(254), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class VisitOutcome(db.Model):
    """What one visit achieved, recorded by the operator after it: people who came, themes, a note."""

    __tablename__ = "visit_outcomes"
    __table_args__ = (CheckConstraint("people >= 0 AND people <= 10000", name="people_range"),)

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    people: Mapped[int] = mapped_column(Integer)
    #: Theme key -> people helped on it (see web.coverage.operations.THEMES).
    themes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(254), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
