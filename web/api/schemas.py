"""Shapes of JSON bodies and answers of the API.

Request bodies are checked field by field for *type* here (the business rules are the
operations' job): a wrong-typed value gets a 400 naming the field before anything
reaches the database, so hostile input can neither cause a 500 nor store a half row.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from web.auth.operations import valid_email
from web.core.errors import OperationError
from web.desk.operations import VersionView
from web.jobs.models import PlanningJob
from web.requests.forms import EMAIL_ERROR, PHONE_ERROR, french_phone, text_problem
from web.requests.models import VisitRequest
from web.requests.rhythm import LIMITS as RHYTHM_LIMITS
from web.seasons.models import Season
from web.tours.models import TourVersion

_STR_LIMITS = {
    "label": 300,
    "structure_kind": 20,
    "structure_name": 200,
    "contact_name": 200,
    "email": 254,
    "phone": 40,
    "venue_label": 300,
    "venue_address": 2000,
    "notes": 5000,
}
_INT_FIELDS = {
    "duration_minutes": (1, 1440),
    "earliest_start": (0, 1440),
    "latest_end": (0, 1440),
    "expected_attendees": (0, 100000),
    "priority": (1, 1000),
    # The rhythm's bounds are the forms' too (one schema: web/requests/rhythm.py).
    **RHYTHM_LIMITS,
}
_NULLABLE = {"earliest_start", "latest_end", "expected_attendees", "weekdays", "venue_lat", "venue_lon",
             "max_days_between", "same_start_within_minutes"}
_BOOL_FIELDS = {"required", "same_weekday"}
REQUEST_FIELDS = (
    {"season", "commune", "activity", "periods", "weekdays", "equipment", "venue_lat", "venue_lon"}
    | _BOOL_FIELDS
    | set(_STR_LIMITS)
    | set(_INT_FIELDS)
)


def bad(field: str, message: str) -> OperationError:
    return OperationError(message, field)


#: Free text that may span lines (the forms' text areas).
_MULTILINE = {"notes", "venue_address", "note", "reason"}


def _str(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise bad(field, "doit être une chaîne de caractères")
    if len(value) > _STR_LIMITS.get(field, 300):
        raise bad(field, f"{_STR_LIMITS.get(field, 300)} caractères au plus")
    problem = text_problem(value, multiline=field in _MULTILINE)
    if problem:
        raise bad(field, problem)
    # The same checks as the public form and the inbox (web/requests/forms.py).
    if field == "email" and value and not valid_email(value.strip()):
        raise bad(field, EMAIL_ERROR)
    if field == "phone" and value.strip():
        phone = french_phone(value)
        if phone is None:
            raise bad(field, PHONE_ERROR)
        return phone
    return value


def _int(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(field, "doit être un nombre entier")
    lo, hi = _INT_FIELDS[field]
    if not lo <= value <= hi:
        raise bad(field, f"doit être entre {lo} et {hi}")
    return value


def _coord(field: str, value: Any, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad(field, "doit être un nombre")
    if not -limit <= value <= limit:
        raise bad(field, f"doit être entre {-limit:g} et {limit:g}")
    return float(value)


def iso_date(field: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) != 10:
        raise bad(field, "date attendue au format AAAA-MM-JJ")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise bad(field, "date attendue au format AAAA-MM-JJ") from None


def request_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The typed fields of a request body (without season/commune/activity/label)."""
    unknown = sorted(set(body) - REQUEST_FIELDS)
    if unknown:
        raise bad(unknown[0], "champ inconnu")
    out: dict[str, Any] = {}
    for field, value in body.items():
        if field in ("season", "commune", "activity", "label"):
            continue
        if value is None and field in _NULLABLE:
            out[field] = None
        elif field in _STR_LIMITS:
            out[field] = _str(field, value)
        elif field in _INT_FIELDS:
            out[field] = _int(field, value)
        elif field in _BOOL_FIELDS:
            if not isinstance(value, bool):
                raise bad(field, "doit être true ou false")
            out[field] = value
        elif field == "venue_lat":
            out[field] = _coord(field, value, 90)
        elif field == "venue_lon":
            out[field] = _coord(field, value, 180)
        elif field == "weekdays":
            if not isinstance(value, list) or any(isinstance(d, bool) or not isinstance(d, int) for d in value):
                raise bad(field, "liste de jours 1 (lundi) à 7 (dimanche)")
            out[field] = sorted(set(value))
        elif field == "equipment":
            if not isinstance(value, list) or len(value) > 50:
                raise bad(field, "liste de noms de matériel")
            out[field] = sorted({_str(f"{field}[{i}]", e) for i, e in enumerate(value)})
        elif field == "periods":
            if not isinstance(value, list) or len(value) > 50:
                raise bad(field, "liste de périodes {start, end}")
            periods = []
            for i, p in enumerate(value):
                if not isinstance(p, dict) or set(p) != {"start", "end"}:
                    raise bad(f"periods[{i}]", "une période est {\"start\": AAAA-MM-JJ, \"end\": AAAA-MM-JJ}")
                periods.append({"start": iso_date(f"periods[{i}].start", p["start"]),
                                "end": iso_date(f"periods[{i}].end", p["end"])})
            out[field] = periods
        else:  # pragma: no cover - REQUEST_FIELDS and the branches above agree
            raise bad(field, "champ inconnu")
    return out


def text_field(body: dict[str, Any], field: str, *, required: bool = True, limit: int = 5000) -> str:
    value = body.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise bad(field, "texte obligatoire")
    if len(value) > limit:
        raise bad(field, f"{limit} caractères au plus")
    problem = text_problem(value, multiline=field in _MULTILINE)
    if problem:
        raise bad(field, problem)
    return value


#: Deeper JSON is refused before it is walked (no request body needs more than 4).
MAX_JSON_DEPTH = 32


def check_json(value: Any) -> None:
    """Refuse, naming the top-level field, a body nested too deep or holding a string no
    database can store (a lone surrogate such as ``"\\ud800"``, a NUL), wherever it is."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, field, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise bad(field or "body", f"JSON trop imbriqué ({MAX_JSON_DEPTH} niveaux au plus)")
        if isinstance(item, dict):
            for k, v in item.items():
                _storable(k, field or "body")
                stack.append((v, field or str(k), depth + 1))
        elif isinstance(item, list):
            stack.extend((v, field, depth + 1) for v in item)
        elif isinstance(item, str):
            _storable(item, field or "body")


def _storable(text: str, where: str) -> None:
    if "\x00" in text:
        raise bad(where, "caractère nul interdit")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise bad(where, "caractère Unicode invalide (moitié de paire de substitution)") from None


# --------------------------------------------------------------------------- #
# Answers
# --------------------------------------------------------------------------- #


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
