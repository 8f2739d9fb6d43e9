"""Operator inbox of requests: list with filters, detail with history, accept, decline with a
reason, other allowed status moves, priority, edit. Every view is ``operator_required``;
every change goes through :mod:`web.requests.operations` and names the operator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Form, SelectField, SubmitField

from web.activities.operations import catalogue
from web.auth.decorators import operator_required
from web.auth.forms import csrf_failed
from web.core import menu
from web.core.errors import OperationError
from web.core.urls import int_param
from web.extensions import db
from web.requests import changes
from web.requests import operations as ops
from web.requests.circuit import MAX_COMMUNES
from web.requests.forms import (
    AcceptChangeForm,
    CircuitForm,
    DeclineForm,
    LongTextField,
    OperatorRequestForm,
    PriorityForm,
    RefuseChangeForm,
    StatusForm,
    activity_descriptions,
    options,
)
from web.requests.models import STATUSES, RequestChange, VisitRequest
from web.seasons.operations import all_seasons

bp = Blueprint("inbox", __name__, template_folder="templates", url_prefix="/operateur/demandes")

PAGE_SIZE = 50

#: Buttons for the moves other than accept/decline, with what they mean to the operator.
MOVE_LABELS = {
    "accepted": "Accepter",
    "submitted": "Rouvrir (remettre en « Reçue »)",
    "done": "Marquer comme réalisée",
}


class CancelForm(FlaskForm):
    """Cancelling is asked for on a page of its own (what it takes off the calendars), with a reason."""

    reason = LongTextField("Motif de l'annulation (visible par la commune)", max_length=2000,
                           required="Indiquez le motif de l'annulation.")
    submit = SubmitField("Confirmer l'annulation")


menu.entry(bp, "desk", "inbox.index", "Demandes", 10)


class FilterForm(Form):
    """The inbox filters: read from the query string (a GET form, bookmarkable, no CSRF needed)."""

    statut = SelectField("Statut", validate_choice=False)
    commune = SelectField("Commune", validate_choice=False)
    activite = SelectField("Activité", validate_choice=False)


def _filter_form() -> FilterForm:
    form = FilterForm(request.args)
    form.statut.choices = options([("", "Tous")] + [(s, ops.STATUS_LABELS[s]) for s in STATUSES])
    communes = ops.communes_with_requests()
    form.commune.choices = options([("", "Toutes")] + [(insee, f"{name} ({insee})") for insee, name in communes])
    form.activite.choices = options([("", "Toutes")] + [(str(a.id), a.name) for a in catalogue()])
    return form


@bp.route("/")
@operator_required
def index() -> Any:
    form = _filter_form()
    page_number = int_param(request.args.get("page"), lo=1, hi=100_000) or 1
    found = ops.inbox_page(status=form.statut.data or "", insee=(form.commune.data or "")[:5],
                           activity_id=int_param(form.activite.data or ""), page=page_number, page_size=PAGE_SIZE)
    rows, total, counts = found.rows, found.total, found.counts
    args = {k: v for k, v in request.args.items() if k in ("statut", "commune", "activite") and v}
    pending = changes.pending_changes()
    return render_template(
        "inbox/index.html",
        form=form,
        rows=rows,
        total=total,
        counts=counts,
        page=page_number,
        pages=max(1, -(-total // PAGE_SIZE)),
        args=args,
        pending=[_change_view(c) for c in pending],
        changed={c.request_id: c.id for c in pending},
    )


def _change_view(change: RequestChange, refuse: RefuseChangeForm | None = None) -> dict[str, Any]:
    """A pending change as the inbox shows it: what accepting would do, and its two forms."""
    return {
        "change": change,
        "rows": changes.rows_to_apply(change),
        "accept_form": AcceptChangeForm(formdata=None),
        "refuse_form": refuse or RefuseChangeForm(formdata=None, prefix=f"modification-{change.id}"),
    }


def _request_or_404(request_id: int) -> VisitRequest:
    req = db.session.get(VisitRequest, request_id)
    if req is None:
        abort(404)
    return req


def _detail(req: VisitRequest, *, decline: DeclineForm | None = None, status: int = 200, error: str = "",
            refuse: RefuseChangeForm | None = None) -> Any:
    moves = [s for s in MOVE_LABELS if s in ops.allowed_transitions(req.status)]
    pending = changes.pending_change(req)
    page = render_template(
        "inbox/detail.html",
        req=req,
        pending=_change_view(pending, refuse) if pending is not None else None,
        past_changes=[(c, changes.rows_of(c)) for c in changes.request_changes(req) if c.status != "pending"],
        change_labels=changes.STATUS_LABELS,
        decline_form=decline or DeclineForm(formdata=None),
        status_form=StatusForm(formdata=None),
        priority_form=PriorityForm(formdata=None, data={"priority": req.priority}),
        moves=moves,
        move_labels=MOVE_LABELS,
        can_decline="declined" in ops.allowed_transitions(req.status),
        can_cancel="cancelled" in ops.allowed_transitions(req.status),
        can_undo=_cancelled_last(req),
        visits=ops.request_visits(req),
        error=error,
    )
    return current_app.make_response((page, status))


@bp.route("/<int:request_id>")
@operator_required
def detail(request_id: int) -> Any:
    return _detail(_request_or_404(request_id))


def _refused(req: VisitRequest, message: str, status: int = 409, **kwargs: Any) -> Any:
    db.session.rollback()
    return _detail(db.session.get(VisitRequest, req.id) or req, status=status, error=message, **kwargs)


EXPIRED = "Le formulaire a expiré. Rechargez la page et recommencez."


def _act(request_id: int, form: FlaskForm, act: Callable[[VisitRequest], str], *,
         invalid: Callable[[], str] | None = None, refused_status: int = 409, again: dict[str, Any] | None = None,
         failure: str = "Action impossible", then: Callable[[VisitRequest], Any] | None = None) -> Any:
    """An action posted from a request's page: ``form`` checked (what is wrong said on the
    page: ``invalid()``, else the form's own errors), then ``act`` (an operation, which
    returns what to tell the operator) committed, then ``then`` (the request's page by
    default); refused, nothing is stored and the page shows ``again``'s forms as sent."""
    req = _request_or_404(request_id)
    again = again or {}
    if not form.validate_on_submit():
        if csrf_failed(form):
            return _refused(req, EXPIRED, 400)
        wrong = invalid() if invalid else " ".join(e for f in form for e in f.errors if isinstance(e, str))
        return _refused(req, wrong, 422, **again)
    try:
        done = act(req)
        db.session.commit()
    except OperationError as e:
        return _refused(req, f"{failure} : {e.message}.", refused_status, **again)
    flash(done, "success")
    return then(req) if then else redirect(url_for("inbox.detail", request_id=req.id))


