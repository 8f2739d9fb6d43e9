"""What the van offers: the catalogue of activities a commune can ask for.

One small public constant, shared by the demo generator and the web site's
catalogue, so that a request's duration, equipment and priority mean the same
thing everywhere.  Texts are in French: they are shown to communes.
"""

from __future__ import annotations

from dataclasses import dataclass


def N_(text: str) -> str:  # noqa: N802 - the usual gettext marker name
    """Marks a French text for the web site's catalogue (``pybabel -k N_``); returns it as is."""
    return text


# Equipment names, as written in problem files (``vans[].equipment``, ``requests[].equipment``);
# the public pages translate them (web.requests.forms.equipment_text).
EQUIPMENT = {
    "laptops": N_("ordinateurs portables"),
    "tablets": N_("tablettes"),
    "satellite-uplink": N_("connexion internet par satellite"),
    "3d-printer": N_("imprimantes 3D"),
    "robots": N_("robots éducatifs"),
}


@dataclass(frozen=True)
class Activity:
    key: str
    name: str
    duration_minutes: int
    equipment: tuple[str, ...]
    priority: int  # weight of one visit in the optimiser's objective (1 = nice to have … 5 = essential)
    audience: str
    bring: str  # what the participants should bring
    description: str
    earliest_start: int = 9 * 60  # usual hours, minutes after midnight
    latest_end: int = 17 * 60
    weekdays: tuple[int, ...] | None = None  # fixed days (school days); None: the host's days
    at_town_hall: bool = False  # held at the town hall, so on its opening days
    min_occurrences: int = 1
    max_occurrences: int = 1
    min_days_between: int = 0

    @property
    def recurring(self) -> bool:
        return self.max_occurrences > 1


ACTIVITIES: tuple[Activity, ...] = (
    Activity(
        key="demarches",
        name="Aide aux démarches en ligne",
        duration_minutes=120,
        equipment=("laptops", "satellite-uplink"),
        priority=3,
        audience="Tout public",
        bring="Pièce d'identité, identifiants (impots.gouv.fr, ameli, CAF, France Travail), justificatifs utiles",
        description="Accompagnement individuel pour les démarches administratives en ligne.",
        at_town_hall=True,
    ),
    Activity(
        key="seniors",
        name="Initiation numérique seniors",
        duration_minutes=150,
        equipment=("tablets",),
        priority=2,
        audience="Personnes âgées, débutants",
        bring="Son téléphone ou sa tablette s'il en a un, ses lunettes",
        description="Premiers pas : tablette, courriel, visio avec la famille, se protéger des arnaques.",
        at_town_hall=True,
    ),
    Activity(
        key="impression-3d",
        name="Atelier impression 3D",
        duration_minutes=180,
        equipment=("3d-printer", "laptops"),
        priority=2,
        audience="Adolescents et adultes",
        bring="Une idée d'objet à fabriquer",
        description="Modéliser un petit objet puis l'imprimer en 3D.",
    ),
    Activity(
        key="robots-ecole",
        name="Atelier école robots",
        duration_minutes=90,
        equipment=("robots", "tablets"),
        priority=3,
        audience="Élèves d'école primaire (CE2–CM2)",
        bring="Rien : le matériel est fourni",
        description="Programmer des petits robots en classe, pendant le temps scolaire.",
        earliest_start=8 * 60 + 30,
        latest_end=16 * 60 + 30,
        weekdays=(1, 2, 4, 5),  # French primary schools have no class on Wednesday
    ),
    Activity(
        key="france-services",
        name="Permanence France Services",
        duration_minutes=180,
        equipment=("laptops", "satellite-uplink"),
        priority=4,
        audience="Tout public",
        bring="Pièce d'identité, courriers et justificatifs du dossier à traiter",
        description="Permanence régulière d'un conseiller France Services (CAF, impôts, retraite, ANTS…).",
        at_town_hall=True,
        min_occurrences=2,
        max_occurrences=4,
        min_days_between=14,
    ),
    Activity(
        key="fablab",
        name="Journée fablab",
        # Not 6 h: the crew's 45-minute lunch break must fall between 12:00 and 14:00
        # and nothing is served during it, so with an 08:00–18:30 shift one visit
        # can hold at most 5 h 45 minus the drive; 4 h 30 leaves room for the road.
        duration_minutes=270,
        equipment=("3d-printer", "laptops", "robots"),
        priority=4,
        audience="Tout public, en famille",
        bring="Curiosité ; petits objets à réparer",
        description="Une journée d'ateliers en continu : impression 3D, robots, réparation, démonstrations.",
        earliest_start=8 * 60 + 30,
        latest_end=18 * 60,
    ),
)

ACTIVITY_BY_KEY: dict[str, Activity] = {a.key: a for a in ACTIVITIES}
