"""``flask --app web tourplan send-mail | send-reminders | purge-personal-data``."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app

from web.core.cli import fail_cleanly, tourplan_cli
from web.extensions import db


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: a date YYYY-MM-DD is expected", param_hint="--today") from None


@tourplan_cli.command("send-mail")
@fail_cleanly
def send_mail_command() -> None:
    """Send the messages of the outbox that are due (retries included), then stop."""
    from web.mail.outbox import send_all_due

    counts = send_all_due()
    click.echo(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing due")


@tourplan_cli.command("send-reminders")
@click.option("--today", default=None, metavar="YYYY-MM-DD", help="The day it is (default: today in France).")
@click.option("--send/--no-send", default=True, show_default=True, help="Also send what is due now.")
@fail_cleanly
def send_reminders_command(today: str | None, send: bool) -> None:
    """Queue the reminders of visits coming within their season's reminder period, and the
    operators' daily digests. Run it daily: it never queues the same reminder twice."""
    from web.mail.operations import send_daily
    from web.mail.outbox import send_all_due

    counts = send_daily(_day(today))
    click.echo(f"{counts['reminders']} reminder(s) and {counts['digests']} digest(s) queued")
    if send:
        sent = send_all_due()
        click.echo(", ".join(f"{n} {status}" for status, n in sorted(sent.items())) or "nothing due")


@tourplan_cli.command("purge-personal-data")
@click.option("--days", type=click.IntRange(0, 3650), default=None,
              help="Keep contact data this many days after a season's end (default: TOURPLAN_PERSONAL_DATA_DAYS).")
@click.option("--today", default=None, metavar="YYYY-MM-DD")
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@fail_cleanly
def purge_command(days: int | None, today: str | None, dry_run: bool) -> None:
    """Remove contact data of closed seasons' requests, old messages, unconfirmed alerts."""
    from web.mail.operations import purge_personal_data

    keep = current_app.config["TOURPLAN_PERSONAL_DATA_DAYS"] if days is None else days
    result = purge_personal_data(days=int(keep), today=_day(today), dry_run=dry_run)
    db.session.commit()
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb}: contact data of {result.requests} request(s), {result.messages} message(s), "
               f"{result.subscriptions} unconfirmed alert(s) (kept {keep} days after a season's end)")
