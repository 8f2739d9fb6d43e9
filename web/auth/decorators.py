"""``operator_required``: the one guard of every operator page, action and API call."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import jsonify, redirect, request, url_for
from flask_login import current_user


def wants_json() -> bool:
    """API calls get a JSON 401; pages get a redirect to the login form."""
    if request.path.startswith("/api/") or request.blueprint == "api":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def refuse_anonymous() -> Any:
    if wants_json():
        response = jsonify(error="authentication required", message="Connexion d'un opérateur requise.")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Session realm="tourplan"'
        return response
    # Only the path (never a full URL): the login page accepts relative targets only.
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def operator_required[F: Callable[..., Any]](view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return refuse_anonymous()
        return view(*args, **kwargs)

    wrapper.operator_required = True  # type: ignore[attr-defined]  # lets tests list guarded views
    return wrapper  # type: ignore[return-value]
