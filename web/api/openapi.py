"""The OpenAPI 3.1 document of ``/api/v1``, written by hand.

A test checks that every route of the API blueprint appears here with its method
and that every operation here is a real route, so the document cannot drift.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from web.coverage.schema import CoverageOut
from web.requests.rhythm import LIMITS as RHYTHM_LIMITS

_ERROR = {"$ref": "#/components/schemas/Error"}


def _resp(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Bad input: the field in error is named in `field`.",
        401: "No operator session and no valid bearer token.",
        404: "Unknown season, request, version or job.",
        409: "State conflict: wrong status, already published, a job already running, a refused move.",
    }
    return {str(c): _resp(text[c], _ERROR) for c in codes}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    # Every write takes a JSON body, ``{}`` at least: the API refuses a POST without one
    # (a cross-site form cannot send JSON), so the document says it is required.
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _path_param(name: str, kind: str = "integer") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string", **schema}}


_NULLABLE_INT = {"type": ["integer", "null"]}
_REQUEST_FIELDS: dict[str, Any] = {
    "structure_kind": {"type": "string", "enum": ["mairie", "médiathèque", "école", "CCAS", "association", "autre"]},
    "structure_name": {"type": "string", "maxLength": 200},
    "contact_name": {"type": "string", "maxLength": 200},
    "email": {"type": "string", "maxLength": 254},
    "phone": {"type": "string", "maxLength": 40},
    "duration_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
    "periods": {"type": "array", "items": {"$ref": "#/components/schemas/Period"}},
    "weekdays": {"type": ["array", "null"], "items": {"type": "integer", "minimum": 1, "maximum": 7}},
    "earliest_start": {**_NULLABLE_INT, "minimum": 0, "maximum": 1440, "description": "minutes after midnight"},
    "latest_end": {**_NULLABLE_INT, "minimum": 0, "maximum": 1440, "description": "minutes after midnight"},
    "equipment": {"type": "array", "items": {"type": "string"}},
    "expected_attendees": {**_NULLABLE_INT, "minimum": 0},
    "venue_label": {"type": "string", "maxLength": 300},
    "venue_address": {"type": "string"},
    "venue_lat": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
    "venue_lon": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
    "priority": {"type": "integer", "minimum": 1},
    **{name: {"type": ["integer", "null"] if name in ("max_days_between", "same_start_within_minutes") else "integer",
              "minimum": lo, "maximum": hi} for name, (lo, hi) in RHYTHM_LIMITS.items()},
    "same_weekday": {"type": "boolean", "description": "every visit on the same day of the week"},
    "required": {"type": "boolean"},
    "notes": {"type": "string"},
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "field"],
        "properties": {"error": {"type": "string", "description": "What went wrong, in French."},
                       "field": {"type": ["string", "null"], "description": "The field or rule at fault."}},
    },
    "Period": {
        "type": "object",
        "required": ["start", "end"],
        "properties": {"start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"}},
        "additionalProperties": False,
    },
    "Season": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"},
            "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"},
            "weekdays": {"type": "array", "items": {"type": "integer"}},
            "closed_dates": {"type": "array", "items": {"type": "string", "format": "date"}},
            "timezone": {"type": "string"}, "lock_slack_minutes": {"type": "integer"},
            "publication_serial": {"type": "integer"},
            "published_version": {"type": ["integer", "null"]}, "active_job": {"type": ["integer", "null"]},
        },
    },
    "NewRequest": {
        "type": "object",
        "required": ["season", "commune", "label"],
        "additionalProperties": False,
        "properties": {
            "season": {"type": "string", "description": "season slug"},
            "commune": {"type": "string", "description": "INSEE code"},
            "activity": {"type": ["string", "null"], "description": "activity slug"},
            "label": {"type": "string", "maxLength": 300},
            **_REQUEST_FIELDS,
        },
    },
    "Request": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "season": {"type": "string"}, "commune": {"type": "string"},
            "commune_name": {"type": "string"}, "activity": {"type": ["string", "null"]},
            "label": {"type": "string"},
            "status": {"type": "string", "enum": ["submitted", "accepted", "declined", "planned", "done",
                                                  "cancelled"]},
            "decline_reason": {"type": ["string", "null"]},
            **_REQUEST_FIELDS,
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "Figures": {
        "type": "object",
        "properties": {
            "visits": {"type": "integer"}, "served": {"type": "integer"},
            "served_priority": {"type": "integer"}, "total_priority": {"type": "integer"},
            "distance_km": {"type": "number"}, "drive_minutes": {"type": "integer"},
            "drive_hours": {"type": "number"}, "van_days": {"type": "integer"},
            "co2_kg": {"type": "number", "description": "distance_km × co2_factor_kg_per_km"},
            "co2_factor_kg_per_km": {"type": "number"}, "solve_seconds": {"type": "number"},
        },
    },
    "Version": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "season": {"type": "string"}, "number": {"type": "integer"},
            "status": {"type": "string", "enum": ["draft", "published", "superseded", "failed"]},
            "created_at": {"type": "string", "format": "date-time"}, "created_by": {"type": "string"},
            "published_at": {"type": ["string", "null"], "format": "date-time"},
            "published_by": {"type": ["string", "null"]}, "error": {"type": ["string", "null"]},
            "figures": {"$ref": "#/components/schemas/Figures"},
            "routes": {"type": "array", "items": {"type": "object"},
                       "description": "van-days with their stops (times in minutes after midnight)"},
            "unserved": {"type": "array", "items": {"type": "object"},
                         "description": "visits left out with reason and French reason_text"},
            "publication": {"type": "object", "description": "counts of created/changed/unchanged/cancelled "
                                                             "visits (publish only)"},
        },
    },
    "Job": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "season": {"type": "string"},
            "status": {"type": "string", "enum": ["queued", "running", "done", "failed", "stopped"]},
            "status_label": {"type": "string"}, "backend": {"type": "string", "enum": ["thread", "rq"]},
            "time_limit": {"type": "number"},
            "best_served_priority": {"type": ["integer", "null"]}, "total_priority": {"type": ["integer", "null"]},
            "best_km": {"type": ["number", "null"]}, "elapsed_seconds": {"type": "number"},
            "stop_requested": {"type": "boolean"}, "message": {"type": "string"},
            "created_by": {"type": "string"}, "created_at": {"type": ["string", "null"]},
            "started_at": {"type": ["string", "null"]}, "finished_at": {"type": ["string", "null"]},
            "version_id": {"type": ["integer", "null"]},
        },
    },
}


def _pydantic(name: str, model: type[BaseModel]) -> dict[str, Any]:
    """A pydantic model's JSON schema under ``name``, the models it uses beside it."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return {name: schema, **schema.pop("$defs", {})}


