from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import db


class RoadLeg(db.Model):
    """One leg by road, as a routing engine gave it on one road graph.

    Points are keyed on coordinates rounded to 1e-5 degree (about a metre), stored as whole
    numbers so that the key compares exactly on every database. A rebuilt graph has a new
    ``graph_version``: its legs are asked again, the old ones are simply never read.
    """

    __tablename__ = "road_legs"

    graph_version: Mapped[str] = mapped_column(String(200), primary_key=True)
    from_lat: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_lon: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_lat: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_lon: Mapped[int] = mapped_column(Integer, primary_key=True)
    km: Mapped[float] = mapped_column(Float)
    minutes: Mapped[float] = mapped_column(Float)
