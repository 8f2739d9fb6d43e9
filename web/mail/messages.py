"""What the messages say: a snapshot (the outbox payload) turned into a MIME message.

Subjects are written when a message is queued (the desk lists them); bodies are rendered
when it is sent, from the snapshot only, so a message tells what was decided at the moment
of the change even if it is sent later. French; plain text with an HTML alternative; no
internal words (priorities, versions): a commune reads about its visit, its date, its link.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from flask import current_app, render_template

from tourplan.communes import at_commune
from tourplan.ical import Party, build_invitation
from web.core.formats import NBSP, hm, long_date, paris_datetime
from web.core.urls import absolute_url, canonical_host
from web.public.operations import PublicVisit, feed_event

SITE_NAME = "Camion numérique"

# --------------------------------------------------------------------------- #
# Snapshots
# --------------------------------------------------------------------------- #

_VISIT_FIELDS = {f.name: str(f.type) for f in fields(PublicVisit)}


def visit_snapshot(v: PublicVisit) -> dict[str, Any]:
    """A public visit as JSON (dates as ISO text)."""
    out: dict[str, Any] = {}
    for key, value in asdict(v).items():
        out[key] = value.isoformat() if isinstance(value, date | datetime) else value
    return out


def visit_from_snapshot(data: dict[str, Any]) -> PublicVisit:
    values: dict[str, Any] = {}
    for key, kind in _VISIT_FIELDS.items():
        value = data.get(key)
        if isinstance(value, str) and "datetime" in kind:
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and kind.startswith("date"):
            value = date.fromisoformat(value)
        values[key] = value
    return PublicVisit(**values)


# --------------------------------------------------------------------------- #
# Words
# --------------------------------------------------------------------------- #


def _plain(text: str) -> str:
    # Mail programs wrap as they like and show subjects on one line: ordinary spaces
    # keep the headers plain ASCII where the words are.
    return text.replace(NBSP, " ")


def day_fr(day: date) -> str:
    """``mardi 2 mars 2027``, ``lundi 1er mars 2027``."""
    return _plain(long_date(day))


def isoday_fr(text: str) -> str:
    try:
        return day_fr(date.fromisoformat(str(text)))
    except ValueError:
        return str(text)


def hour_fr(minutes: int) -> str:
    """``9 h 05``."""
    return _plain(hm(minutes))


def commune_at(payload: dict[str, Any]) -> str:
    """"aux Laubies": queued since names took their article, or read off the name before."""
    return str(payload.get("commune_at") or at_commune(str(payload.get("commune", ""))))


def when_fr(v: PublicVisit) -> str:
    return f"le {day_fr(v.date)}, de {hour_fr(v.start)} à {hour_fr(v.end)}"


def _asked_fr(payload: dict[str, Any]) -> str:
    """When a change was asked: "2 mars 2027 à 9 h 30" (Paris time)."""
    asked = payload.get("asked_at")
    return _plain(paris_datetime(datetime.fromisoformat(asked))) if asked else ""


def _digest_subject(payload: dict[str, Any]) -> str:
    count, changes = payload.get("count", 0), len(payload.get("changes", ()))
    if not changes:
        return f"Demandes de passage reçues : {count}"
    if not count:
        return f"Modifications demandées : {changes}"
    return f"Demandes de passage reçues : {count}, modifications demandées : {changes}"


def subject_for(kind: str, payload: dict[str, Any]) -> str:
    """The subject line of a message (kept in the outbox row for the desk)."""
    commune = payload.get("commune", "")
    at = commune_at(payload)
    if kind in ("invitation", "reminder"):
        v = visit_from_snapshot(payload["visit"])
        if kind == "reminder":
            return f"Rappel : le camion numérique vient le {day_fr(v.date)} {v.commune_at}"
        change = payload["change"]
        if change == "cancelled":
            return f"Visite annulée : {v.commune_name}, {day_fr(v.date)}"
        if change == "changed":
            return f"Visite modifiée : {v.commune_name}, {day_fr(v.date)} à {hour_fr(v.start)}"
        return f"Visite confirmée : {v.commune_name}, {day_fr(v.date)} à {hour_fr(v.start)}"
    return {
        "acknowledgement": f"Votre demande de passage du camion {at} est bien reçue",
        "new_request": f"Nouvelle demande de passage : {commune}",
        "digest": _digest_subject(payload),
        "accepted": f"Votre demande de passage {at} est acceptée",
        "declined": f"Votre demande de passage {at} n'a pas pu être retenue",
        "cancelled": f"Votre demande de passage {at} est annulée",
        "change_request": f"Demande de modification : {commune}",
        "change_received": f"Votre demande de modification {at} est bien reçue",
        "change_accepted": f"Votre demande de modification {at} est acceptée",
        "change_refused": f"Votre demande de modification {at} n'a pas pu être retenue",
        "subscription_confirm": f"Confirmez votre alerte pour le camion numérique {at}",
        "resident_alert": f"Le camion numérique {at} : nouvelles dates",
    }.get(kind, f"{SITE_NAME}")


# --------------------------------------------------------------------------- #
# Rendering
# --------------------------------------------------------------------------- #


def sender_address() -> str:
    return str(current_app.config.get("TOURPLAN_MAIL_FROM") or f"ne-pas-repondre@{canonical_host()}")


def new_message_id(unique: str) -> str:
    """A Message-ID on the site's host, fixed when the message is queued."""
    return f"<{unique}@{canonical_host()}>"