@bp.route("/<int:request_id>/statut", methods=["POST"])
@operator_required
def change_status(request_id: int) -> Any:
    form = StatusForm()

    def act(req: VisitRequest) -> str:
        to_status = (form.to_status.data or "").strip()[:20]
        ops.change_status(req, to_status, current_user.email, form.note.data or "")
        return f"Demande {req.id} : {ops.STATUS_LABELS[to_status].lower()}."

    return _act(request_id, form, act)


@bp.route("/<int:request_id>/refuser", methods=["POST"])
@operator_required
def decline(request_id: int) -> Any:
    form = DeclineForm()

    def act(req: VisitRequest) -> str:
        ops.decline(req, current_user.email, form.reason.data)
        return f"Demande {req.id} refusée."

    return _act(request_id, form, act, invalid=lambda: REASON_MISSING, again={"decline": form})


REASON_MISSING = "Le refus n'est pas enregistré : indiquez son motif."


def _change_or_404(req: VisitRequest, change_id: int) -> RequestChange:
    change = changes.find_change(req, change_id)
    if change is None:
        abort(404)
    return change


def _back(req: VisitRequest) -> Any:
    """To the inbox when the decision was made there, else to the request's page."""
    if request.form.get("retour") == "index":
        return redirect(url_for("inbox.index"))
    return redirect(url_for("inbox.detail", request_id=req.id))


