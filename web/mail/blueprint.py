"""Pages of the mail area: the desk's outbox, residents' alerts, the privacy notice,
the commune's poster behind its tracking link."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from web.auth.decorators import operator_required
from web.auth.models import NOTIFICATION_CHOICES, Operator
from web.auth.ratelimit import client_address, init_limiter, limiter
from web.core import menu
from web.core.blueprint import private
from web.core.errors import OperationError
from web.extensions import csrf, db
from web.mail import operations as ops
from web.mail.outbox import resend
from web.mail.transport import check_mail_url

bp = Blueprint("mail", __name__, template_folder="templates")
menu.entry(bp, "desk", "mail.outbox", "Courriels", 60)

STATUS_LABELS = {"waiting": "En attente", "sending": "En cours d'envoi", "sent": "Envoyé", "failed": "Échec"}
NOTIFICATION_LABELS = {"each": "Un courriel par demande", "digest": "Un résumé chaque jour", "none": "Aucun courriel"}
TOO_MANY = "Trop de demandes d'alerte depuis votre connexion. Réessayez dans une heure."


def init_app(app: Flask) -> None:
    from web.mail import worker

    check_mail_url(app.config.get("TOURPLAN_MAIL_URL"))
    init_limiter(app)  # residents' alert sign-ups are limited too (TOURPLAN_ALERT_MAX_POSTS)
    worker.init_app(app)
    app.jinja_env.filters["commune_name"] = _commune_name
    app.jinja_env.filters["commune_at"] = _commune_at


def _commune_name(insee: str) -> str:
    from web.communes.models import Commune

    commune = db.session.get(Commune, insee)
    return commune.name if commune else insee


def _commune_at(insee: str) -> str:
    """"aux Laubies" from an INSEE code."""
    from web.communes.models import Commune

    commune = db.session.get(Commune, insee)
    return commune.at_name if commune else f"à {insee}"


# --------------------------------------------------------------------------- #
# Desk
# --------------------------------------------------------------------------- #


@bp.get("/operateur/courriels")
@operator_required
def outbox() -> Any:
    status = request.args.get("statut", "")
    if status not in STATUS_LABELS:
        status = ""
    messages = ops.outbox_messages(status)
    return render_template("mail/desk_outbox.html", messages=messages, counts=ops.outbox_counts(),
                           labels=STATUS_LABELS, status=status, notification_labels=NOTIFICATION_LABELS,
                           preference=getattr(current_user, "new_request_mail", "each"))


@bp.post("/operateur/courriels/<int:message_id>/renvoyer")
@operator_required
def resend_message(message_id: int) -> Any:
    try:
        message = resend(message_id)
        db.session.commit()
    except OperationError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        flash(f"Le message à {message.recipient} partira dans un instant.", "success")
    return redirect(url_for("mail.outbox"))


@bp.post("/operateur/courriels/preferences")
@operator_required
def preferences() -> Any:
    choice = request.form.get("new_request_mail", "")
    if choice not in NOTIFICATION_CHOICES:
        flash("Choix inconnu : choisissez une des trois options.", "error")
        return redirect(url_for("mail.outbox"), 303)
    operator = db.session.get(Operator, current_user.id)
    operator.new_request_mail = choice
    db.session.commit()
    flash(f"Nouvelles demandes : {NOTIFICATION_LABELS[choice].lower()}.", "success")
    return redirect(url_for("mail.outbox"), 303)


# --------------------------------------------------------------------------- #
# Residents' alerts
# --------------------------------------------------------------------------- #


@bp.post("/communes/<insee>/alerte")
def subscribe(insee: str) -> Any:
    cfg = current_app.config
    if not limiter().hit("alert-post:" + client_address(), cfg["TOURPLAN_ALERT_MAX_POSTS"], 3600):
        return render_template("mail/alert_result.html", error=TOO_MANY, insee=insee), 429
    email = request.form.get("email", "")[:300]
    try:
        ops.subscribe(insee, email)
        db.session.commit()
    except OperationError as e:
        db.session.rollback()
        if e.where == "commune":
            abort(404)
        return render_template("mail/alert_result.html", error=e.message, insee=insee, email=email), 422
    return render_template("mail/alert_result.html", error=None, insee=insee, email=email.strip())


@bp.route("/alertes/<token>/confirmer", methods=["GET", "POST"])
def confirm(token: str) -> Any:
    # A GET only shows the button: mail scanners open links, only a person confirms.
    sub = ops.find_subscription(token)
    if sub is None:
        return render_template("mail/alert_done.html", state="unknown"), 404
    if request.method == "POST":
        ops.confirm(token)
        db.session.commit()
        return render_template("mail/alert_done.html", state="confirmed", sub=sub)
    return render_template("mail/alert_confirm.html", sub=sub, token=token)


@csrf.exempt
@bp.route("/alertes/<token>/desabonner", methods=["GET", "POST"])
def unsubscribe(token: str) -> Any:
    """RFC 8058: the mail program POSTs here with no cookie nor CSRF token (the token in
    the address is the proof); a GET shows a button, since link scanners open addresses."""
    if request.method == "POST":
        done = ops.unsubscribe(token)
        db.session.commit()
        return render_template("mail/alert_done.html", state="unsubscribed" if done else "unknown"), 200
    sub = ops.find_subscription(token)
    if sub is None:
        return render_template("mail/alert_done.html", state="unknown"), 404
    return render_template("mail/alert_unsubscribe.html", sub=sub, token=token)


# --------------------------------------------------------------------------- #
# Privacy notice, poster
# --------------------------------------------------------------------------- #


@bp.get("/confidentialite")
def privacy() -> str:
    return render_template("mail/privacy.html", days=current_app.config["TOURPLAN_PERSONAL_DATA_DAYS"],
                           contact=current_app.config.get("TOURPLAN_PRIVACY_CONTACT")
                           or current_app.config.get("TOURPLAN_MAIL_REPLY_TO") or "")


@bp.get("/suivi/<token>/visites/<int:visit_id>/affiche")
def poster(token: str, visit_id: int) -> Any:
    """The poster of a visit for the commune to print (the reminder links here)."""
    from web.desk.blueprint import qr_svg, visit_url
    from web.requests.operations import find_by_token
    from web.tours.models import Visit
    from web.tours.reasons import date_fr

    req = find_by_token(token)
    visit = db.session.get(Visit, visit_id)
    if req is None or visit is None or visit.request_id != req.id:
        abort(404)
    url = visit_url(visit.id)
    page = render_template("desk/poster.html", visit=visit, req=req, url=url, qr=qr_svg(url),
                           date_label=date_fr(visit.date), back_url=url_for("requests.track", token=token),
                           back_label="Retour au suivi de la demande")
    return private(current_app.make_response(page))
