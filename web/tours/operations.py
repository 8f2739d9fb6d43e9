"""Between the database and the optimiser, and publication.

- :func:`export_problem`: THE way a season becomes a problem (desk, API, command line and
  demo all plan through it): a problem-format **v2** problem with the past as ``history``,
  what the public was told as ``published``, and as ``locked`` the operator's locks plus the
  season's freeze horizon — except visits a change has made impossible, which stay only
  ``published`` so that the optimiser moves them.
- :func:`import_plan`: a plan of that problem as a new *draft* version (checked by the referee).
- :func:`plan_season`: both ends around the optimiser; a failure is recorded as a
  *failed* version and leaves the published tour untouched.
- :func:`publish_version`: makes a draft the published version and updates the
  stable :class:`Visit` rows, all in one transaction, refused with a ConflictError
  when another publication happened since the draft was planned.

Request ids in problems are ``R<id>`` and list every occurrence of the request (those
already held are in ``history``). Versions stored before problem-format v2 used
``R<id>/<k>,<m>`` when only occurrences k, m were left to plan: problem occurrence j is
then request occurrence j-th of that list; :func:`parse_problem_request_id` still reads them.
Van ids are the vans' slugs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from tourplan.calendar import local_today
from tourplan.changes import forced_reason
from tourplan.plan import Plan
from tourplan.problem import Problem, ProblemError, Published, format_time, hours_json, problem_from_json
from web.core import formats, signals
from web.core.errors import ConflictError, NotFoundError, OperationError
from web.core.types import utcnow
from web.desk.models import VisitPin
from web.extensions import db
from web.requests.models import VisitRequest
from web.requests.operations import PLANNABLE, change_status
from web.seasons.models import Season
from web.seasons.operations import lock_season
from web.tours.models import TourVersion, VersionVisit, Visit
from web.tours.reasons import unserved_entry
from web.travel.operations import season_travel
from web.vans.models import Van
from web.vans.operations import all_vans, van_to_problem

_PID_RE = re.compile(r"^R(\d+)(?:/(\d+(?:,\d+)*))?$")


class PlanningError(OperationError):
    """The optimiser or the import of its plan failed; a failed version records why."""


# --------------------------------------------------------------------------- #
# Problem ids
# --------------------------------------------------------------------------- #


def problem_request_id(request_id: int) -> str:
    """The id of a request in a problem."""
    return f"R{request_id}"


def parse_problem_request_id(pid: str) -> tuple[int, list[int] | None]:
    """The request's database id, and (versions stored before v2 only) the occurrences the
    problem's occurrences stand for."""
    m = _PID_RE.match(pid)
    if not m:
        raise ValueError(f"{pid!r} is not a request id of an exported problem (R<number>)")
    remaining = [int(k) for k in m.group(2).split(",")] if m.group(2) else None
    return int(m.group(1)), remaining


def _occurrence(pid: str, occurrence: int) -> tuple[int, int]:
    rid, remaining = parse_problem_request_id(pid)
    if remaining is None:
        return rid, occurrence
    if occurrence >= len(remaining):
        raise ValueError(f"request {pid!r} has {len(remaining)} occurrence(s) to plan, got {occurrence}")
    return rid, remaining[occurrence]


# --------------------------------------------------------------------------- #
# Export
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class ExportedProblem:
    data: dict[str, Any]
    problem: Problem
    base_serial: int
    #: Published visits a change has made impossible where they are, by (request id, occurrence)
    #: of the database, with the reason code of :func:`tourplan.changes.forced_reason`
    #: ("day_closed", "van_unavailable", "request_changed", "cannot_stay"...). They are not
    #: locked (even frozen or locked by an operator): the optimiser must move them.
    forced: dict[tuple[int, int], str] = field(default_factory=dict)
    #: Which road data the travel came from ("Valhalla valhalla:1796…"), "" for straight lines.
    travel_source: str = ""


