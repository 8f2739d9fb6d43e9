"""JSON API ``/api/v1``: the same operations and rules as the pages, errors as JSON.

Authentication: an operator's session (the browser) or ``Authorization: Bearer <token>``
(scripts; tokens from ``flask tourplan create-api-token EMAIL``). Every endpoint but the
OpenAPI document needs one. The blueprint is exempt from CSRF tokens; a write must carry
a JSON body (``Content-Type: application/json``), which a cross-site form cannot send.

Errors: ``{"error": "...", "field": "..." | null}`` with 400 (bad input), 401 (no
operator), 404 (unknown thing), 409 (state conflict: already published, wrong status,
a job already running).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from tourplan.calendar import local_today
from tourplan.problem import ProblemError
from web.activities.operations import find_activity
from web.api import answers, bodies
from web.api.bodies import AcceptBody, DeclineBody, EmptyBody, MoveBody, PlanBody
from web.api.openapi import openapi_document
from web.api.operations import token_operator
from web.core.errors import ConflictError, NotFoundError, OperationError, TransitionError
from web.core.schema import validate
from web.coverage.operations import coverage
from web.coverage.schema import coverage_out
from web.desk import operations as desk
from web.desk.moves import MoveRefused
from web.extensions import csrf, db
from web.jobs import operations as jobs
from web.requests import operations as requests_ops
from web.requests.models import STATUSES, VisitRequest
from web.requests.schema import NewRequest
from web.seasons.models import Season
from web.seasons.operations import all_seasons, find_season
from web.tours.models import TourVersion
from web.tours.queries import latest_versions

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_LIST = 500
COVERAGE_PERIODS = {"season": "saison", "12months": "12mois"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        self.status, self.message, self.field = status, message, field
        super().__init__(message)


def init_app(app: Flask) -> None:
    # Routing errors (unknown path, wrong method) under /api/ are not raised in a view of
    # this blueprint, so its handlers do not see them: wrap the app's HTTP error handler.
    handlers = app.error_handler_spec.setdefault(None, {}).setdefault(None, {})
    previous = handlers.get(HTTPException)

    def http_error(e: HTTPException) -> Any:
        if request.path.startswith(bp.url_prefix + "/") or request.path == bp.url_prefix:
            return _from_http(e)
        return previous(e) if previous else e

    app.register_error_handler(HTTPException, http_error)


_HTTP_TEXT = {
    400: "requête incorrecte",
    401: "connexion d'un opérateur requise",
    403: "accès refusé",
    404: "adresse inconnue de l'API",
    405: "méthode non autorisée sur cette adresse",
    413: "corps de requête trop volumineux",
    415: "le corps doit être du JSON (Content-Type: application/json)",
    429: "trop de requêtes",
}


def _error(status: int, message: str, field: str | None) -> Any:
    response = jsonify(error=message, field=field)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tourplan"'
    return response


@bp.errorhandler(ApiError)
def _api_error(e: ApiError) -> Any:
    db.session.rollback()
    return _error(e.status, e.message, e.field)


@bp.errorhandler(OperationError)
def _operation_error(e: OperationError) -> Any:
    db.session.rollback()
    if isinstance(e, NotFoundError):
        status = 404
    elif isinstance(e, ConflictError | TransitionError):
        status = 409
    else:
        status = 400
    return _error(status, e.message, e.where or None)


@bp.errorhandler(ProblemError)
def _problem_error(e: ProblemError) -> Any:
    db.session.rollback()
    return _error(400, str(e), getattr(e, "where", None) or None)


@bp.errorhandler(MoveRefused)
def _move_refused(e: MoveRefused) -> Any:
    db.session.rollback()
    return _error(409, e.message, e.rule)


def _from_http(e: HTTPException) -> Any:
    code = e.code or 500
    text = getattr(e, "french_text", None) or _HTTP_TEXT.get(code, e.description or e.name)
    response = _error(code, text, None)
    if isinstance(e, MethodNotAllowed) and e.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(e.valid_methods))
    return response


@bp.errorhandler(HTTPException)
def _http(e: HTTPException) -> Any:
    db.session.rollback()
    return _from_http(e)


@bp.errorhandler(Exception)
def _unexpected(e: Exception) -> Any:  # pragma: no cover - a bug; still JSON, never a traceback
    current_app.logger.exception("API error")
    db.session.rollback()
    return _error(500, "erreur inattendue du serveur", None)


# --------------------------------------------------------------------------- #
# Authentication
# --------------------------------------------------------------------------- #


def _bearer_operator() -> Any:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 200:
        return None
    operator, wrote = token_operator(token.strip())
    if wrote:
        db.session.commit()
    return operator


def api_auth[F: Callable[..., Any]](view: F) -> F:
    """An operator session or a valid bearer token; ``g.api_operator`` is who acts."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        operator = _bearer_operator() if request.headers.get("Authorization") else None
        if operator is None and request.headers.get("Authorization"):
            raise ApiError(401, "jeton d'API invalide ou révoqué")
        if operator is None and current_user.is_authenticated:
            operator = current_user
        if operator is None:
            raise ApiError(401, "connexion d'un opérateur requise (session ou jeton Bearer)")
        g.api_operator = operator
        return view(*args, **kwargs)

    wrapper.operator_required = True  # type: ignore[attr-defined]  # listed with the guarded views
    return wrapper  # type: ignore[return-value]


