"""Login and logout pages; Flask-Login wiring."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from web.auth.decorators import operator_required, refuse_anonymous
from web.auth.forms import LoginForm, LogoutForm, csrf_failed
from web.auth.models import Operator, normalise_email
from web.auth.operations import authenticate, record_login
from web.auth.ratelimit import client_address, init_limiter, limiter
from web.core import menu
from web.core.urls import int_param, safe_local_path
from web.extensions import db, login_manager

bp = Blueprint("auth", __name__, template_folder="templates", url_prefix="/operateur")
menu.entry(bp, "desk", "auth.home", "Accueil opérateur", 0)

GENERIC_LOGIN_ERROR = "Adresse e-mail ou mot de passe incorrect."
TOO_MANY_FROM_HERE = "Trop de tentatives de connexion depuis votre adresse. Réessayez dans quelques minutes."
WAIT = "Trop de tentatives de connexion sur ce compte. Réessayez dans {seconds} seconde(s)."


def init_app(app: Flask) -> None:
    init_limiter(app)  # the TOURPLAN_LOGIN_* limits: web/config.py
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.user_loader(_load_operator)
    login_manager.unauthorized_handler(refuse_anonymous)
    app.context_processor(lambda: {"logout_form": LogoutForm})


def _load_operator(session_id: str) -> Operator | None:
    ident, _, fingerprint = session_id.partition(":")
    operator_id = int_param(ident)
    if operator_id is None:
        return None
    operator = db.session.get(Operator, operator_id)
    if operator is None or not operator.is_active or not operator.matches_fingerprint(fingerprint):
        return None
    return operator


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (see :func:`web.core.urls.safe_local_path`)."""
    return safe_local_path(target)


def _refused_login() -> tuple[str, int, int] | None:
    """Why this login attempt is refused before checking the password (message, status,
    seconds to wait), or None. The address and the account are limited apart: a flood of
    bad passwords from one address blocks that address only, and an account under attack
    from many addresses only slows down (progressive delays), it is never locked."""
    cfg = current_app.config
    if not limiter().allowed("login-ip:" + client_address(), cfg["TOURPLAN_LOGIN_ADDRESS_MAX_FAILURES"],
                             cfg["TOURPLAN_LOGIN_WINDOW_SECONDS"]):
        return TOO_MANY_FROM_HERE, 429, cfg["TOURPLAN_LOGIN_WINDOW_SECONDS"]
    email = normalise_email(request.form.get("email") or "")[:254]
    wait = limiter().wait_left("login-email:" + email) if email else 0
    if wait:
        return WAIT.format(seconds=wait), 429, wait
    return None


def _record_failed_login() -> None:
    cfg = current_app.config
    limiter().hit("login-ip:" + client_address(), cfg["TOURPLAN_LOGIN_ADDRESS_MAX_FAILURES"],
                  cfg["TOURPLAN_LOGIN_WINDOW_SECONDS"])
    email = normalise_email(request.form.get("email") or "")[:254]
    if email:
        limiter().failure("login-email:" + email, free=cfg["TOURPLAN_LOGIN_MAX_FAILURES"],
                          window=cfg["TOURPLAN_LOGIN_WINDOW_SECONDS"],
                          max_delay=cfg["TOURPLAN_LOGIN_MAX_DELAY_SECONDS"])


@bp.route("/connexion", methods=["GET", "POST"])
def login() -> Any:
    next_url = safe_next(request.args.get("next") or request.form.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or _home())
    form = LoginForm()
    error = None
    status = 200
    retry_after = 0
    if request.method == "POST":
        refused = _refused_login()
        if refused:
            error, status, retry_after = refused
        elif form.validate_on_submit():
            operator = authenticate(form.email.data or "", form.password.data or "")
            if operator is None:
                _record_failed_login()
                error, status = GENERIC_LOGIN_ERROR, 200
            else:
                limiter().forget("login-email:" + operator.email)
                # A fresh session on login: nothing an attacker planted before survives.
                session.clear()
                login_user(operator)
                record_login(operator)
                db.session.commit()
                flash("Vous êtes connecté.", "success")
                return redirect(next_url or _home())
        elif csrf_failed(form):
            error, status = "Le formulaire a expiré. Merci de le renvoyer.", 400
    response = current_app.make_response(
        (render_template("auth/login.html", form=form, error=error, next_url=next_url), status))
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.route("/deconnexion", methods=["POST"])
@operator_required
def logout() -> Any:
    form = LogoutForm()
    if not form.validate_on_submit():
        flash("Le formulaire a expiré. Merci de recommencer.", "error")
        return redirect(_home())
    # Server-side: a copy of this session cookie (another tab, someone else) dies too.
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/")
@operator_required
def home() -> Any:
    """The operator's landing page: links to every desk area that exists in this install."""
    return render_template("auth/home.html")


def _home() -> str:
    return url_for("auth.home")
