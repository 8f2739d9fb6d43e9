"""Base layout, error pages (French, or English for a visitor who chose it), security headers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, url_for
from flask.globals import request_ctx
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response as BaseResponse

from web.core import assets, formats, menu
from web.core.menu import N_

bp = Blueprint("core", __name__, template_folder="templates")

#: The error pages' texts, French (translated for a visitor who chose English).
ERROR_TEXTS = {
    400: (N_("Requête incorrecte"), N_("La demande envoyée n'a pas pu être comprise.")),
    403: (N_("Accès refusé"), N_("Vous n'avez pas le droit d'accéder à cette page.")),
    404: (N_("Page introuvable"), N_("Cette page n'existe pas ou a été déplacée.")),
    405: (N_("Méthode non autorisée"), N_("Cette action n'est pas possible sur cette page.")),
    409: (N_("Conflit"), N_("Quelqu'un a modifié la même chose en même temps. Rechargez la page et recommencez.")),
    413: (N_("Envoi trop volumineux"), N_("Les données envoyées sont trop volumineuses.")),
    429: (N_("Trop de demandes"), N_("Trop de demandes en peu de temps. Réessayez dans quelques minutes.")),
    500: (N_("Erreur du serveur"), N_("Une erreur inattendue s'est produite. L'équipe a été prévenue.")),
}


def init_app(app: Flask) -> None:
    count = app.config.get("TOURPLAN_PROXY_COUNT", 0)
    if count:
        # Only as many X-Forwarded-* hops as there are proxies of ours: a client cannot
        # choose its own address (rate limits) by sending the header itself.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
    app.register_error_handler(HTTPException, _http_error)
    app.before_request(_refuse_nul)
    app.after_request(_security_headers)
    app.context_processor(_layout_context)
    formats.register_filters(app.jinja_env)
    assets.init_app(app)


def _refuse_nul() -> None:
    """A NUL character is never part of a real address, form or query: refuse it here,
    once for every page (PostgreSQL cannot even compare a text with one, so it would
    otherwise surface as a 500 in whichever query first meets it)."""
    if "\x00" in request.path:
        abort(404)
    if _has_nul(request.args):
        raise RefusedInput(NUL_REFUSED)
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ) and _has_nul(request.form):
        raise RefusedInput(NUL_REFUSED)


def _has_nul(values: MultiDict[str, str]) -> bool:
    return any("\x00" in k or "\x00" in v for k, v in values.items(multi=True))


class RefusedInput(BadRequest):
    """A 400 whose French explanation is shown on the error page (and in the API's JSON)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.french_text = text


NUL_REFUSED = "La demande contient un caractère nul (\\0), qui n'a sa place dans aucun champ ni aucune adresse."


def _render_error(code: int, text: str | None = None) -> tuple[str, int]:
    title, default = ERROR_TEXTS.get(code, (N_("Erreur"), N_("La demande n'a pas abouti.")))
    number = "" if code in ERROR_TEXTS else f" {code}"
    if request_ctx.url_adapter is None:
        # The Host header itself was refused (untrusted, or not a host name): no URL can be
        # built, so not the site's layout either; a plain page still says what happened.
        return (f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>{escape(title + number)}</title>'
                f"<h1>{escape(title + number)}</h1><p>{escape(text or default)}</p></html>"), code
    # The page's own words follow the visitor; an operation's text (``text``) is French, and
    # marked so on a page in another language.
    lang = str(get_locale() or "fr")
    return render_template("errors/error.html", code=code, title=_(title) + number, text=text or _(default),
                           lang=lang, text_lang="fr" if text and lang != "fr" else ""), code


def _http_error(e: HTTPException) -> Any:
    # An unhandled exception arrives here as InternalServerError (outside debug and
    # testing): the visitor gets a French page, the log keeps the traceback.
    if e.code is None or e.code < 400:
        return e
    response = current_app.make_response(_render_error(e.code, getattr(e, "french_text", None)))
    if e.code == 405 and isinstance(e, MethodNotAllowed) and e.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(e.valid_methods))
    return response


def private[R: BaseResponse](response: R) -> R:
    """A page reached through a secret link (a request's tracking token): never cached by
    proxies, indexed, or sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def map_frame_response(page: str, nonce: str) -> Response:
    """A map page (tourplan.maps) for an iframe of this site: its own CSP, whose scripts and
    styles run by ``nonce`` only, with OpenStreetMap's tiles unless TOURPLAN_MAP_TILES is off."""
    response = Response(page, content_type="text/html; charset=utf-8")
    tiles = " https://tile.openstreetmap.org" if current_app.config.get("TOURPLAN_MAP_TILES", True) else ""
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        f"img-src 'self' data:{tiles}; connect-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


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
        for endpoint, label in menu.links("public"):
            try:
                items.append((url_for(endpoint), label))
            except BuildError:
                continue
        return items

    def has_endpoint(endpoint: str) -> bool:
        return endpoint in current_app.view_functions

    return {"nav_items": nav_items, "menu_links": menu.links, "has_endpoint": has_endpoint,
            "site_name": "Tiers-Truck en tournée", "source_url": source_url}


def source_url() -> str:
    """Where the running site's source code is: TOURPLAN_SOURCE_URL, or the site's own copy."""
    return current_app.config.get("TOURPLAN_SOURCE_URL") or url_for("core.source")


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask /favicon.ico by themselves (print pages, map frames, feeds): the SVG icon."""
    response = current_app.send_static_file("favicon.svg")
    response.headers["Cache-Control"] = "public, max-age=604800"
    return response


@bp.get("/code-source.tar.gz")
def source() -> Response:
    """The source code of this site (AGPL-3.0 § 13), built from the files it runs from."""
    from web.core.source import source_archive

    response = Response(source_archive(), mimetype="application/gzip")
    response.headers["Content-Disposition"] = 'attachment; filename="tourplan-source.tar.gz"'
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