def export_problem(season: Season, *, today: date | None = None) -> ExportedProblem:
    """The season as a validated problem-format v2 problem (read only: writes nothing).

    The horizon starts at ``today`` (the date in France; or the season's start if later).
    Scheduled visits before it are ``history`` (they count for the spacing and rhythm of
    their request); from it on they are ``published``. ``locked`` holds the operator's
    lock pins (exact start) and the published visits within the season's ``freeze_days``
    (start within ``lock_slack_minutes``), except those the operator allowed to move
    (unlock pins) and those a change made impossible (see :class:`ExportedProblem.forced`).

    With road data configured (web/travel) the travel is the "matrix" model by road; the legs
    it had to ask the engine for are added to the session's leg cache (the caller commits)."""
    today = today or local_today()
    first = max(season.start, today)
    if first > season.end:
        raise OperationError(f"la saison {season.slug} est terminée ({season.end})", "season")
    vans = all_vans()
    if not vans:
        raise OperationError("aucun camion n'est enregistré", "vans")
    van_slug = {v.id: v.slug for v in vans}
    vans_json = [van_to_problem(v) for v in vans]
    requests = list(
        db.session.execute(
            select(VisitRequest)
            .where(VisitRequest.season_id == season.id, VisitRequest.status.in_(PLANNABLE))
            .order_by(VisitRequest.id)
        ).scalars()
    )
    visits: dict[int, list[Visit]] = {}
    for v in db.session.execute(
        select(Visit).where(Visit.season_id == season.id, Visit.status == "scheduled").order_by(Visit.id)
    ).scalars():
        if v.van_id in van_slug:
            visits.setdefault(v.request_id, []).append(v)

    out_requests: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    published: list[dict[str, Any]] = []
    told: dict[tuple[int, int], Visit] = {}
    for req in requests:
        own = [v for v in visits.get(req.id, []) if v.occurrence < req.occurrences]
        held = [v for v in own if v.date < first]
        if len({v.occurrence for v in held}) >= req.occurrences:
            continue  # everything took place already
        pid = problem_request_id(req.id)
        out_requests.append(_request_to_problem(req, pid, req.occurrences))
        for v in own:
            if v.date < first:
                history.append({"request": pid, "occurrence": v.occurrence, "date": v.date.isoformat()})
            else:
                told[(req.id, v.occurrence)] = v
                published.append({"request": pid, "occurrence": v.occurrence, "van": van_slug[v.van_id],
                                  "date": v.date.isoformat(), "start": format_time(v.start)})
    travel, travel_source = season_travel(
        {"vans": vans_json, "requests": out_requests}, {problem_request_id(r.id): r.label for r in requests})
    data: dict[str, Any] = {
        "version": 2,
        "name": season.slug,
        "timezone": season.timezone,
        "horizon": {
            "start": first.isoformat(),
            "end": season.end.isoformat(),
            "weekdays": sorted(season.weekdays),
            "closed_dates": sorted(d for d in season.closed_dates if first.isoformat() <= d <= season.end.isoformat()),
        },
        "travel": travel,
        "vans": vans_json,
        "requests": out_requests,
        "locked": [],
        "history": history,
        "published": published,
        "stability": {"move_cost": season.move_cost, "start_slack_minutes": season.lock_slack_minutes},
    }
    source = f"season {season.slug}"
    unlocked_problem = problem_from_json(data, source=source)
    data["locked"], forced = _locked(season, unlocked_problem, told, first, today)
    problem = problem_from_json(data, source=source) if data["locked"] else unlocked_problem
    return ExportedProblem(data=data, problem=problem, base_serial=season.publication_serial, forced=forced,
                           travel_source=travel_source)