@bp.route("/<int:request_id>/modifications/<int:change_id>/accepter", methods=["POST"])
@operator_required
def accept_change(request_id: int, change_id: int) -> Any:
    """Apply a commune's change to its request (as the team's own edit would) and tell it."""
    change = _change_or_404(_request_or_404(request_id), change_id)  # unknown: 404 before the form

    def act(req: VisitRequest) -> str:
        changes.accept_change(change, current_user.email)
        later = (" Ses dates publiées restent jusqu'à la prochaine planification, qui déplace celles que la "
                 "modification rend impossibles." if req.status == "planned" else "")
        return f"Demande {req.id} : modification acceptée et appliquée ; la commune est prévenue.{later}"

    return _act(request_id, AcceptChangeForm(), act, failure="La modification n'est pas appliquée", then=_back)


@bp.route("/<int:request_id>/modifications/<int:change_id>/refuser", methods=["POST"])
@operator_required
def refuse_change(request_id: int, change_id: int) -> Any:
    change = _change_or_404(_request_or_404(request_id), change_id)  # unknown: 404 before the form
    form = RefuseChangeForm(prefix=f"modification-{change.id}")

    def act(req: VisitRequest) -> str:
        changes.refuse_change(change, current_user.email, form.reason.data)
        return (f"Demande {req.id} : modification refusée ; la demande reste comme elle était, "
                "la commune est prévenue.")

    return _act(request_id, form, act, invalid=lambda: REASON_MISSING, again={"refuse": form}, then=_back)


def _cancelled_last(req: VisitRequest) -> bool:
    """The request is cancelled and that is the last thing that happened to it: undoable."""
    last = max(req.history, key=lambda h: (h.at, h.id or 0), default=None)
    return req.status == "cancelled" and last is not None and last.to_status == "cancelled" and bool(last.from_status)


def _coming_visits(req: VisitRequest) -> list[Any]:
    from tourplan.calendar import local_today
    return [v for v in ops.request_visits(req) if v.status == "scheduled" and v.date >= local_today()]


@bp.route("/<int:request_id>/annuler", methods=["GET", "POST"])
@operator_required
def cancel(request_id: int) -> Any:
    """Confirm first: the page lists the visits still to come that calendars will lose, and
    asks the reason; nothing changes until the operator confirms."""
    req = _request_or_404(request_id)
    form = CancelForm()
    status, error = 200, ""
    if "cancelled" not in ops.allowed_transitions(req.status):
        flash(f"La demande {req.id} est « {ops.STATUS_LABELS[req.status].lower()} » : elle ne s'annule pas.", "error")
        return redirect(url_for("inbox.detail", request_id=req.id))
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                ops.change_status(req, "cancelled", current_user.email, form.reason.data or "")
                db.session.commit()
            except OperationError as e:
                db.session.rollback()
                error, status = f"Action impossible : {e.message}.", 409
            else:
                flash(f"Demande {req.id} annulée. Une erreur ? « Rétablir la demande » la remet comme avant.",
                      "success")
                return redirect(url_for("inbox.detail", request_id=req.id))
        elif csrf_failed(form):
            error, status = EXPIRED, 400
        else:
            error, status = "L'annulation n'est pas enregistrée : indiquez son motif.", 422
    page = render_template("inbox/cancel.html", req=req, form=form, visits=_coming_visits(req), error=error)
    return current_app.make_response((page, status))


