from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.core.types import UTCDateTime, unique_where, utcnow
from web.extensions import db
from web.seasons.models import Season
from web.tours.models import TourVersion

JOB_STATUSES = ("queued", "running", "done", "failed", "stopped")
#: A job in one of these states may still change; at most one per season (see operations).
ACTIVE_STATUSES = ("queued", "running")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class PlanningJob(db.Model):
    """One optimiser run of a season, whichever backend runs it (thread or RQ worker).

    The progress fields are written by the job itself as the search improves; the
    stop flag is written by an operator and read by the job's runner, which also
    writes ``heartbeat_at`` every few seconds while it runs: a running job whose
    heartbeat stopped lost its runner (see :func:`web.jobs.operations.is_stale`)."""

    __tablename__ = "planning_jobs"
    __table_args__ = (
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        CheckConstraint("time_limit > 0", name="time_limit_positive"),
        Index("ix_planning_jobs_season_status", "season_id", "status"),
        # Two operators pressing "Planifier" at the same instant: the schema lets one job in.
        unique_where("uq_planning_jobs_one_active_per_season", "season_id", "status IN ('queued', 'running')"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    backend: Mapped[str] = mapped_column(String(20), default="thread")
    time_limit: Mapped[float] = mapped_column(Float, default=30.0)
    #: the search's seed when the caller asked for one (same seed, same search order)
    seed: Mapped[int | None] = mapped_column(Integer)
    best_served_priority: Mapped[int | None] = mapped_column(Integer)
    total_priority: Mapped[int | None] = mapped_column(Integer)
    best_km: Mapped[float | None] = mapped_column(Float)
    elapsed_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("tour_versions.id", ondelete="SET NULL"))
    rq_job_id: Mapped[str] = mapped_column(String(64), default="")

    season: Mapped[Season] = relationship()
    version: Mapped[TourVersion | None] = relationship()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        return f"<PlanningJob {self.id} season={self.season_id} {self.status}>"
