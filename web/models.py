"""Every model of the application, imported so that Alembic and relationships see all tables."""

from web.activities.models import Activity
from web.api.models import ApiToken
from web.auth.models import Operator
from web.communes.models import Commune
from web.coverage.models import CoverageWeights, FixedPlace, VisitOutcome
from web.desk.models import VisitPin
from web.jobs.models import PlanningJob
from web.mail.models import OutboxMessage, Subscription
from web.requests.models import RequestChange, RequestStatusChange, VisitRequest
from web.seasons.models import Season
from web.tours.models import TourVersion, VersionVisit, Visit
from web.travel.models import RoadLeg
from web.vans.models import Van

__all__ = [
    "Activity",
    "ApiToken",
    "Commune",
    "CoverageWeights",
    "FixedPlace",
    "Operator",
    "OutboxMessage",
    "PlanningJob",
    "RoadLeg",
    "RequestChange",
    "RequestStatusChange",
    "Season",
    "Subscription",
    "TourVersion",
    "Van",
    "VersionVisit",
    "Visit",
    "VisitOutcome",
    "VisitPin",
    "VisitRequest",
]
