"""E-mail (issue 12): every message of a request's life reaches a real SMTP server, with its
calendar invitation when a date is set, moved or cancelled; nothing is lost when the server is
down; residents' alerts are double opt-in with a one-click unsubscribe; contact data is purged."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, update

from tests.desk_helpers import operator
from tests.mail_helpers import free_port, parts, smtp_server
from tests.test_db_tours import MON, TUE, solver_placing
from web.extensions import db
from web.mail.models import OutboxMessage, Subscription
from web.mail.outbox import send_all_due, send_due
from web.requests.operations import accept, decline
from web.tours.models import Visit
from web.tours.operations import plan_season, publish_version

JARGON = ("priorit", "version", "revision", "révision", "sequence", "optimis")


@pytest.fixture
def smtp():
    with smtp_server() as (inbox, port):
        yield inbox, port


@pytest.fixture
def app(make_app, smtp):
    """This module's site sends to the test's SMTP server (client, make and db_session use it)."""
    inbox, port = smtp
    return make_app(TOURPLAN_MAIL_URL=f"smtp://127.0.0.1:{port}", TOURPLAN_MAIL_FROM="tournee@example.org")


@pytest.fixture
def ctx(app, db_session):
    return app


def _publish(season, where, today=date(2027, 1, 4)):
    version = plan_season(season, solver=solver_placing(where), today=today, created_by="op")
    return publish_version(version.id, by="op@example.fr")


def _setup(make, **request_kw):
    from tests.conftest import Make

    make = make or Make()
    make.van()
    season = make.season()
    commune = make.commune("48095", name="Marvejols")
    req = make.request(season, commune, status="submitted", email="mairie@marvejols.example",
                       contact_name="Mme Martin", **request_kw)
    db.session.commit()
    return season, commune, req


def _only_message(msg) -> None:
    """What every message carries: Date, Message-ID, text and HTML, French, no jargon."""
    assert msg["Date"] and msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@localhost>")
    found = parts(msg)
    assert {"text/plain", "text/html"} <= set(found)
    text = found["text/plain"].get_content()
    assert not any(word in text.lower() for word in JARGON), text
    assert "Vos données" in text


def test_a_request_s_life_reaches_the_commune_and_the_operators_through_a_real_smtp_server(ctx, smtp, make, client):
    inbox, _ = smtp
    operator("ops@example.fr")
    operator("digest@example.fr")
    from web.auth.models import Operator

    db.session.execute(update(Operator).where(Operator.email == "digest@example.fr").values(new_request_mail="digest"))
    season, commune, req = _setup(make, occurrences=1)
    token = req.tracking_token
    accept(req, "ops@example.fr")
    db.session.commit()
    _publish(season, {(req.id, 0): (MON, 9 * 60)})
    visit = db.session.execute(select(Visit)).scalar_one()
    _publish(season, {(req.id, 0): (TUE, 14 * 60)})  # moved
    r = client.post(f"/suivi/{token}/annuler", data={"submit": "Oui, annuler ma demande"})
    assert r.status_code == 302
    counts = send_all_due()
    assert counts == {"sent": 7}, counts

    commune_mail = inbox.to("mairie@marvejols.example")
    subjects = [m["Subject"] for m in commune_mail]
    assert subjects[:4] == [
        "Votre demande de passage du camion à Marvejols est bien reçue",
        "Votre demande de passage à Marvejols est acceptée",
        "Visite confirmée : Marvejols, lundi 1er mars 2027 à 9 h 00",
        "Visite modifiée : Marvejols, mardi 2 mars 2027 à 14 h 00",
    ]
    # One click queues both in one transaction, from two receivers of the same signal:
    # blinker promises no order between receivers, so neither does the commune's inbox.
    assert sorted(subjects[4:]) == [
        "Visite annulée : Marvejols, mardi 2 mars 2027",
        "Votre demande de passage à Marvejols est annulée",
    ]
    tracking = f"http://localhost/suivi/{token}"
    for msg in commune_mail:
        _only_message(msg)
        assert tracking in parts(msg)["text/plain"].get_content()
        assert f'href="{tracking}"' in parts(msg)["text/html"].get_content()
        assert msg["To"] == "Mme Martin <mairie@marvejols.example>"
    by_subject = {m["Subject"]: m for m in commune_mail}
    cancelled = by_subject["Votre demande de passage à Marvejols est annulée"]
    assert "Vous avez annulé" in parts(cancelled)["text/plain"].get_content()

    # Operators: one e-mail each for those who asked, none for the digest reader.
    ops_mail = inbox.to("ops@example.fr")
    assert [m["Subject"] for m in ops_mail] == ["Nouvelle demande de passage : Marvejols"]
    assert f"http://localhost/operateur/demandes/{req.id}" in parts(ops_mail[0])["text/plain"].get_content()
    assert inbox.to("digest@example.fr") == []

    # The invitations: iTIP, the feed's UID, SEQUENCE rising, CANCEL at the end.
    feed = Calendar.from_ical(client.get(f"/communes/{commune.insee}.ics").data)
    feed_uid = str(next(iter(feed.walk("VEVENT")))["UID"])
    assert feed_uid == f"visit-{visit.id}@localhost"
    seen = []
    for msg in [*commune_mail[2:4], by_subject["Visite annulée : Marvejols, mardi 2 mars 2027"]]:
        part = parts(msg)["text/calendar"]
        cal = Calendar.from_ical(part.get_content())
        event = next(iter(cal.walk("VEVENT")))
        assert part.get_param("method") == str(cal["METHOD"])
        assert str(event["ORGANIZER"]) == "mailto:tournee@example.org"
        assert str(event["ATTENDEE"]) == "mailto:mairie@marvejols.example"
        seen.append((str(cal["METHOD"]), str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"]),
                     event.decoded("DTSTART").strftime("%Y-%m-%d %H:%M")))
    assert seen == [
        ("REQUEST", feed_uid, 0, "CONFIRMED", "2027-03-01 09:00"),
        ("REQUEST", feed_uid, 1, "CONFIRMED", "2027-03-02 14:00"),
        ("CANCEL", feed_uid, 2, "CANCELLED", "2027-03-02 14:00"),
    ]


def test_a_decline_tells_the_reason(ctx, smtp, make):
    inbox, _ = smtp
    season, commune, req = _setup(make)
    decline(req, "ops@example.fr", "Le camion ne peut pas stationner sur cette place.")
    db.session.commit()
    send_all_due()
    msg = inbox.to("mairie@marvejols.example")[-1]
    assert msg["Subject"] == "Votre demande de passage à Marvejols n'a pas pu être retenue"
    assert "Motif : Le camion ne peut pas stationner sur cette place." in parts(msg)["text/plain"].get_content()
    _only_message(msg)


def test_a_message_is_queued_in_the_transaction_of_its_change(ctx, make):
    season, commune, req = _setup(make)
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    accept(req, "ops@example.fr")
    db.session.rollback()  # the acceptance did not happen: nor did its message
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before
    accept(db.session.get(type(req), req.id), "ops@example.fr")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before + 1


def test_a_server_that_refuses_then_recovers_loses_nothing_and_sends_no_duplicate(make_app, make):
    port = free_port()
    app = make_app(TOURPLAN_MAIL_URL=f"smtp://127.0.0.1:{port}")
    with app.app_context():
        _setup(make)
        assert send_due() == {"waiting": 1}  # nobody listens on the port: put back for later
        message = db.session.execute(select(OutboxMessage)).scalar_one()
        assert (message.status, message.attempts) == ("waiting", 1)
        assert "injoignable" in message.last_error
        assert message.next_attempt_at > message.created_at + timedelta(seconds=50)  # back-off
        assert send_due() == {}  # not due yet
        with smtp_server(port) as (inbox, _):
            inbox.refuse = 1
            db.session.execute(update(OutboxMessage).values(next_attempt_at=message.created_at))
            db.session.commit()
            assert send_due() == {"waiting": 1}  # 451: still waiting
            db.session.execute(update(OutboxMessage).values(next_attempt_at=message.created_at))
            db.session.commit()
            assert send_due() == {"sent": 1}
            assert send_due() == {}
            db.session.execute(update(OutboxMessage).values(next_attempt_at=message.created_at))
            db.session.commit()
            assert send_due() == {}  # sent is sent, even when due again
            assert len(inbox.messages) == 1
        db.session.expire_all()
        message = db.session.execute(select(OutboxMessage)).scalar_one()
        assert (message.status, message.attempts, message.last_error) == ("sent", 3, "")


def test_a_permanent_refusal_fails_and_the_desk_resends_it(ctx, smtp, make, client, auth):
    inbox, _ = smtp
    _setup(make)
    from web.mail.transport import PermanentFailure

    class Refusing:
        def send(self, message, recipient):
            raise PermanentFailure("le serveur a répondu 550 boîte inconnue")

    assert send_due(via=Refusing()) == {"failed": 1}
    operator()
    auth.login()
    page = client.get("/operateur/courriels?statut=failed").get_data(as_text=True)
    assert "550 boîte inconnue" in page and "Renvoyer" in page
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    r = client.post(f"/operateur/courriels/{message.id}/renvoyer")
    assert r.status_code == 302
    assert send_all_due() == {"sent": 1}
    assert len(inbox.messages) == 1
    assert "Envoyé" in client.get("/operateur/courriels").get_data(as_text=True)


def test_the_outbox_page_is_for_operators_only(client):
    assert client.get("/operateur/courriels").status_code == 302


def test_a_commit_wakes_the_worker_thread(make_app, smtp, make):
    inbox, port = smtp
    app = make_app(TOURPLAN_MAIL_URL=f"smtp://127.0.0.1:{port}", TOURPLAN_MAIL_WORKER="thread")
    from web.mail.worker import stop_thread

    try:
        app.test_client().get("/")  # a web process: its first request starts the thread
        with app.app_context():
            _setup(make)  # the commit of the new request wakes the thread
        deadline = time.monotonic() + 20
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m["Subject"] for _, m in inbox.messages] == [
            "Votre demande de passage du camion à Marvejols est bien reçue"]
    finally:
        stop_thread(app)


def test_without_mail_settings_messages_are_eml_files_in_the_instance(make_app, tmp_path):
    app = make_app()
    app.instance_path = str(tmp_path / "plain-instance")
    with app.app_context():
        _setup(None)
    result = app.test_cli_runner().invoke(args=["tourplan", "send-mail"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 sent"
    files = list((Path(app.instance_path) / "outbox").glob("*.eml"))
    assert len(files) == 1
    from email import message_from_bytes, policy

    msg = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Votre demande de passage du camion à Marvejols est bien reçue"
    _only_message(msg)


def test_a_bad_mail_url_stops_the_start_with_a_clear_message(make_app):
    with pytest.raises(ValueError, match="TOURPLAN_MAIL_URL: scheme 'smpt' unknown"):
        make_app(TOURPLAN_MAIL_URL="smpt://localhost")


@pytest.mark.postgresql_only
def test_two_senders_of_the_same_outbox_never_send_a_message_twice(make_app, make):
    app = make_app()
    sent: list[str] = []
    lock = threading.Lock()

    class Slow:
        def send(self, message, recipient):
            time.sleep(0.01)
            with lock:
                sent.append(message["Message-ID"])

    with app.app_context():
        season, commune, req = _setup(make)
        from web.mail.outbox import enqueue

        for i in range(60):
            enqueue("accepted", f"c{i}@example.org", {"commune": "Marvejols", "token": req.tracking_token})
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    barrier = threading.Barrier(2)

    def sender() -> None:
        other = make_app()  # another app: its own engine and connections, like a second process
        with other.app_context():
            barrier.wait()
            while send_due(limit=5, via=Slow()):
                pass
            db.session.remove()
            db.engine.dispose()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(sent) == total == 61
    assert len(set(sent)) == len(sent)


def test_reminders_are_queued_once_with_the_duties_and_the_poster_link(ctx, smtp, make, client):
    inbox, _ = smtp
    season, commune, req = _setup(make, expected_attendees=12)
    accept(req, "ops@example.fr")
    db.session.commit()
    _publish(season, {(req.id, 0): (MON, 9 * 60)})
    send_all_due()
    inbox.messages.clear()
    runner = ctx.test_cli_runner()
    too_early = runner.invoke(args=["tourplan", "send-reminders", "--today", "2027-02-20"])
    assert "0 reminder(s)" in too_early.output, too_early.output
    first = runner.invoke(args=["tourplan", "send-reminders", "--today", "2027-02-22"])
    assert "1 reminder(s)" in first.output and first.exit_code == 0, first.output
    again = runner.invoke(args=["tourplan", "send-reminders", "--today", "2027-02-23"])
    assert "0 reminder(s)" in again.output, again.output
    assert len(inbox.messages) == 1
    msg = inbox.messages[0][1]
    _only_message(msg)
    assert msg["Subject"] == "Rappel : le camion numérique vient le lundi 1er mars 2027 à Marvejols"
    text = parts(msg)["text/plain"].get_content()
    assert "prise électrique" in text and "garer le camion" in text and "salle" in text
    assert "12 personnes attendues" in text
    poster = next(w for w in text.split() if "/affiche" in w)
    visit = db.session.execute(select(Visit)).scalar_one()
    assert poster == f"http://localhost/suivi/{req.tracking_token}/visites/{visit.id}/affiche"
    page = client.get(poster.removeprefix("http://localhost"))
    assert page.status_code == 200 and "Marvejols" in page.get_data(as_text=True)
    assert client.get(f"/suivi/not-the-token/visites/{visit.id}/affiche").status_code == 404


def test_the_season_s_reminder_days_decide_and_zero_turns_them_off(ctx, make):
    from web.mail.operations import send_reminders

    season, commune, req = _setup(make)
    accept(req, "ops@example.fr")
    db.session.commit()
    _publish(season, {(req.id, 0): (MON, 9 * 60)})
    season.reminder_days = 0
    db.session.commit()
    assert send_reminders(date(2027, 2, 28)) == 0
    season.reminder_days = 10
    db.session.commit()
    assert send_reminders(date(2027, 2, 19)) == 1


def test_residents_alerts_double_opt_in_and_one_click_unsubscribe(make_app, smtp, make):
    inbox, port = smtp
    app = make_app(TOURPLAN_MAIL_URL=f"smtp://127.0.0.1:{port}", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        season, commune, req = _setup(make)
        accept(req, "ops@example.fr")
        db.session.commit()
        page = client.get("/communes/48095").get_data(as_text=True)
        assert "Prévenez-moi" in page and 'href="/confidentialite"' in page
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        bad = client.post("/communes/48095/alerte", data={"email": "pas-une-adresse", "csrf_token": csrf})
        assert bad.status_code == 422 and "adresse électronique invalide" in bad.get_data(as_text=True)
        r = client.post("/communes/48095/alerte", data={"email": "habitant@example.org", "csrf_token": csrf})
        assert r.status_code == 200 and "habitant@example.org" in r.get_data(as_text=True)
        _publish(season, {(req.id, 0): (MON, 9 * 60)})  # not confirmed yet: no alert
        send_all_due()
        mails = inbox.to("habitant@example.org")
        assert [m["Subject"] for m in mails] == ["Confirmez votre alerte pour le camion numérique à Marvejols"]
        confirm = next(w for w in parts(mails[0])["text/plain"].get_content().split() if "/confirmer" in w)
        path = confirm.removeprefix("http://localhost")
        form = client.get(path).get_data(as_text=True)  # a GET (a link scanner) confirms nothing
        assert db.session.execute(select(Subscription)).scalar_one().confirmed_at is None
        csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
        assert "C'est confirmé" in client.post(path, data={"csrf_token": csrf}).get_data(as_text=True)

        _publish(season, {(req.id, 0): (TUE, 10 * 60)})
        send_all_due()
        alert = inbox.to("habitant@example.org")[-1]
        assert alert["Subject"] == "Le camion numérique à Marvejols : nouvelles dates"
        assert "mardi 2 mars 2027, de 10 h 00 à" in parts(alert)["text/plain"].get_content()
        unsubscribe = alert["List-Unsubscribe"].strip().strip("<>")
        assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe.startswith("http://localhost/alertes/")
        # RFC 8058: the mail program POSTs, without cookie nor CSRF token.
        r = app.test_client().post(unsubscribe.removeprefix("http://localhost"),
                                   data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200 and "désabonné" in r.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0


def test_the_privacy_notice_is_linked_from_every_form_and_says_how_long(client, make, db_session):
    make.season(start=date.today() + timedelta(days=10), end=date.today() + timedelta(days=60))
    make.commune("48095", name="Marvejols")
    from web.activities.models import Activity

    db_session.add(Activity(slug="aide", name="Aide", duration_minutes=60))
    db_session.commit()
    for path in ("/demander", "/communes/48095", "/operateur/connexion"):
        assert 'href="/confidentialite"' in client.get(path).get_data(as_text=True), path
    notice = client.get("/confidentialite").get_data(as_text=True)
    assert "365 jours après la fin de la saison" in notice and "CNIL" in notice


def test_purging_removes_contact_data_of_closed_seasons_only(ctx, make):
    make.van()
    old = make.season("old", start=date(2024, 3, 1), end=date(2024, 3, 31))
    current = make.season("now", start=date(2027, 3, 1), end=date(2027, 3, 31))
    commune = make.commune("48095", name="Marvejols")
    gone = make.request(old, commune, email="a@example.org", contact_name="A", phone="0466000000")
    kept = make.request(current, commune, email="b@example.org", contact_name="B", phone="0466000001")
    db.session.commit()
    result = ctx.test_cli_runner().invoke(args=["tourplan", "purge-personal-data", "--days", "365",
                                                "--today", "2025-06-01"])
    assert result.exit_code == 0, result.output
    assert "contact data of 1 request(s)" in result.output
    db.session.expire_all()
    assert (gone.contact_name, gone.email, gone.phone) == ("", "", "")
    assert (kept.contact_name, kept.email) == ("B", "b@example.org")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.recipient == "a@example.org")) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.recipient == "b@example.org")) > 0


if shutil.which("khal"):

    def test_khal_adds_moves_and_cancels_the_visit_from_the_invitations(ctx, smtp, make, tmp_path: Path):
        from tests.test_ical_programs import _run

        inbox, _ = smtp
        season, commune, req = _setup(make)
        accept(req, "ops@example.fr")
        db.session.commit()
        _publish(season, {(req.id, 0): (MON, 9 * 60)})
        _publish(season, {(req.id, 0): (TUE, 14 * 60)})
        req.status  # noqa: B018 - loaded before the cancellation below
        from web.requests.operations import cancel

        cancel(req, by="commune")
        db.session.commit()
        send_all_due()
        invitations = [parts(m)["text/calendar"].get_content() for m in inbox.to("mairie@marvejols.example")
                       if "text/calendar" in parts(m)]
        assert len(invitations) == 3
        vdir = tmp_path / "vdir"
        vdir.mkdir()
        config = tmp_path / "khal.conf"
        config.write_text(
            f"[calendars]\n[[mairie]]\npath = {vdir}\ntype = calendar\n[locale]\n"
            "timeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
            "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
            "local_timezone = Europe/Paris\ndefault_timezone = Europe/Paris\n"
            f"[sqlite]\npath = {tmp_path / 'khal.db'}\n", encoding="utf-8")
        rows = []
        for i, ics in enumerate(invitations):
            f = tmp_path / f"invite-{i}.ics"
            f.write_text(ics, encoding="utf-8")
            _run(["khal", "-c", str(config), "import", "--batch", "-a", "mairie", str(f)], tmp_path, "Europe/Paris")
            out = _run(["khal", "-c", str(config), "list", "--format", "{start}|{title}|{cancelled}",
                        "2027-02-01", "60d"], tmp_path, "Europe/Paris")
            rows.append([tuple(x.strip() for x in line.split("|")) for line in out.splitlines()
                         if line.count("|") == 2])
        visit = db.session.execute(select(Visit)).scalar_one()
        assert [p.name for p in vdir.iterdir()] == [f"visit-{visit.id}@localhost.ics"]  # one event, updated
        assert [r[0][0] for r in rows] == ["2027-03-01 09:00", "2027-03-02 14:00", "2027-03-02 14:00"]
        assert [r[0][2] for r in rows] == ["", "", "CANCELLED"]
        assert all(len(r) == 1 for r in rows)


def test_subjects_take_the_commune_s_article_even_for_messages_queued_before_it():
    from web.mail.messages import subject_for

    queued_now = {"commune": "Le Malzieu-Ville", "commune_at": "au Malzieu-Ville"}
    queued_before = {"commune": "Les Laubies"}  # payloads of an older release: no "commune_at"
    assert subject_for("accepted", queued_now) == "Votre demande de passage au Malzieu-Ville est acceptée"
    assert subject_for("resident_alert", queued_before) == "Le camion numérique aux Laubies : nouvelles dates"


def test_a_new_app_does_not_subscribe_the_receivers_again(app, make_app):
    """Every app connects the areas' receivers; a second app in the process must not make a
    commune's message go out twice."""
    from web.core import signals

    events = (signals.request_submitted, signals.request_status_changed, signals.visits_changed)
    before = [len(s.receivers) for s in events]
    make_app()
    assert [len(s.receivers) for s in events] == before
    assert before[0] >= 1 and before[1] >= 2  # mail; mail and tours