def _links(kind: str, payload: dict[str, Any]) -> dict[str, str]:
    links: dict[str, str] = {"privacy": absolute_url("mail.privacy")}
    token = payload.get("token")
    if token:
        links["tracking"] = absolute_url("requests.track", token=token)
    if payload.get("request_id") and kind in ("new_request", "change_request"):
        links["inbox"] = absolute_url("inbox.detail", request_id=payload["request_id"])
    if kind == "digest":
        links["inbox"] = absolute_url("inbox.index")
    if payload.get("subscription_token"):
        links["unsubscribe"] = absolute_url("mail.unsubscribe", token=payload["subscription_token"])
        links["confirm"] = absolute_url("mail.confirm", token=payload["subscription_token"])
    if payload.get("insee"):
        links["commune"] = absolute_url("public.commune", insee=payload["insee"])
    if "visit" in payload:
        vid = payload["visit"]["id"]
        links["visit"] = absolute_url("public.visit", visit_id=vid)
        if token:
            links["poster"] = absolute_url("mail.poster", token=token, visit_id=vid)
    return links


def render_message(*, kind: str, recipient: str, subject: str, payload: dict[str, Any], message_id: str,
                   created_at: datetime) -> EmailMessage:
    """The MIME message of an outbox row: text, HTML alternative, and for a visit's
    invitation a ``text/calendar; method=REQUEST|CANCEL`` part (iTIP)."""
    links = _links(kind, payload)
    visit = visit_from_snapshot(payload["visit"]) if "visit" in payload else None
    visits = [visit_from_snapshot(v) for v in payload.get("visits", [])]
    context = {"p": payload, "links": links, "visit": visit, "visits": visits, "day_fr": day_fr, "isoday_fr": isoday_fr,
               "hour_fr": hour_fr, "when_fr": when_fr, "site_name": SITE_NAME, "subject": subject, "kind": kind,
               "commune_at": commune_at(payload), "asked_fr": _asked_fr(payload)}
    text = render_template(f"mail/{kind}.txt", **context)
    html = render_template(f"mail/{kind}.html", **context)

    msg = EmailMessage()
    msg["From"] = Address(SITE_NAME, addr_spec=sender_address())
    name = payload.get("contact_name") or ""
    msg["To"] = Address(name, addr_spec=recipient) if name else recipient
    msg["Subject"] = subject
    msg["Date"] = format_datetime(created_at)
    msg["Message-ID"] = message_id
    # RFC 3834: written by a program; vacation responders must not answer it.
    msg["Auto-Submitted"] = "auto-generated"
    reply_to = current_app.config.get("TOURPLAN_MAIL_REPLY_TO")
    if reply_to:
        msg["Reply-To"] = reply_to
    if "unsubscribe" in links:
        # RFC 8058 one-click: the mail program POSTs "List-Unsubscribe=One-Click" to the URL.
        msg["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    if kind == "invitation" and visit is not None:
        ics = invitation_bytes(visit, recipient=recipient, name=name)
        method = "CANCEL" if visit.cancelled else "REQUEST"
        msg.add_alternative(ics.decode("utf-8"), subtype="calendar", params={"method": method})
    return msg


def invitation_bytes(v: PublicVisit, *, recipient: str, name: str = "") -> bytes:
    """The visit's iTIP invitation: the public feed's event (same UID and SEQUENCE)."""
    from web.public.blueprint import uid_host

    url = absolute_url("public.visit", visit_id=v.id)
    return build_invitation(
        feed_event(v, uid_host(), url),
        organizer=Party(sender_address(), SITE_NAME),
        attendee=Party(recipient, name),
        prodid="-//tourplan//invitation//FR",
        tzid=v.timezone,
    )
