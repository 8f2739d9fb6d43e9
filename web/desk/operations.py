"""Business logic of the planning desk: what a draft says, how it differs from the
published tour, locks, hand moves, publication.  Views and the API call these.

A version's ``problem_json`` uses the export's request ids (``R<id>`` or
``R<id>/<k>,...`` when past occurrences were left out); :class:`VersionView`
maps them back to the database's requests and occurrences.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import delete, select

from tourplan.plan import Plan, plan_from_json
from tourplan.problem import Problem, format_time, problem_from_json
from web.core.errors import ConflictError, NotFoundError, OperationError
from web.core.transactions import retrying
from web.desk.models import VisitPin
from web.desk.moves import MoveRefused, date_fr, move_visit, unserve_visit
from web.extensions import db
from web.requests.models import VisitRequest
from web.tours.models import TourVersion, VersionVisit, Visit
from web.tours.operations import PublishResult, parse_problem_request_id, publish_version
from web.tours.reasons import UNSERVED_REASONS_FR, hm, move_label_fr, unserved_detail_fr, unserved_entry
from web.travel.operations import travel_description
from web.vans.models import Van

#: Emission factor of a diesel light commercial van (≤ 3.5 t), kg CO2e per km driven,
#: rounded from ADEME Base Carbone ("véhicule utilitaire léger, gazole", about 0.25 kg CO2e/km
#: combustion + upstream). An order of magnitude for operators, not an audit.
CO2_KG_PER_KM = 0.25
#: The review lists at most this many days for one left-out visit (those where it fits first).
MAX_DAY_OPTIONS = 12
#: A stop's move list offers at most this many van-days (the soonest).
MAX_MOVE_TARGETS = 40
#: Each van's colour on the review's map, pins, legend and timeline (white text on each
#: keeps at least 4.5:1 contrast); vans take them in the order of their ids.
VAN_COLORS = ("#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#b45309")


def van_colors(vans: list[Van]) -> dict[str, int]:
    """Each van's colour index (into VAN_COLORS), stable: by van id."""
    return {v.slug: i % len(VAN_COLORS) for i, v in enumerate(sorted(vans, key=lambda v: v.id))}


def stop_key(route: RouteView, stop: StopView) -> str:
    """The stop's name in the page and in the map (anchors, selection): "<van>-<order>"."""
    return f"{route.van.slug}-{stop.order}"

def get_version(version_id: int) -> TourVersion:
    version = db.session.get(TourVersion, version_id)
    if version is None:
        raise NotFoundError(f"aucune version n'a le numéro interne {version_id}", "version")
    return version