def _locked(
    season: Season, problem: Problem, told: dict[tuple[int, int], Visit], first: date, today: date
) -> tuple[list[dict[str, Any]], dict[tuple[int, int], str]]:
    """The ``locked`` entries of the export, and the published visits a change forces to move."""
    in_problem = {r.id for r in problem.requests}
    held = problem.history_keys
    pins = {
        (p.request_id, p.occurrence): p
        for p in db.session.execute(select(VisitPin).where(VisitPin.season_id == season.id)).scalars()
    }
    frozen_until = today + timedelta(days=season.freeze_days)
    slug = {v.id: v.slug for v in db.session.execute(select(Van)).scalars()}
    forced: dict[tuple[int, int], str] = {}
    for key, v in told.items():
        why = forced_reason(problem, Published(problem_request_id(key[0]), key[1], slug[v.van_id], v.date, v.start))
        if why is not None:
            forced[key] = why[0]
    locked: list[dict[str, Any]] = []
    keys = sorted(set(told) | {k for k, p in pins.items() if p.kind == "lock"})
    for key in keys:
        pid = problem_request_id(key[0])
        if pid not in in_problem or (pid, key[1]) in held or key in forced:
            continue
        pin = pins.get(key)
        if pin is not None and pin.kind == "lock":
            # The operator's own lock: that van, date and start exactly.
            if pin.van_id not in slug or pin.date is None or pin.start is None or pin.date < first:
                continue
            if key[1] >= problem.request_by_id[pid].occurrences:
                continue
            if forced_reason(problem, Published(pid, key[1], slug[pin.van_id], pin.date, pin.start)) is not None:
                continue  # a change made it impossible: the optimiser places it again
            locked.append({"request": pid, "occurrence": key[1], "van": slug[pin.van_id],
                           "date": pin.date.isoformat(), "start": format_time(pin.start), "slack_minutes": 0})
        elif key in told and pin is None and told[key].date < frozen_until:
            v = told[key]
            locked.append({"request": pid, "occurrence": key[1], "van": slug[v.van_id], "date": v.date.isoformat(),
                           "start": format_time(v.start), "slack_minutes": season.lock_slack_minutes})
    return locked, forced


def _request_to_problem(req: VisitRequest, pid: str, occurrences: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": pid,
        "label": req.label,
        "commune": req.commune_insee,
        "location": {"lat": req.lat, "lon": req.lon},
        "duration_minutes": req.duration_minutes,
        "equipment": sorted(req.equipment or []),
        "priority": req.priority,
        "occurrences": occurrences,
        "min_days_between": req.min_days_between,
        "required": req.required,
    }
    if req.periods:
        data["windows"] = [{"start": p["start"], "end": p["end"]} for p in req.periods]
    if req.weekdays:
        data["weekdays"] = sorted(req.weekdays)
    if hours := hours_json(req.earliest_start, req.latest_end):
        data["hours"] = hours
    # The rhythm (problem-format v2), written only when asked for: a request without one
    # exports exactly as before.
    if req.max_days_between is not None:
        data["max_days_between"] = req.max_days_between
    if req.same_weekday:
        data["same_weekday"] = True
    if req.same_start_within_minutes is not None:
        data["same_start_within_minutes"] = req.same_start_within_minutes
    return data


# --------------------------------------------------------------------------- #
# Import
# --------------------------------------------------------------------------- #


def _next_number(season_id: int) -> int:
    # An atomic increment: two runs finishing together never get the same number.
    db.session.execute(
        update(Season).where(Season.id == season_id).values(version_counter=Season.version_counter + 1),
        execution_options={"synchronize_session": False},
    )
    return db.session.execute(select(Season.version_counter).where(Season.id == season_id)).scalar_one()


def import_plan(
    season_id: int,
    problem_data: dict[str, Any],
    plan: Plan,
    *,
    created_by: str,
    base_serial: int,
    check: bool = True,
    travel_source: str = "",
) -> TourVersion:
    """Store ``plan`` (of ``problem_data``, exported from this season) as a new draft version;
    the caller commits. Refused (ProblemError naming the field, nothing written) when the plan names
    unknown vans or requests, or breaks a rule of its problem."""
    source = "plan"
    problem = problem_from_json(problem_data, source="problem")
    if check:
        from tourplan.checker import check_plan

        report = check_plan(problem, plan)
        if not report.ok:
            shown = "; ".join(str(v) for v in report.violations[:3])
            more = f" (and {len(report.violations) - 3} more)" if len(report.violations) > 3 else ""
            raise ProblemError(f"the plan breaks its problem's rules: {shown}{more}", source=source)
    vans = {v.slug: v for v in db.session.execute(select(Van)).scalars()}
    requests = {
        r.id: r
        for r in db.session.execute(select(VisitRequest).where(VisitRequest.season_id == season_id)).scalars()
    }
    rows = _version_rows(plan, vans, requests, source)
    unserved = []
    for i, u in enumerate(plan.unserved):
        rid, occ = _mapped(u.request, u.occurrence, requests, f"unserved[{i}]", source)
        unserved.append(unserved_entry(problem, u, rid, occ, requests[rid].label))
    s = plan.stats
    return _add_version(
        season_id, "draft", problem_data, created_by=created_by, base_serial=base_serial, travel_source=travel_source,
        plan_json=plan.to_json(),
        served=s.served,
        visits=s.visits,
        served_priority=s.served_priority,
        total_priority=s.total_priority,
        distance_km=s.distance_km,
        drive_minutes=s.drive_minutes,
        van_days=s.van_days,
        solve_seconds=s.solve_seconds,
        unserved=unserved,
        rows=rows,
    )


