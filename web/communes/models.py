from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tourplan.communes import at_commune, of_commune, townhall_name
from web.core.constraints import in_range, on_earth
from web.core.types import UTCDateTime, utcnow
from web.extensions import db


class Commune(db.Model):
    """A French commune. ``lat``/``lon`` is the town-hall point (moved inside the commune
    when the source put it outside, then ``point_corrected`` is true)."""

    __tablename__ = "communes"
    __table_args__ = (
        *on_earth(),
        CheckConstraint("population IS NULL OR population >= 0", name="population_positive"),
        in_range("name_type", 0, 8),
    )

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: INSEE name type (TNCC 0-8) of ``name``: says "de"/"d'"/"du"/"des" before it.
    name_type: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    department: Mapped[str] = mapped_column(String(3), index=True)
    postal_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    population: Mapped[int | None] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    point_corrected: Mapped[bool] = mapped_column(default=False)
    townhall_address: Mapped[str] = mapped_column(Text, default="")
    #: ISO weekday ("1".."7") -> list of [start, end] minutes after midnight.
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Copied verbatim from outside data: no length limit that an odd entry could break on PostgreSQL.
    email: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(Text, default="")
    accessibility: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def of_name(self) -> str:
        """"des Laubies", "d'Albaret-Sainte-Marie", "de Mende"."""
        return of_commune(self.name, self.name_type)

    @property
    def at_name(self) -> str:
        """"aux Laubies", "au Malzieu-Ville", "à Mende"."""
        return at_commune(self.name, self.name_type)

    @property
    def townhall(self) -> str:
        """"Mairie des Laubies"."""
        return townhall_name(self.name, self.name_type)

    def __repr__(self) -> str:
        return f"<Commune {self.insee} {self.name}>"