def test_a_commune_s_change_tells_the_team_then_the_commune_the_answer(ctx, smtp, make):
    """Asked: an e-mail to each operator who wants one, and a trace to the commune; accepted or refused: to the commune,
    in French, with what changed and its tracking link (at its new address when it changed it)."""
    from web.requests import changes

    inbox, _ = smtp
    season, commune, req = _setup(make, periods=[{"start": "2027-03-01", "end": "2027-03-12"}])
    send_all_due()  # the acknowledgement of the request itself
    operator("ops@example.fr")
    change = changes.propose_change(req, {"periods": [{"start": "2027-03-15", "end": "2027-03-26"}]},
                                    "La salle est prise début mars.")
    db.session.commit()
    changes.accept_change(change, "ops@example.fr")
    db.session.commit()
    change = changes.propose_change(req, {"email": "secretariat@marvejols.example", "notes": "Le matin."})
    db.session.commit()
    changes.refuse_change(change, "ops@example.fr", "Nous gardons le contact d'origine.")
    db.session.commit()
    assert send_all_due() == {"sent": 6}

    asked = [m["Subject"] for m in inbox.to("ops@example.fr")]
    assert asked == ["Demande de modification : Marvejols"] * 2
    first = parts(inbox.to("ops@example.fr")[0])["text/plain"].get_content()
    assert "Périodes souhaitées : du 1er mars 2027 au 12 mars 2027 → du 15 mars 2027 au 26 mars 2027" in first
    assert "La salle est prise début mars." in first and f"http://localhost/operateur/demandes/{req.id}" in first

    received, accepted, received_again, refused = inbox.to("mairie@marvejols.example")[1:]
    # Each change is acknowledged at the address in force (the new one is only a proposal).
    for msg in (received, received_again):
        assert msg["Subject"] == "Votre demande de modification à Marvejols est bien reçue"
    assert "Périodes souhaitées : du 15 mars 2027 au 26 mars 2027 (au lieu de : du 1er mars 2027 au 12 mars 2027)" \
        in parts(received)["text/plain"].get_content()
    assert accepted["Subject"] == "Votre demande de modification à Marvejols est acceptée"
    text = parts(accepted)["text/plain"].get_content()
    assert "est acceptée : votre demande est à jour" in text and "du 15 mars 2027 au 26 mars 2027" in text
    assert refused["Subject"] == "Votre demande de modification à Marvejols n'a pas pu être retenue"
    text = parts(refused)["text/plain"].get_content()
    assert "Motif : Nous gardons le contact d'origine." in text and "Votre demande reste comme elle était." in text
    assert "Remarques : Le matin." in text.replace("\u00a0", " ")
    for msg in (received, accepted, received_again, refused):
        _only_message(msg)
        assert f"http://localhost/suivi/{req.tracking_token}" in parts(msg)["text/plain"].get_content()