def _add_version(
    season_id: int, status: str, problem_data: dict[str, Any], *, created_by: str, base_serial: int,
    travel_source: str, **outcome: Any,
) -> TourVersion:
    """The season's next version (numbered, dated, added and flushed; the caller commits),
    with what the run gave: a plan and its figures, or an error."""
    version = TourVersion(
        season_id=season_id,
        number=_next_number(season_id),
        status=status,
        created_at=utcnow(),
        created_by=created_by,
        base_serial=base_serial,
        problem_json=problem_data,
        travel_source=travel_source,
        **outcome,
    )
    db.session.add(version)
    db.session.flush()
    return version


def _version_rows(
    plan: Plan, vans: dict[str, Van], requests: dict[int, VisitRequest], source: str
) -> list[VersionVisit]:
    """The plan's stops as rows of the version; ProblemError naming the stop otherwise."""
    rows: list[VersionVisit] = []
    seen: set[tuple[int, int]] = set()
    for i, route in enumerate(plan.routes):
        van = vans.get(route.van)
        if van is None:
            raise ProblemError(f"no van has the id {route.van!r}", f"routes[{i}].van", source)
        for j, stop in enumerate(route.stops):
            where = f"routes[{i}].stops[{j}]"
            rid, occ = _mapped(stop.request, stop.occurrence, requests, where, source)
            if (rid, occ) in seen:
                raise ProblemError(f"visit {stop.request} #{stop.occurrence} is planned twice", where, source)
            seen.add((rid, occ))
            rows.append(VersionVisit(request_id=rid, occurrence=occ, van_id=van.id, date=route.day,
                                     start=stop.start, end=stop.end, arrive=stop.arrive, order=j))
    return rows


def _mapped(
    pid: str, occurrence: int, requests: dict[int, VisitRequest], where: str, source: str
) -> tuple[int, int]:
    try:
        rid, occ = _occurrence(pid, occurrence)
    except ValueError as e:
        raise ProblemError(str(e), f"{where}.request", source) from None
    req = requests.get(rid)
    if req is None:
        raise ProblemError(f"request {pid!r} is not a request of this season", f"{where}.request", source)
    if occ >= req.occurrences:
        raise ProblemError(f"request {pid!r} has {req.occurrences} occurrence(s)", f"{where}.occurrence", source)
    return rid, occ


def record_failed_run(
    season_id: int, problem_data: dict[str, Any], message: str, *, created_by: str, base_serial: int,
    travel_source: str = "",
) -> TourVersion:
    """Keep a trace of a run that produced no usable plan (the published tour is not touched).
    The caller commits."""
    return _add_version(season_id, "failed", problem_data, created_by=created_by, base_serial=base_serial,
                        travel_source=travel_source, plan_json=None, error=message[:10000], unserved=[])


Solver = Callable[..., Plan]


def plan_season(
    season: Season,
    *,
    time_limit: float = 10.0,
    created_by: str = "",
    today: date | None = None,
    progress: Callable[[int, int, float, float], None] | None = None,
    solver: Solver | None = None,
) -> TourVersion:
    """Export, solve, import: a new draft version, or PlanningError after recording a failed one.
    Bad season data raises ProblemError/OperationError before anything is written."""
    exported = export_problem(season, today=today)
    season_id = season.id
    # End the read transaction: the search may last minutes and must not hold locks.
    db.session.commit()
    if solver is None:
        from tourplan.optimiser import solve as solver
    try:
        plan = solver(exported.problem, time_limit=time_limit, progress=progress)
        version = import_plan(
            season_id, exported.data, plan, created_by=created_by, base_serial=exported.base_serial,
            travel_source=exported.travel_source,
        )
        db.session.commit()
        return version
    except BaseException as e:
        db.session.rollback()
        message = str(e) or e.__class__.__name__
        if isinstance(e, KeyboardInterrupt):
            message = "interrompu"
        record_failed_run(
            season_id, exported.data, message, created_by=created_by, base_serial=exported.base_serial,
            travel_source=exported.travel_source,
        )
        db.session.commit()
        if isinstance(e, Exception):
            raise PlanningError(f"la planification a échoué : {message}") from e
        raise


