"""What the tours area does when another area's lifecycle event happens (see
:mod:`web.core.signals`): the visits follow their request, in the transaction of the change."""

from __future__ import annotations

from typing import Any

from web.core import signals
from web.requests.models import RequestStatusChange, VisitRequest
from web.tours.operations import cancel_request_visits


def connect() -> None:
    signals.request_status_changed.connect(on_request_status_changed)


def on_request_status_changed(req: VisitRequest, *, change: RequestStatusChange, **_: Any) -> None:
    """A cancelled request's visits still to come leave the calendars at once, without
    waiting for a new publication."""
    if change.to_status == "cancelled":
        cancel_request_visits(req)
