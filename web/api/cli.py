"""API tokens from the command line: ``create-api-token``, ``list-api-tokens``, ``revoke-api-token``."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from web.api.models import ApiToken, hash_token, new_token
from web.auth.operations import find_operator
from web.core.cli import fail_cleanly, tourplan_cli
from web.core.errors import NotFoundError
from web.core.types import utcnow
from web.extensions import db


@tourplan_cli.command("create-api-token")
@click.argument("email")
@click.option("--label", default="", help="What the token is for (kept with it).")
@click.option("--days", type=click.IntRange(0, 3650), default=90, show_default=True,
              help="Days until the token expires (0: never).")
@fail_cleanly
def create_api_token(email: str, label: str, days: int) -> None:
    """Create an API token for the operator EMAIL and print it (shown once, stored hashed)."""
    operator = find_operator(email)
    if operator is None:
        raise NotFoundError(f"aucun opérateur {email!r}", "EMAIL")
    token = new_token()
    expires = utcnow() + timedelta(days=days) if days else None
    db.session.add(ApiToken(operator_id=operator.id, token_hash=hash_token(token), label=label[:200],
                            expires_at=expires))
    db.session.commit()
    click.echo(token)


@tourplan_cli.command("list-api-tokens")
@click.argument("email")
@fail_cleanly
def list_api_tokens(email: str) -> None:
    """The tokens of the operator EMAIL: id, label, expiry, last use, revoked or not."""
    operator = find_operator(email)
    if operator is None:
        raise NotFoundError(f"aucun opérateur {email!r}", "EMAIL")
    rows = db.session.execute(select(ApiToken).where(ApiToken.operator_id == operator.id)
                              .order_by(ApiToken.id)).scalars()
    for t in rows:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        expires = f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        click.echo(f"{t.id}\t{state}\texpires {expires}\tlast used {used}\t{t.label}")


@tourplan_cli.command("revoke-api-token")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
@fail_cleanly
def revoke_api_token(token_id: int) -> None:
    """Revoke the API token TOKEN_ID (see list-api-tokens): refused from now on."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError(f"aucun jeton d'API n° {token_id}", "TOKEN_ID")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    click.echo(f"token {token_id} ({token.label or 'no label'}) of {token.operator.email} revoked")