SCHEMAS.update(_pydantic("Coverage", CoverageOut))


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(key: str, name: str) -> dict[str, Any]:
    return {"type": "object", "properties": {key: {"type": "array", "items": _ref(name)}}}


_EMPTY_BODY = _body({"type": "object", "additionalProperties": False})

PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {
        "get": {"summary": "This document", "security": [], "responses": {"200": _resp("OpenAPI 3.1 document")}},
    },
    "/api/v1/seasons": {
        "get": {"summary": "List seasons", "responses": {"200": _resp("Seasons", _list_of("seasons", "Season")),
                                                         **_errors(401)}},
    },
    "/api/v1/seasons/{slug}": {
        "get": {"summary": "One season, with its published version and running job",
                "parameters": [_path_param("slug", "string")],
                "responses": {"200": _resp("The season", _ref("Season")), **_errors(401, 404)}},
    },
    "/api/v1/seasons/{slug}/plan": {
        "post": {"summary": "Run the optimiser on the season as a background job (a new draft when done)",
                 "parameters": [_path_param("slug", "string")],
                 "requestBody": _body({"type": "object", "additionalProperties": False,
                                       "properties": {"time_limit": {"type": "number", "minimum": 1,
                                                                     "maximum": 3600},
                                                      "seed": {"type": "integer", "minimum": 0,
                                                               "maximum": 2147483647}}}),
                 "responses": {"202": _resp("The queued job", _ref("Job")), **_errors(400, 401, 404, 409)}},
    },
    "/api/v1/seasons/{slug}/coverage": {
        "get": {"summary": "Coverage of the season's territory: visits, distance to the nearest fixed place, "
                           "need score, one object per commune",
                "parameters": [_path_param("slug", "string"),
                               _query("period", "season (the season's dates, default) or 12months (the 12 months "
                                                "before today and the visits planned after)",
                                      enum=["season", "12months"])],
                "responses": {"200": _resp("The coverage", _ref("Coverage")), **_errors(400, 401, 404)}},
    },
    "/api/v1/jobs/{job_id}": {
        "get": {"summary": "A planning job's status and progress", "parameters": [_path_param("job_id")],
                "responses": {"200": _resp("The job", _ref("Job")), **_errors(401, 404)}},
    },
    "/api/v1/jobs/{job_id}/stop": {
        "post": {"summary": "Ask a queued or running job to stop", "parameters": [_path_param("job_id")],
                 "requestBody": _EMPTY_BODY,
                 "responses": {"200": _resp("The job", _ref("Job")), **_errors(400, 401, 404, 409)}},
    },
    "/api/v1/requests": {
        "get": {"summary": "List visit requests",
                "parameters": [_query("season", "season slug"), _query("status", "request status"),
                               _query("commune", "INSEE code")],
                "responses": {"200": _resp("Requests", _list_of("requests", "Request")), **_errors(400, 401)}},
        "post": {"summary": "Create a visit request (status submitted)", "requestBody": _body(_ref("NewRequest")),
                 "responses": {"201": _resp("The new request", _ref("Request")), **_errors(400, 401)}},
    },
    "/api/v1/requests/{request_id}": {
        "get": {"summary": "One request", "parameters": [_path_param("request_id")],
                "responses": {"200": _resp("The request", _ref("Request")), **_errors(401, 404)}},
    },
    "/api/v1/requests/{request_id}/accept": {
        "post": {"summary": "Accept a request", "parameters": [_path_param("request_id")],
                 "requestBody": _body({"type": "object", "properties": {"note": {"type": "string"}}}),
                 "responses": {"200": _resp("The request", _ref("Request")), **_errors(400, 401, 404, 409)}},
    },
    "/api/v1/requests/{request_id}/decline": {
        "post": {"summary": "Decline a request, with a reason", "parameters": [_path_param("request_id")],
                 "requestBody": _body({"type": "object", "required": ["reason"],
                                       "properties": {"reason": {"type": "string", "minLength": 1}}}),
                 "responses": {"200": _resp("The request", _ref("Request")), **_errors(400, 401, 404, 409)}},
    },
    "/api/v1/versions": {
        "get": {"summary": "List tour versions", "parameters": [_query("season", "season slug")],
                "responses": {"200": _resp("Versions", _list_of("versions", "Version")), **_errors(400, 401)}},
    },
    "/api/v1/versions/{version_id}": {
        "get": {"summary": "One version with its routes and visits left out",
                "parameters": [_path_param("version_id")],
                "responses": {"200": _resp("The version", _ref("Version")), **_errors(401, 404)}},
    },
    "/api/v1/versions/{version_id}/publish": {
        "post": {"summary": "Publish a draft (atomic; 409 when someone published the season meanwhile)",
                 "parameters": [_path_param("version_id")], "requestBody": _EMPTY_BODY,
                 "responses": {"200": _resp("The published version", _ref("Version")),
                               **_errors(400, 401, 404, 409)}},
    },
    "/api/v1/versions/{version_id}/move": {
        "post": {"summary": "Move one visit of a draft to another van-day (refused with the rule it breaks)",
                 "parameters": [_path_param("version_id")],
                 "requestBody": _body({"type": "object", "required": ["request", "van", "date"],
                                       "additionalProperties": False,
                                       "properties": {"request": {"type": "integer"},
                                                      "occurrence": {"type": "integer", "minimum": 0},
                                                      "van": {"type": "string"},
                                                      "date": {"type": "string", "format": "date"}}}),
                 "responses": {"200": _resp("The draft after the move", _ref("Version")),
                               **_errors(400, 401, 404, 409)}},
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tourplan API",
            "version": "1",
            "description": "Visit requests, seasons, planning jobs and tour versions of the tourplan planning desk. "
                           "Errors are {\"error\", \"field\"} with status 400, 401, 404 or 409.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "Per-operator token: flask --app web tourplan create-api-token EMAIL"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "An operator's logged-in browser session"},
            },
            "schemas": SCHEMAS,
        },
        "paths": PATHS,
    }