# --------------------------------------------------------------------------- #
# Publication
# --------------------------------------------------------------------------- #


def published_version(season_id: int) -> TourVersion | None:
    return db.session.execute(
        select(TourVersion).where(TourVersion.season_id == season_id, TourVersion.status == "published")
    ).scalar_one_or_none()


@dataclass(frozen=True)
class PublishResult:
    version: TourVersion
    created: int
    changed: int
    unchanged: int
    cancelled: int

    def summary(self) -> str:
        return (
            f"version #{self.version.number} published: {self.created} new visit(s), {self.changed} changed, "
            f"{self.unchanged} unchanged, {self.cancelled} cancelled"
        )


def publish_version(version_id: int, *, by: str, expected_serial: int | None = None) -> PublishResult:
    """Make a draft the season's published version, atomically, and commit.

    ``expected_serial`` is the season's publication serial the operator reviewed the draft
    against (default: the one it was planned against). If another publication happened
    since, raises ConflictError and changes nothing."""
    session = db.session
    try:
        version = session.get(TourVersion, version_id)
        if version is None:
            raise NotFoundError(f"aucune version n'a le numéro interne {version_id}", "version")
        expected = version.base_serial if expected_serial is None else expected_serial
        # The compare-and-set on the season row serialises publishers: on PostgreSQL the
        # second waits for the first's commit, then matches no row; SQLite locks the file.
        res = session.execute(
            update(Season)
            .where(Season.id == version.season_id, Season.publication_serial == expected)
            .values(publication_serial=Season.publication_serial + 1),
            execution_options={"synchronize_session": False},
        )
        if res.rowcount != 1:
            session.rollback()
            raise ConflictError(_conflict_message(version.season_id, version.number))
        session.refresh(version)  # its status as of now, under the lock
        if version.status != "draft":
            raise OperationError(
                f"la version #{version.number} est « {version.status} » : seule une version brouillon se publie",
                "version",
            )
        now = utcnow()
        session.execute(
            update(TourVersion)
            .where(TourVersion.season_id == version.season_id, TourVersion.status == "published")
            .values(status="superseded"),
            execution_options={"synchronize_session": "fetch"},
        )
        session.flush()
        version.status = "published"
        version.published_at = now
        version.published_by = by
        session.flush()
        counts = _sync_visits(version, by, now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return PublishResult(version, *counts)


def _conflict_message(season_id: int, number: int) -> str:
    current = published_version(season_id)
    if current is None or current.published_at is None:
        return f"la saison a changé depuis la préparation de la version #{number} ; replanifiez ou relisez-la"
    when = formats.paris_datetime(current.published_at)
    return (
        f"conflit : la version #{current.number} a été publiée par {current.published_by or 'quelqu’un'} "
        f"le {when}, après la préparation de la version #{number}. Relisez les changements avant de publier."
    )


def _sync_visits(version: TourVersion, by: str, now: Any) -> tuple[int, int, int, int]:
    """Stable visits follow the published version: same (request, occurrence) keeps its id;
    a change of date, time, van or place raises its revision; a future visit missing from
    the version is cancelled (kept, with its cancellation date)."""
    session = db.session
    horizon_start = date.fromisoformat(version.problem_json["horizon"]["start"])
    existing = {
        (v.request_id, v.occurrence): v
        for v in session.execute(select(Visit).where(Visit.season_id == version.season_id)).scalars()
    }
    created = changed = unchanged = cancelled = 0
    touched: dict[str, list[Visit]] = {"created": [], "changed": [], "cancelled": []}
    seen: set[tuple[int, int]] = set()
    for row in version.rows:
        req = row.request
        if req.status not in PLANNABLE:
            continue  # cancelled or declined after the draft was made: stays off the tour
        key = (row.request_id, row.occurrence)
        seen.add(key)
        values = {
            "van_id": row.van_id,
            "date": row.date,
            "start": row.start,
            "end": row.end,
            "place_label": req.place_label,
            "place_address": req.venue_address or req.commune.townhall_address,
            "lat": req.lat,
            "lon": req.lon,
        }
        visit = existing.get(key)
        if visit is None:
            visit = Visit(
                request_id=row.request_id,
                occurrence=row.occurrence,
                season_id=version.season_id,
                status="scheduled",
                revision=0,
                created_at=now,
                updated_at=now,
                **values,
            )
            session.add(visit)
            created += 1
            touched["created"].append(visit)
        elif visit.status != "scheduled" or any(getattr(visit, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(visit, k, v)
            visit.revise("scheduled", now)
            changed += 1
            touched["changed"].append(visit)
        else:
            unchanged += 1
        visit.version_id = version.id
        row.visit = visit
    for key, visit in existing.items():
        if key in seen or visit.status != "scheduled" or visit.date < horizon_start:
            continue
        visit.revise("cancelled", now)
        cancelled += 1
        touched["cancelled"].append(visit)
    session.flush()
    _clear_unlocks(version.season_id, seen)
    _update_request_statuses(version, by)
    signals.visits_changed.send(version.season_id, by=by, **touched)
    return created, changed, unchanged, cancelled


def _clear_unlocks(season_id: int, published: set[tuple[int, int]]) -> None:
    """A published visit is a fresh promise: the operator's "allow to move" was about the
    tour it replaces, so it ends here (else an unlocked visit would move at every re-plan).
    Locks stay: the operator asked for them "in every re-plan"."""
    unlocks = [
        p.id
        for p in db.session.execute(
            select(VisitPin).where(VisitPin.season_id == season_id, VisitPin.kind == "unlock")
        ).scalars()
        if (p.request_id, p.occurrence) in published
    ]
    if unlocks:
        db.session.execute(delete(VisitPin).where(VisitPin.id.in_(unlocks)),
                           execution_options={"synchronize_session": False})


def _update_request_statuses(version: TourVersion, by: str) -> None:
    scheduled = set(
        db.session.execute(
            select(Visit.request_id).where(Visit.season_id == version.season_id, Visit.status == "scheduled")
        ).scalars()
    )
    note = f"tournée version #{version.number} publiée"
    for req in db.session.execute(
        select(VisitRequest).where(VisitRequest.season_id == version.season_id, VisitRequest.status.in_(PLANNABLE))
    ).scalars():
        if req.status == "accepted" and req.id in scheduled:
            change_status(req, "planned", by, note)
        elif req.status == "planned" and req.id not in scheduled:
            change_status(req, "accepted", by, note + " : la demande n'y figure plus")


# --------------------------------------------------------------------------- #
# Requests and visits
# --------------------------------------------------------------------------- #


def cancel_request_visits(req: VisitRequest, today: date | None = None) -> int:
    """Cancel the request's visits still to come (called when the request is cancelled);
    calendars see them as cancelled at once, without waiting for a new publication."""
    today = today or local_today()
    now = utcnow()
    # Wait for a publication of the season in progress (it holds this row), so that
    # the visits it creates are seen here and none stays scheduled for a cancelled request.
    # (change_status took it already, before touching the request: one lock order.)
    lock_season(req.season_id)
    cancelled = list(db.session.execute(
        select(Visit).where(Visit.request_id == req.id, Visit.status == "scheduled", Visit.date >= today)
    ).scalars())
    for visit in cancelled:
        visit.revise("cancelled", now)
    if cancelled:
        db.session.flush()
        signals.visits_changed.send(req.season_id, by="", created=[], changed=[], cancelled=cancelled)
    return len(cancelled)


def close_past_requests(season: Season, *, by: str, today: date | None = None) -> int:
    """Planned requests whose every occurrence took place become ``done``. The caller commits."""
    today = today or local_today()
    rows = db.session.execute(
        select(Visit.request_id, func.count(), func.max(Visit.date))
        .where(Visit.season_id == season.id, Visit.status == "scheduled")
        .group_by(Visit.request_id)
    ).all()
    past = {rid: n for rid, n, last in rows if last < today}
    n = 0
    for req in db.session.execute(
        select(VisitRequest).where(VisitRequest.id.in_(list(past)), VisitRequest.status == "planned")
    ).scalars():
        if past[req.id] >= req.occurrences:
            change_status(req, "done", by, "toutes ses visites ont eu lieu")
            n += 1
    return n
