"""The OpenAPI 3.1 document of ``/api/v1``: its schemas are generated from the pydantic
models that validate the bodies (web/requests/schema.py, web/api/bodies.py) and declare
the answers (web/api/answers.py), so the document says what the code checks.

A test checks that every route of the API blueprint appears here with its method
and that every operation here is a real route, so the document cannot drift.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from web.api import answers, bodies
from web.coverage.schema import CoverageOut
from web.requests.schema import NewRequest

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


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


_MODELS: tuple[type[BaseModel], ...] = (
    answers.Error, answers.SeasonAnswer, answers.SeasonList, answers.RequestAnswer, answers.RequestList,
    answers.VersionAnswer, answers.VersionList, answers.JobAnswer, NewRequest,
    bodies.EmptyBody, bodies.PlanBody, bodies.MoveBody, bodies.AcceptBody, bodies.DeclineBody, CoverageOut,
)


def _schemas() -> dict[str, Any]:
    _, top = models_json_schema([(m, "validation") for m in _MODELS], ref_template="#/components/schemas/{model}")
    defs = dict(top["$defs"])
    defs["Coverage"] = defs.pop("CoverageOut")  # the name the coverage endpoint has always had
    return defs


_EMPTY_BODY = _body(_ref("EmptyBody"))

PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {
        "get": {"summary": "This document", "security": [], "responses": {"200": _resp("OpenAPI 3.1 document")}},
    },
    "/api/v1/seasons": {
        "get": {"summary": "List seasons", "responses": {"200": _resp("Seasons", _ref("SeasonList")),
                                                         **_errors(401)}},
    },
    "/api/v1/seasons/{slug}": {
        "get": {"summary": "One season, with its published version and running job",
                "parameters": [_path_param("slug", "string")],
                "responses": {"200": _resp("The season", _ref("SeasonAnswer")), **_errors(401, 404)}},
    },
    "/api/v1/seasons/{slug}/plan": {
        "post": {"summary": "Run the optimiser on the season as a background job (a new draft when done)",
                 "parameters": [_path_param("slug", "string")],
                 "requestBody": _body(_ref("PlanBody")),
                 "responses": {"202": _resp("The queued job", _ref("JobAnswer")), **_errors(400, 401, 404, 409)}},
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
                "responses": {"200": _resp("The job", _ref("JobAnswer")), **_errors(401, 404)}},
    },
    "/api/v1/jobs/{job_id}/stop": {
        "post": {"summary": "Ask a queued or running job to stop", "parameters": [_path_param("job_id")],
                 "requestBody": _EMPTY_BODY,
                 "responses": {"200": _resp("The job", _ref("JobAnswer")), **_errors(400, 401, 404, 409)}},
    },
    "/api/v1/requests": {
        "get": {"summary": "List visit requests",
                "parameters": [_query("season", "season slug"), _query("status", "request status"),
                               _query("commune", "INSEE code")],
                "responses": {"200": _resp("Requests", _ref("RequestList")), **_errors(400, 401)}},
        "post": {"summary": "Create a visit request (status submitted)", "requestBody": _body(_ref("NewRequest")),
                 "responses": {"201": _resp("The new request", _ref("RequestAnswer")), **_errors(400, 401)}},
    },
    "/api/v1/requests/{request_id}": {
        "get": {"summary": "One request", "parameters": [_path_param("request_id")],
                "responses": {"200": _resp("The request", _ref("RequestAnswer")), **_errors(401, 404)}},
    },
    "/api/v1/requests/{request_id}/accept": {
        "post": {"summary": "Accept a request", "parameters": [_path_param("request_id")],
                 "requestBody": _body(_ref("AcceptBody")),
                 "responses": {"200": _resp("The request", _ref("RequestAnswer")), **_errors(400, 401, 404, 409)}},
    },
    "/api/v1/requests/{request_id}/decline": {
        "post": {"summary": "Decline a request, with a reason", "parameters": [_path_param("request_id")],
                 "requestBody": _body(_ref("DeclineBody")),
                 "responses": {"200": _resp("The request", _ref("RequestAnswer")), **_errors(400, 401, 404, 409)}},
    },
    "/api/v1/versions": {
        "get": {"summary": "List tour versions", "parameters": [_query("season", "season slug")],
                "responses": {"200": _resp("Versions", _ref("VersionList")), **_errors(400, 401)}},
    },
    "/api/v1/versions/{version_id}": {
        "get": {"summary": "One version with its routes and visits left out",
                "parameters": [_path_param("version_id")],
                "responses": {"200": _resp("The version", _ref("VersionAnswer")), **_errors(401, 404)}},
    },
    "/api/v1/versions/{version_id}/publish": {
        "post": {"summary": "Publish a draft (atomic; 409 when someone published the season meanwhile)",
                 "parameters": [_path_param("version_id")], "requestBody": _EMPTY_BODY,
                 "responses": {"200": _resp("The published version", _ref("VersionAnswer")),
                               **_errors(400, 401, 404, 409)}},
    },
    "/api/v1/versions/{version_id}/move": {
        "post": {"summary": "Move one visit of a draft to another van-day (refused with the rule it breaks)",
                 "parameters": [_path_param("version_id")],
                 "requestBody": _body(_ref("MoveBody")),
                 "responses": {"200": _resp("The draft after the move", _ref("VersionAnswer")),
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
            "schemas": _schemas(),
        },
        "paths": PATHS,
    }