def plan_digest(plan_json: dict[str, Any] | None) -> str:
    """A short fingerprint of a draft's plan: forms carry it so that a move made on a page
    that another operator changed meanwhile is refused instead of silently mixed."""
    return hashlib.sha256(json.dumps(plan_json, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class StopView:
    order: int
    request: VisitRequest
    occurrence: int
    arrive: int
    start: int
    end: int
    leg_km: float
    locked: bool
    row_id: int | None = None

    @property
    def times(self) -> str:
        return f"{hm(self.start)}–{hm(self.end)}"


@dataclass(frozen=True)
class Segment:
    """One piece of a van-day's timeline: ``kind`` is leave, drive, wait, visit, break or
    back; ``stop`` is the visit's StopView (visit) or the stop driven to (drive)."""

    kind: str
    start: int
    end: int
    stop: StopView | None = None
    km: float | None = None

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass
class RouteView:
    van: Van
    day: date
    leave: int
    back: int
    distance_km: float
    drive_minutes: int
    break_start: int | None
    break_end: int | None
    stops: list[StopView] = field(default_factory=list)
    back_km: float = 0.0

    @property
    def date_label(self) -> str:
        return date_fr(self.day)

    def segments(self) -> list[Segment]:
        """The day as the timeline shows it, in order: leave, then for each stop the drive
        (and any wait) to it and the visit, the break where it falls, the drive back.

        The plan gives arrival, start and end of each stop but not where the driving lies
        inside a gap: a gap is shown as driving up to the arrival, then waiting until the
        start; the break is cut out of the drive or the wait it falls in."""
        out = [Segment("leave", self.leave, self.leave)]
        pending = [(self.break_start, self.break_end)] if self.break_start is not None else []

        def piece(kind: str, start: int, end: int, stop: StopView | None, km: float | None = None) -> None:
            if pending and pending[0][1] is not None and start <= pending[0][0] and pending[0][1] <= end:
                b0, b1 = pending.pop()
                assert b1 is not None
                if b0 > start:
                    out.append(Segment(kind, start, b0, stop, km))
                    km = None
                out.append(Segment("break", b0, b1))
                if end > b1:
                    out.append(Segment(kind, b1, end, stop, km))
            elif end > start or km:
                out.append(Segment(kind, start, end, stop, km))

        t = self.leave
        for s in self.stops:
            piece("drive", t, s.arrive, s, s.leg_km)
            piece("wait", s.arrive, s.start, s)
            out.append(Segment("visit", s.start, s.end, s))
            t = s.end
        piece("drive", t, self.back, None, self.back_km)
        if pending and pending[0][1] is not None:
            # A break the plan put across a visit's edge cannot be cut out: shown in time order.
            b0, b1 = pending.pop()
            out.append(Segment("break", b0, b1))
            out.sort(key=lambda g: (g.start, g.kind != "break"))
        out.append(Segment("back", self.back, self.back))
        return out


@dataclass
class VersionView:
    """A version read for the desk: the problem and plan as objects, mapped to the database."""

    version: TourVersion

    @cached_property
    def problem(self) -> Problem:
        return problem_from_json(self.version.problem_json, source=f"version {self.version.number}")

    @cached_property
    def plan(self) -> Plan | None:
        if self.version.plan_json is None:
            return None
        return plan_from_json(self.version.plan_json, source=f"version {self.version.number}")

    @cached_property
    def requests(self) -> dict[int, VisitRequest]:
        ids = {parse_problem_request_id(r.id)[0] for r in self.problem.requests}
        if not ids:
            return {}
        rows = db.session.execute(select(VisitRequest).where(VisitRequest.id.in_(ids))).scalars()
        return {r.id: r for r in rows}

    @cached_property
    def vans(self) -> dict[str, Van]:
        return {v.slug: v for v in db.session.execute(select(Van)).scalars()}

    def db_key(self, pid: str, occurrence: int) -> tuple[int, int]:
        rid, remaining = parse_problem_request_id(pid)
        return rid, (remaining[occurrence] if remaining else occurrence)

    def problem_key(self, request_id: int, occurrence: int) -> tuple[str, int] | None:
        for r in self.problem.requests:
            rid, remaining = parse_problem_request_id(r.id)
            if rid != request_id:
                continue
            if remaining is None:
                return (r.id, occurrence) if occurrence < r.occurrences else None
            return (r.id, remaining.index(occurrence)) if occurrence in remaining else None
        return None

    # -- figures -------------------------------------------------------------- #
    def figures(self) -> dict[str, Any]:
        v = self.version
        return {
            "visits": v.visits,
            "served": v.served,
            "served_priority": v.served_priority,
            "total_priority": v.total_priority,
            "distance_km": round(v.distance_km, 1),
            "drive_minutes": v.drive_minutes,
            "drive_hours": round(v.drive_minutes / 60, 1),
            "van_days": v.van_days,
            "co2_kg": round(v.distance_km * CO2_KG_PER_KM, 1),
            "co2_factor_kg_per_km": CO2_KG_PER_KM,
            "solve_seconds": round(v.solve_seconds, 1),
            "travel": travel_description(v.travel_source),
        }

    # -- routes --------------------------------------------------------------- #
    def routes(self) -> list[RouteView]:
        plan = self.plan
        if plan is None:
            return []
        travel = self.problem.travel
        locked = self.problem.locked_by_visit
        rows = {(r.request_id, r.occurrence): r.id for r in self.version.rows}
        out = []
        for route in plan.routes:
            van = self.vans.get(route.van)
            if van is None:
                continue
            pvan = self.problem.van_by_id[route.van]
            view = RouteView(van, route.day, route.leave, route.back, route.distance_km, route.drive_minutes,
                             route.break_start, route.break_end)
            prev = pvan.depot
            for i, stop in enumerate(route.stops):
                req_p = self.problem.request_by_id[stop.request]
                rid, occ = self.db_key(stop.request, stop.occurrence)
                req = self.requests.get(rid)
                if req is None:
                    continue
                view.stops.append(StopView(i + 1, req, occ, stop.arrive, stop.start, stop.end,
                                           round(travel.km(prev, req_p.location), 1), stop.key in locked,
                                           rows.get((rid, occ))))
                prev = req_p.location
            view.back_km = round(travel.km(prev, pvan.depot), 1) if route.stops else 0.0
            out.append(view)
        return out

    def route(self, van_slug: str, day: date) -> RouteView:
        for r in self.routes():
            if r.van.slug == van_slug and r.day == day:
                return r
        raise NotFoundError(f"aucune tournée du camion « {van_slug} » le {day.isoformat()} dans cette version",
                            "route")

    # -- left out -------------------------------------------------------------- #
    def left_out(self, *, with_options: bool = False) -> list[dict[str, Any]]:
        """The visits left out, with their French reason; ``with_options``: also the days
        that could take each alone and what blocks it there (:func:`tourplan.blockers.day_options`)."""
        plan = self.plan
        if plan is None:
            return []
        instance = None
        if with_options and plan.unserved:
            from tourplan.optimiser.instance import build_instance

            instance = build_instance(self.problem)
        out = []
        for u in plan.unserved:
            rid, occ = self.db_key(u.request, u.occurrence)
            req = self.requests.get(rid)
            options: list[dict[str, Any]] = []
            more = 0
            if instance is not None:
                options = self.day_options(u.request, u.occurrence, instance)
                more = max(0, len(options) - MAX_DAY_OPTIONS)
                options = options[:MAX_DAY_OPTIONS]
            out.append({
                "request": req,
                "request_id": rid,
                "occurrence": occ,
                "reason": u.reason,
                "reason_text": UNSERVED_REASONS_FR.get(u.reason, u.reason),
                "detail": unserved_detail_fr(self.problem, u),
                "options": options,
                "more_options": more,
            })
        return out

    def day_options(self, pid: str, occurrence: int, instance: Any = None) -> list[dict[str, Any]]:
        """Days that could take this visit alone, those where it fits first, each with what
        blocks it there in French and what the desk can do about it."""
        from tourplan.blockers import day_options

        plan = self.plan
        if plan is None:
            return []
        try:
            found = day_options(self.problem, plan, pid, occurrence, instance=instance)
        except KeyError:
            return []
        min_days = self.problem.request_by_id[pid].min_days_between
        rows = []
        for opt in sorted(found, key=lambda o: (len(o.blockers), o.day)):
            van = self.vans.get(opt.van)
            if van is None:
                continue
            rows.append({"van": van, "day": opt.day, "fits": opt.fits,
                         "blockers": [self._blocker(b, van, min_days) for b in opt.blockers]})
        return rows

    def move_targets(self, routes: list[RouteView]) -> dict[tuple[int, int], list[dict[str, Any]]]:
        """For each stop of ``routes``, the other van-days that can take it as the draft
        stands, soonest first (:func:`tourplan.moves.move_targets`: it fits there and keeps its
        rhythm): the move list offers only these. A locked stop gets none (unlock it first)."""
        from tourplan.moves import move_targets
        from tourplan.optimiser.instance import build_instance

        plan = self.plan
        instance = build_instance(self.problem) if routes and plan is not None else None
        out: dict[tuple[int, int], list[dict[str, Any]]] = {}
        for r in routes:
            for s in r.stops:
                key = self.problem_key(s.request.id, s.occurrence)
                found = move_targets(self.problem, plan, key, instance=instance) if key and plan else []
                rows = [{"van": self.vans[o.van], "day": o.day, "fits": True, "blockers": []}
                        for o in found if o.van in self.vans]
                out[(s.request.id, s.occurrence)] = rows[:MAX_MOVE_TARGETS]
        return out

    def _blocker(self, b: Any, van: Van, min_days: int) -> dict[str, Any]:
        from tourplan import blockers as bk

        out: dict[str, Any] = {"kind": b.kind, "locked": b.locked, "request": None, "request_id": None,
                               "occurrence": None}
        if b.request is not None and b.occurrence is not None:
            rid, occ = self.db_key(b.request, b.occurrence)
            out.update(request=self.requests.get(rid), request_id=rid, occurrence=occ)
        req = out["request"]
        name = f"« {req.label} » ({req.commune.name})" if req is not None else "une visite"
        if b.kind == bk.VISIT:
            state = "verrouillée" if b.locked else ("publiée" if b.published else "de ce brouillon")
            out["text"] = f"la visite {name}, {state}"
        elif b.kind == bk.BREAK:
            out["text"] = f"la pause du chauffeur ({van.break_minutes} min)"
        elif b.kind == bk.MAX_DRIVE:
            out["text"] = f"la limite de conduite du camion ({van.max_drive_minutes} min par jour)"
        elif b.kind == bk.SPACING:
            when = date_fr(b.day) if b.day else ""
            out["text"] = (f"trop près de son passage déjà fait du {when} ({min_days} jours d'écart au moins)"
                           if req is None else f"trop près de son autre passage du {when} "
                                               f"({min_days} jours d'écart au moins)")
        else:
            out["text"] = "la journée est trop pleine : retirer une seule visite ne suffit pas"
        return out

    # -- against the published tour -------------------------------------------- #
    def diff(self) -> dict[str, Any]:
        """Moved, added and cancelled visits against the season's published visits still to come."""
        horizon_start = date.fromisoformat(self.version.problem_json["horizon"]["start"])
        published = {
            (v.request_id, v.occurrence): v
            for v in db.session.execute(
                select(Visit).where(
                    Visit.season_id == self.version.season_id,
                    Visit.status == "scheduled",
                    Visit.date >= horizon_start,
                )
            ).scalars()
        }
        rows = {(r.request_id, r.occurrence): r for r in self.version.rows}
        added, moved, cancelled = [], [], []
        for key, row in sorted(rows.items(), key=lambda kv: (kv[1].date, kv[1].start)):
            old = published.get(key)
            if old is None:
                added.append({"row": row, "request": row.request})
            elif (old.date, old.start, old.end, old.van_id) != (row.date, row.start, row.end, row.van_id):
                moved.append({"row": row, "visit": old, "request": row.request})
        for key, old in sorted(published.items(), key=lambda kv: (kv[1].date, kv[1].start)):
            if key not in rows:
                cancelled.append({"visit": old, "request": old.request})
        why = self.moves()
        for c in moved:
            m = why.get((c["row"].request_id, c["row"].occurrence))
            c["why"] = move_label_fr(m.reason, True) if m else "heure ajustée dans la marge de la saison"
        for c in cancelled:
            m = why.get((c["visit"].request_id, c["visit"].occurrence))
            c["why"] = move_label_fr(m.reason, False) if m else "retirée"
        communes = sorted(
            {c["request"].commune.name for c in (*added, *moved, *cancelled) if c["request"] is not None}
        )
        forced = sum(1 for m in why.values() if m.forced)
        return {"added": added, "moved": moved, "cancelled": cancelled, "communes": communes,
                "has_published": bool(published) or self._has_published(),
                "published_moved": len(why), "forced": forced, "optimised": len(why) - forced}

    def moves(self) -> dict[tuple[int, int], Any]:
        """The published visits this version moves or leaves out, by database key, each with
        why (:func:`tourplan.changes.explain_moves`; versions before v2 know no published)."""
        plan = self.plan
        if plan is None or not self.problem.published:
            return {}
        from tourplan.changes import explain_moves

        return {self.db_key(m.request, m.occurrence): m for m in explain_moves(self.problem, plan)}

    def _has_published(self) -> bool:
        return db.session.execute(
            select(TourVersion.id).where(TourVersion.season_id == self.version.season_id,
                                         TourVersion.status == "published")
        ).first() is not None


# --------------------------------------------------------------------------- #
# Locks
# --------------------------------------------------------------------------- #


def _editable(version: TourVersion, digest: str | None) -> VersionView:
    if version.status != "draft":
        raise OperationError(f"la version n° {version.number} est « {version.status} » : seul un brouillon "
                             "se modifie", "version")
    if digest is not None and digest != plan_digest(version.plan_json):
        raise ConflictError("ce brouillon a été modifié entre-temps par quelqu'un d'autre ; rechargez la page "
                            "et recommencez", "version")
    return VersionView(version)


def lock_visit(version: TourVersion, request_id: int, occurrence: int, *, by: str,
               digest: str | None = None) -> VisitPin:
    """Keep this visit where the draft has it, in this draft and in every re-plan of the season."""
    view = _editable(version, digest)
    row = next((r for r in version.rows if (r.request_id, r.occurrence) == (request_id, occurrence)), None)
    key = view.problem_key(request_id, occurrence)
    if row is None or key is None:
        raise NotFoundError("cette visite n'est pas planifiée dans ce brouillon : rien à verrouiller", "visit")
    pin = _pin(version.season_id, request_id, occurrence)
    pin.kind, pin.van_id, pin.date, pin.start, pin.created_by = "lock", row.van_id, row.date, row.start, by
    data = dict(version.problem_json)
    locked = [lk for lk in data.get("locked", []) if (lk["request"], lk["occurrence"]) != key]
    locked.append({"request": key[0], "occurrence": key[1], "van": row.van.slug, "date": row.date.isoformat(),
                   "start": format_time(row.start), "slack_minutes": 0})
    data["locked"] = locked
    problem_from_json(data, source="brouillon")
    version.problem_json = data
    return pin


def unlock_visit(version: TourVersion, request_id: int, occurrence: int, *, by: str,
                 digest: str | None = None) -> None:
    """Let the optimiser (and hand moves) move this visit, even a published one."""
    view = _editable(version, digest)
    key = view.problem_key(request_id, occurrence)
    if key is None:
        raise NotFoundError("cette visite ne fait pas partie de ce brouillon", "visit")
    published = db.session.execute(
        select(Visit.id).where(Visit.request_id == request_id, Visit.occurrence == occurrence,
                               Visit.status == "scheduled")
    ).first()
    pin = _pin(version.season_id, request_id, occurrence)
    if published is not None:
        pin.kind, pin.van_id, pin.date, pin.start, pin.created_by = "unlock", None, None, None, by
    elif pin in db.session.new:
        db.session.expunge(pin)  # nothing was pinned: nothing to remove
    else:
        db.session.delete(pin)
    data = dict(version.problem_json)
    data["locked"] = [lk for lk in data.get("locked", []) if (lk["request"], lk["occurrence"]) != key]
    version.problem_json = data


def _pin(season_id: int, request_id: int, occurrence: int) -> VisitPin:
    pin = db.session.execute(
        select(VisitPin).where(VisitPin.season_id == season_id, VisitPin.request_id == request_id,
                               VisitPin.occurrence == occurrence)
    ).scalar_one_or_none()
    if pin is None:
        pin = VisitPin(season_id=season_id, request_id=request_id, occurrence=occurrence, kind="unlock")
        db.session.add(pin)
    return pin


def unlocked_keys(season_id: int) -> set[tuple[int, int]]:
    return {
        (p.request_id, p.occurrence)
        for p in db.session.execute(
            select(VisitPin).where(VisitPin.season_id == season_id, VisitPin.kind == "unlock")
        ).scalars()
    }


# --------------------------------------------------------------------------- #
# Hand moves
# --------------------------------------------------------------------------- #


def move(version: TourVersion, request_id: int, occurrence: int, van_slug: str, day: date, *, by: str,
         digest: str | None = None) -> Plan:
    """Put one visit of a draft on another van-day; the whole plan must still pass the
    referee. Raises :class:`MoveRefused` (French message naming the rule)."""
    view = _editable(version, digest)
    key = view.problem_key(request_id, occurrence)
    if key is None:
        raise NotFoundError("cette visite ne fait pas partie de ce brouillon", "visit")
    plan = view.plan
    assert plan is not None  # a draft always has a plan (schema constraint)
    new_plan = move_visit(view.problem, plan, key, van_slug, day)
    _store_plan(version, view, new_plan)
    return new_plan


def swap(version: TourVersion, request_id: int, occurrence: int, out_request_id: int, out_occurrence: int,
         van_slug: str, day: date, *, by: str, digest: str | None = None) -> Plan:
    """Put a visit on a van-day in place of one of that day's visits, which is left out (the
    operator then places it elsewhere, or re-plans). The whole plan must pass the referee;
    a locked visit is never taken out (unlock it first). Raises :class:`MoveRefused`."""
    view = _editable(version, digest)
    key = view.problem_key(request_id, occurrence)
    out_key = view.problem_key(out_request_id, out_occurrence)
    if key is None or out_key is None:
        raise NotFoundError("cette visite ne fait pas partie de ce brouillon", "visit")
    plan = view.plan
    assert plan is not None  # a draft always has a plan (schema constraint)
    freed = unserve_visit(view.problem, plan, out_key)
    new_plan = move_visit(view.problem, freed, key, van_slug, day)
    _store_plan(version, view, new_plan)
    return new_plan


def _store_plan(version: TourVersion, view: VersionView, plan: Plan) -> None:
    """The draft's plan, figures, reasons and rows follow ``plan`` (rows rebuilt: a draft's
    rows are not linked to public visits yet)."""
    s = plan.stats
    version.plan_json = plan.to_json()
    version.served, version.visits = s.served, s.visits
    version.served_priority, version.total_priority = s.served_priority, s.total_priority
    version.distance_km, version.drive_minutes, version.van_days = s.distance_km, s.drive_minutes, s.van_days
    unserved = []
    for u in plan.unserved:
        rid, occ = view.db_key(u.request, u.occurrence)
        req = view.requests.get(rid)
        unserved.append(unserved_entry(view.problem, u, rid, occ, req.label if req else ""))
    version.unserved = unserved
    db.session.execute(delete(VersionVisit).where(VersionVisit.version_id == version.id))
    db.session.expire(version, ["rows"])
    for route in plan.routes:
        van = view.vans[route.van]
        for j, stop in enumerate(route.stops):
            rid, occ = view.db_key(stop.request, stop.occurrence)
            db.session.add(VersionVisit(version_id=version.id, request_id=rid, occurrence=occ, van_id=van.id,
                                        date=route.day, start=stop.start, end=stop.end, arrive=stop.arrive,
                                        order=j))
    db.session.flush()


# --------------------------------------------------------------------------- #
# Publication
# --------------------------------------------------------------------------- #


def publish(version: TourVersion, *, by: str) -> PublishResult:
    """Publish a draft (the database helper's atomic publication; ConflictError when someone
    published the season since this draft was planned)."""
    if version.status != "draft":
        raise OperationError(f"la version n° {version.number} est « {version.status} » : seul un brouillon "
                             "se publie", "version")
    version_id = version.id
    # A deadlock victim (PostgreSQL) is published again from scratch rather than lost.
    return retrying(lambda: publish_version(version_id, by=by))


def versions_of(season_id: int) -> list[TourVersion]:
    return list(db.session.execute(
        select(TourVersion).where(TourVersion.season_id == season_id).order_by(TourVersion.number.desc())
    ).scalars())


def group_by_day(routes: list[RouteView]) -> dict[date, list[RouteView]]:
    days: dict[date, list[RouteView]] = defaultdict(list)
    for r in routes:
        days[r.day].append(r)
    return dict(sorted(days.items()))


__all__ = [
    "published_visit_ids",
    "season_pins",
    "CO2_KG_PER_KM",
    "VAN_COLORS",
    "Segment",
    "MoveRefused",
    "UNSERVED_REASONS_FR",
    "VersionView",
    "get_version",
    "lock_visit",
    "move",
    "plan_digest",
    "publish",
    "unlock_visit",
]


def season_pins(season_id: int) -> list[VisitPin]:
    """The season's locked and unlocked visits (the season page lists them)."""
    return list(db.session.execute(
        select(VisitPin).where(VisitPin.season_id == season_id).order_by(VisitPin.id)).scalars())


def published_visit_ids(season_id: int) -> dict[tuple[int, int], int]:
    """``(request id, occurrence) → visit id`` of the season's scheduled public visits."""
    return {(x.request_id, x.occurrence): x.id for x in db.session.execute(
        select(Visit).where(Visit.season_id == season_id, Visit.status == "scheduled")).scalars()}