def test_the_digest_lists_yesterday_s_requests_and_the_changes_still_waiting(ctx, smtp, make):
    """An operator who chose the daily digest learns of new requests and of the changes
    communes asked for, once a day; a day with neither sends nothing."""
    from tourplan.calendar import local_today
    from web.auth.models import Operator
    from web.mail.operations import send_digests
    from web.requests import changes

    inbox, _ = smtp
    operator("digest@example.fr")
    db.session.execute(update(Operator).where(Operator.email == "digest@example.fr").values(new_request_mail="digest"))
    season, commune, req = _setup(make)
    changes.propose_change(req, {"notes": "Le matin, s'il vous plaît."}, "")
    withdrawn = make.request(season, make.commune("48146", name="Saint-Chély-d'Apcher"), status="submitted")
    db.session.commit()
    changes.withdraw_change(changes.propose_change(withdrawn, {"notes": "Finalement non."}, ""))
    db.session.commit()
    send_all_due()
    assert inbox.to("digest@example.fr") == []  # nothing until the digest

    tomorrow = local_today() + timedelta(days=1)
    assert send_digests(local_today()) == 0  # yesterday: nothing was received
    assert send_digests(tomorrow) == 1
    assert send_digests(tomorrow) == 0  # once a day, however often the job runs
    send_all_due()
    (digest,) = inbox.to("digest@example.fr")
    assert digest["Subject"] == "Demandes de passage reçues : 2, modifications demandées : 1"
    text = parts(digest)["text/plain"].get_content()
    assert "Demandes de passage reçues hier : 2." in text
    waiting = text[text.index("Modifications demandées hier"):]
    assert f"- Marvejols : {req.label}" in waiting and "Saint-Chély" not in waiting  # withdrawn: nothing to answer
    assert "http://localhost/operateur/demandes/" in text
    _only_message(digest)