def _by() -> str:
    return str(g.api_operator.email)


def _body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(400, "le corps doit être du JSON (Content-Type: application/json)")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # ~100k nested brackets: Python's parser gives up
        raise ApiError(400, f"JSON trop imbriqué ({bodies.MAX_JSON_DEPTH} niveaux au plus)") from None
    if body is None and not request.get_data():
        body = {}
    if not isinstance(body, dict):
        raise ApiError(400, "le corps doit être un objet JSON")
    bodies.check_json(body)
    return body


# --------------------------------------------------------------------------- #
# Look-ups
# --------------------------------------------------------------------------- #


def _season(slug: Any, field: str = "season") -> Season:
    if not isinstance(slug, str) or not slug or len(slug) > 60:
        raise ApiError(400 if field != "slug" else 404, "identifiant de saison attendu", field)
    season = find_season(slug, required=False)
    if season is None:
        raise ApiError(404 if field == "slug" else 400, f"aucune saison « {slug} »", field)
    return season


def _request(request_id: int) -> VisitRequest:
    req = db.session.get(VisitRequest, request_id)
    if req is None:
        raise ApiError(404, f"aucune demande n° {request_id}")
    return req


def _version(version_id: int) -> TourVersion:
    v = db.session.get(TourVersion, version_id)
    if v is None:
        raise ApiError(404, f"aucune version n° {version_id}")
    return v


# --------------------------------------------------------------------------- #
# Endpoints
# --------------------------------------------------------------------------- #


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document())


@bp.get("/seasons")
@api_auth
def list_seasons() -> Any:
    seasons = all_seasons(limit=MAX_LIST)
    return jsonify(seasons=[answers.season_json(s) for s in seasons])


@bp.get("/seasons/<slug>")
@api_auth
def get_season(slug: str) -> Any:
    season = _season(slug, "slug")
    out = answers.season_json(season)
    published = next((v for v in desk.versions_of(season.id) if v.status == "published"), None)
    out["published_version"] = published.id if published else None
    active = jobs.active_job(season.id)
    out["active_job"] = active.id if active else None
    return jsonify(out)


@bp.get("/seasons/<slug>/coverage")
@api_auth
def season_coverage(slug: str) -> Any:
    """One object per commune of the territory: visits, distance to help, need score."""
    season = _season(slug, "slug")
    period = request.args.get("period", "season")
    if period not in COVERAGE_PERIODS:
        raise ApiError(400, "period vaut season ou 12months", "period")
    cov = coverage(season, local_today(), COVERAGE_PERIODS[period])
    return current_app.response_class(coverage_out(season.slug, cov).model_dump_json(), mimetype="application/json")


@bp.post("/seasons/<slug>/plan")
@api_auth
def plan_season(slug: str) -> Any:
    season = _season(slug, "slug")
    body = validate(PlanBody, _body())
    limit = body.time_limit if "time_limit" in body.model_fields_set else \
        current_app.config["TOURPLAN_PLAN_TIME_LIMIT"]
    job = jobs.start_job(season, by=_by(), time_limit=limit, seed=body.seed)
    return jsonify(answers.job_json(job)), 202