@bp.route("/<int:request_id>/retablir", methods=["POST"])
@operator_required
def undo_cancel(request_id: int) -> Any:
    def act(req: VisitRequest) -> str:
        restored = ops.undo_cancellation(req, current_user.email)
        visits = (f" ; {restored} visite(s) reviennent dans les calendriers" if restored else
                  " ; ses visites annulées ne reviennent pas d'elles-mêmes : la prochaine planification la replace")
        return f"Demande {req.id} rétablie ({ops.STATUS_LABELS[req.status].lower()}){visits}."

    return _act(request_id, StatusForm(), act)


@bp.route("/<int:request_id>/priorite", methods=["POST"])
@operator_required
def priority(request_id: int) -> Any:
    form = PriorityForm()

    def act(req: VisitRequest) -> str:
        ops.set_priority(req, form.priority.data, current_user.email)
        return f"Demande {req.id} : priorité {req.priority}."

    return _act(request_id, form, act, invalid=lambda: "Priorité : " + " ".join(form.priority.errors),
                refused_status=422)


@bp.route("/<int:request_id>/modifier", methods=["GET", "POST"])
@operator_required
def edit(request_id: int) -> Any:
    req = _request_or_404(request_id)
    seasons, activities = all_seasons(), catalogue()
    form = OperatorRequestForm(seasons=seasons, activities=activities, data=OperatorRequestForm.initial_data(req))
    errors: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        if form.wants_more_periods():
            form.periods.append_entry()
        elif form.validate_on_submit():
            try:
                ops.update_request(
                    req,
                    current_user.email,
                    season=form.chosen_season,
                    commune=form.commune_obj,
                    activity=form.chosen_activity,
                    label=form.request_label() if ops.label_follows_activity(req) else None,
                    equipment=list(form.chosen_activity.equipment or [])
                    if form.chosen_activity is not req.activity
                    else req.equipment,
                    **form.request_fields(),
                )
                db.session.commit()
            except OperationError as e:
                db.session.rollback()
                errors.append(("", e.message))
                status = 422
            else:
                flash(f"Demande {req.id} modifiée.", "success")
                return redirect(url_for("inbox.detail", request_id=req.id))
        else:
            status = 400 if csrf_failed(form) else 422
            if csrf_failed(form):
                errors.append(("", "Le formulaire a expiré. Vérifiez les valeurs et renvoyez-le."))
            errors += form.error_items()
    page = render_template(
        "inbox/edit.html",
        req=req,
        form=form,
        errors=errors,
        descriptions=activity_descriptions(activities),
        action=url_for("inbox.edit", request_id=req.id),
    )
    return current_app.make_response((page, status))


@bp.route("/circuit", methods=["GET", "POST"])
@operator_required
def circuit() -> Any:
    """A circuit: the requests of several communes at once, one rhythm, all or nothing."""
    from web.requests.circuit import create_circuit

    seasons, activities = all_seasons(), catalogue()
    form = CircuitForm(seasons=seasons, activities=activities)
    errors: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                created = create_circuit(season=form.chosen_season, activity=form.chosen_activity,
                                         communes=form.commune_list, by=current_user.email, **form.request_fields())
                db.session.commit()
            except OperationError as e:
                db.session.rollback()
                errors.append((form.communes.id, f"Aucune demande n'est créée. {e.message[0].upper()}{e.message[1:]}."))
                status = 422
            else:
                names = ", ".join(r.commune.name for r in created)
                flash(f"Circuit créé : {len(created)} demandes acceptées ({names}).", "success")
                return redirect(url_for("inbox.index", statut="accepted"))
        else:
            status = 400 if csrf_failed(form) else 422
            if csrf_failed(form):
                errors.append(("", "Le formulaire a expiré. Vérifiez les valeurs et renvoyez-le."))
            errors += form.error_items()
    page = render_template("inbox/circuit.html", form=form, errors=errors,
                           max_communes=MAX_COMMUNES)
    return current_app.make_response((page, status))

