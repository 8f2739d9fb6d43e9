"""The API's answers: how a season, a request, a version and a job are written out, and
the pydantic models that declare those shapes for the OpenAPI document (a test checks the
answers against the document: tests/test_api_schemathesis.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from web.desk.operations import VersionView
from web.jobs.models import PlanningJob
from web.requests.models import STATUSES, VisitRequest
from web.requests.schema import RequestFields
from web.seasons.models import Season
from web.tours.models import TourVersion

_Stamp = str | None


class Error(BaseModel):
    error: str = Field(description="What went wrong, in French.")
    field: str | None = Field(description="The field (path such as periods[0].start) or rule at fault.")


class SeasonAnswer(BaseModel):
    slug: str
    name: str
    start: str = Field(json_schema_extra={"format": "date"})
    end: str = Field(json_schema_extra={"format": "date"})
    weekdays: list[int]
    closed_dates: list[str]
    timezone: str
    lock_slack_minutes: int
    publication_serial: int
    published_version: int | None = None
    active_job: int | None = None


class RequestAnswer(RequestFields):
    id: int
    season: str
    commune: str
    commune_name: str
    activity: str | None
    label: str
    status: Literal[*STATUSES]  # type: ignore[valid-type]
    decline_reason: str | None
    created_at: _Stamp
    updated_at: _Stamp


class Figures(BaseModel):
    visits: int
    served: int
    served_priority: int
    total_priority: int
    distance_km: float
    drive_minutes: int
    drive_hours: float
    van_days: int
    co2_kg: float = Field(description="distance_km × co2_factor_kg_per_km")
    co2_factor_kg_per_km: float
    solve_seconds: float


class VersionAnswer(BaseModel):
    id: int
    season: str
    number: int
    status: Literal["draft", "published", "superseded", "failed"]
    created_at: _Stamp
    created_by: str
    published_at: _Stamp
    published_by: str | None
    error: str | None
    figures: Figures | None = None
    routes: list[dict[str, Any]] | None = Field(
        None, description="van-days with their stops (times in minutes after midnight)")
    unserved: list[dict[str, Any]] | None = Field(
        None, description="visits left out with reason and French reason_text")
    publication: dict[str, int] | None = Field(
        None, description="counts of created/changed/unchanged/cancelled visits (publish only)")


class JobAnswer(BaseModel):
    id: int
    season: str
    status: Literal["queued", "running", "done", "failed", "stopped"]
    status_label: str
    backend: Literal["thread", "rq"]
    time_limit: float
    best_served_priority: int | None
    total_priority: int | None
    best_km: float | None
    elapsed_seconds: float
    stop_requested: bool
    message: str
    created_by: str
    created_at: _Stamp
    started_at: _Stamp
    finished_at: _Stamp
    version_id: int | None


def _list_of(key: str, item: type[BaseModel]) -> type[BaseModel]:
    return create_model(f"{item.__name__.removesuffix('Answer')}List", **{key: (list[item], ...)})  # type: ignore[call-overload]


SeasonList = _list_of("seasons", SeasonAnswer)
RequestList = _list_of("requests", RequestAnswer)
VersionList = _list_of("versions", VersionAnswer)


def season_json(s: Season) -> dict[str, Any]:
    return {
        "slug": s.slug,
        "name": s.name,
        "start": s.start.isoformat(),
        "end": s.end.isoformat(),
        "weekdays": list(s.weekdays),
        "closed_dates": list(s.closed_dates),
        "timezone": s.timezone,
        "lock_slack_minutes": s.lock_slack_minutes,
        "publication_serial": s.publication_serial,
    }


def request_json(r: VisitRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "season": r.season.slug,
        "commune": r.commune_insee,
        "commune_name": r.commune.name,
        "activity": r.activity.slug if r.activity else None,
        "label": r.label,
        "status": r.status,
        "decline_reason": r.decline_reason or None,
        "structure_kind": r.structure_kind,
        "structure_name": r.structure_name,
        "contact_name": r.contact_name,
        "email": r.email,
        "phone": r.phone,
        "duration_minutes": r.duration_minutes,
        "periods": list(r.periods or []),
        "weekdays": r.weekdays,
        "earliest_start": r.earliest_start,
        "latest_end": r.latest_end,
        "equipment": list(r.equipment or []),
        "expected_attendees": r.expected_attendees,
        "venue_label": r.venue_label,
        "venue_address": r.venue_address,
        "venue_lat": r.venue_lat,
        "venue_lon": r.venue_lon,
        "priority": r.priority,
        "occurrences": r.occurrences,
        "min_days_between": r.min_days_between,
        "max_days_between": r.max_days_between,
        "same_weekday": r.same_weekday,
        "same_start_within_minutes": r.same_start_within_minutes,
        "required": r.required,
        "notes": r.notes,
        "created_at": r.created_at.isoformat() if r.created_at else None,
        "updated_at": r.updated_at.isoformat() if r.updated_at else None,
    }


def version_json(v: TourVersion, *, detail: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": v.id,
        "season": v.season.slug,
        "number": v.number,
        "status": v.status,
        "created_at": v.created_at.isoformat() if v.created_at else None,
        "created_by": v.created_by,
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "published_by": v.published_by or None,
        "error": v.error or None,
    }
    if v.plan_json is None:
        return out
    view = VersionView(v)
    out["figures"] = view.figures()
    if detail:
        out["routes"] = [
            {
                "van": r.van.slug,
                "date": r.day.isoformat(),
                "leave": r.leave,
                "back": r.back,
                "distance_km": r.distance_km,
                "drive_minutes": r.drive_minutes,
                "stops": [
                    {"request": s.request.id, "occurrence": s.occurrence, "commune": s.request.commune_insee,
                     "arrive": s.arrive, "start": s.start, "end": s.end, "locked": s.locked}
                    for s in r.stops
                ],
            }
            for r in view.routes()
        ]
        out["unserved"] = [
            {"request": u["request_id"], "occurrence": u["occurrence"], "reason": u["reason"],
             "reason_text": u["reason_text"], "detail": u["detail"]}
            for u in view.left_out()
        ]
    return out


def job_json(job: PlanningJob) -> dict[str, Any]:
    from web.jobs.operations import job_status

    return job_status(job)