@bp.get("/jobs/<int:job_id>")
@api_auth
def get_job(job_id: int) -> Any:
    return jsonify(answers.job_json(jobs.get_job(job_id)))


@bp.post("/jobs/<int:job_id>/stop")
@api_auth
def stop_job(job_id: int) -> Any:
    validate(EmptyBody, _body())
    job = jobs.request_stop(jobs.get_job(job_id), by=_by())
    return jsonify(answers.job_json(job))


@bp.get("/requests")
@api_auth
def list_requests() -> Any:
    season = request.args.get("season")
    status = request.args.get("status") or ""
    if status and status not in STATUSES:
        raise ApiError(400, f"statut inconnu ; valeurs : {', '.join(STATUSES)}", "status")
    rows = requests_ops.find_requests(season_id=_season(season).id if season else None, status=status,
                                      commune=(request.args.get("commune") or "")[:5], limit=MAX_LIST)
    return jsonify(requests=[answers.request_json(r) for r in rows])


@bp.post("/requests")
@api_auth
def create_request() -> Any:
    checked = validate(NewRequest, _body())
    # Only the fields the body sets: the others take the activity's or the column's default.
    fields = checked.model_dump(exclude_unset=True, exclude={"season", "commune", "activity", "label"})
    season = _season(checked.season)
    activity = None
    if checked.activity is not None:
        activity = find_activity(checked.activity)
        if activity is None:
            raise ApiError(400, f"aucune activité « {checked.activity} »", "activity")
    commune, label = checked.commune, checked.label
    try:
        req = requests_ops.create_request(season=season, commune=commune, label=label, by=_by(),
                                          activity=activity, **fields)
    except NotFoundError as e:  # an unknown commune is bad input here, not an unknown URL
        raise ApiError(400, e.message, e.where or "commune") from None
    db.session.commit()
    return jsonify(answers.request_json(req)), 201


@bp.get("/requests/<int:request_id>")
@api_auth
def get_request(request_id: int) -> Any:
    return jsonify(answers.request_json(_request(request_id)))


#: An operator's decision on a request: the body it takes, the body's text, the operation.
_DECISIONS = {
    "accept": (AcceptBody, "note", requests_ops.accept),
    "decline": (DeclineBody, "reason", requests_ops.decline),
}


@bp.post("/requests/<int:request_id>/accept", defaults={"decision": "accept"})
@bp.post("/requests/<int:request_id>/decline", defaults={"decision": "decline"})
@api_auth
def decide_request(request_id: int, decision: str) -> Any:
    model, text, decide = _DECISIONS[decision]
    body = validate(model, _body())
    req = _request(request_id)
    decide(req, _by(), getattr(body, text))
    db.session.commit()
    return jsonify(answers.request_json(req))


@bp.get("/versions")
@api_auth
def list_versions() -> Any:
    season = request.args.get("season")
    rows = latest_versions(_season(season).id if season else None, limit=MAX_LIST)
    return jsonify(versions=[answers.version_json(v) for v in rows])


@bp.get("/versions/<int:version_id>")
@api_auth
def get_version(version_id: int) -> Any:
    return jsonify(answers.version_json(_version(version_id), detail=True))


@bp.post("/versions/<int:version_id>/publish")
@api_auth
def publish_version(version_id: int) -> Any:
    validate(EmptyBody, _body())
    version = _version(version_id)
    if version.status != "draft":
        raise ApiError(409, f"la version n° {version.number} est « {version.status} » : seul un brouillon se publie",
                       "version")
    result = desk.publish(version, by=_by())
    out = answers.version_json(result.version)
    out["publication"] = {"created": result.created, "changed": result.changed, "unchanged": result.unchanged,
                          "cancelled": result.cancelled}
    return jsonify(out)


@bp.post("/versions/<int:version_id>/move")
@api_auth
def move_visit(version_id: int) -> Any:
    body = validate(MoveBody, _body())
    version = _version(version_id)
    desk.move(version, body.request, body.occurrence, body.van, date.fromisoformat(body.date), by=_by())
    db.session.commit()
    return jsonify(answers.version_json(version, detail=True))
