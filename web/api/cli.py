"""``flask tourplan create-api-token EMAIL``: a bearer token for scripts acting as an operator."""

from __future__ import annotations

import click

from web.api.models import ApiToken, hash_token, new_token
from web.auth.operations import find_operator
from web.core.cli import fail_cleanly, tourplan_cli
from web.core.errors import NotFoundError
from web.extensions import db


@tourplan_cli.command("create-api-token")
@click.argument("email")
@click.option("--label", default="", help="What the token is for (kept with it).")
@fail_cleanly
def create_api_token(email: str, label: str) -> None:
    """Create an API token for the operator EMAIL and print it (shown once, stored hashed)."""
    operator = find_operator(email)
    if operator is None:
        raise NotFoundError(f"aucun opérateur {email!r}", "EMAIL")
    token = new_token()
    db.session.add(ApiToken(operator_id=operator.id, token_hash=hash_token(token), label=label[:200]))
    db.session.commit()
    click.echo(token)
