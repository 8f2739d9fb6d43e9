"""Base layout, error pages in French, security headers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

bp = Blueprint("core", __name__, template_folder="templates")

ERROR_TEXTS = {
    400: ("Requête incorrecte", "La demande envoyée n'a pas pu être comprise."),
    403: ("Accès refusé", "Vous n'avez pas le droit d'accéder à cette page."),
    404: ("Page introuvable", "Cette page n'existe pas ou a été déplacée."),
    405: ("Méthode non autorisée", "Cette action n'est pas possible sur cette page."),
    409: ("Conflit", "Quelqu'un a modifié la même chose en même temps. Rechargez la page et recommencez."),
    413: ("Envoi trop volumineux", "Les données envoyées sont trop volumineuses."),
    429: ("Trop de demandes", "Trop de demandes en peu de temps. Réessayez dans quelques minutes."),
    500: ("Erreur du serveur", "Une erreur inattendue s'est produite. L'équipe a été prévenue."),
}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.after_request(_security_headers)
    app.context_processor(_layout_context)


def _render_error(code: int) -> tuple[str, int]:
    title, text = ERROR_TEXTS.get(code, (f"Erreur {code}", "La demande n'a pas abouti."))
    return render_template("errors/error.html", code=code, title=title, text=text), code


def _http_error(e: HTTPException) -> Any:
    # An unhandled exception arrives here as InternalServerError (outside debug and
    # testing): the visitor gets a French page, the log keeps the traceback.
    if e.code is None or e.code < 400:
        return e
    return _render_error(e.code)


def _security_headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    csp = current_app.config.get("CONTENT_SECURITY_POLICY")
    if csp:
        h.setdefault("Content-Security-Policy", csp)
    return response


def _layout_context() -> dict[str, Any]:
    def nav_items() -> list[tuple[str, str]]:
        items = []
        for endpoint, label, _order in current_app.extensions.get("tourplan_nav", ()):
            try:
                items.append((url_for(endpoint), label))
            except BuildError:
                continue
        return items

    def has_endpoint(endpoint: str) -> bool:
        return endpoint in current_app.view_functions

    return {"nav_items": nav_items, "has_endpoint": has_endpoint, "site_name": "Tiers-Truck en tournée"}
