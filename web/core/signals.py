"""Lifecycle events of the application, as blinker signals (issue 11: areas learn of each
other's events through signals, not by calling each other).

The operations send them *inside* the transaction of the change, before the caller
commits: a receiver that writes rows (the mail area's outbox) writes them in the same
transaction, so the change and its consequences are stored together or not at all.
Receivers must not commit nor roll back, and must not count on an order among them:
blinker keeps a signal's receivers in a set.

An area subscribes in its ``subscribers.connect()``, which :func:`web.create_app` calls for
every app: signals are global and a process may make many apps (the tests do), but blinker
keeps one subscription per receiver (keyed by its identity), so connecting again changes
nothing and each receiver still runs once per event.

- ``request_submitted(req, by=...)``: a new visit request (status ``submitted``).
- ``request_status_changed(req, change=...)``: ``change`` is the
  :class:`~web.requests.models.RequestStatusChange` just recorded.
- ``request_change_proposed(req, change=...)``: a commune asked to change its request
  (:class:`~web.requests.models.RequestChange`, pending, flushed).
- ``request_change_decided(req, change=...)``: the team accepted (values applied) or refused
  a commune's change (a withdrawal is the commune's own doing: no signal).
- ``visits_changed(season_id, created=[...], changed=[...], cancelled=[...], by=...)``: public
  visits (:class:`~web.tours.models.Visit`, flushed) created, changed (revision raised) or
  cancelled by a publication or by the cancellation of their request.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

request_submitted = _signals.signal("request-submitted")
request_status_changed = _signals.signal("request-status-changed")
request_change_proposed = _signals.signal("request-change-proposed")
request_change_decided = _signals.signal("request-change-decided")
visits_changed = _signals.signal("visits-changed")
