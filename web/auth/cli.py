"""``flask --app web tourplan create-operator EMAIL``."""

from __future__ import annotations

import sys

import click

from web.auth.operations import create_operator
from web.core.cli import tourplan_cli
from web.core.errors import OperationError
from web.extensions import db


@tourplan_cli.command("create-operator")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--reset-password", is_flag=True, help="Set a new password on an existing operator.")
def create_operator_command(email: str, password_stdin: bool, reset_password: bool) -> None:
    """Create an operator account (the password is asked twice, never on the command line)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("Aucun mot de passe sur l'entrée standard.")
    else:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt="Répétez le mot de passe")
    try:
        operator = create_operator(email, password, reset=reset_password)
        db.session.commit()
    except OperationError as e:
        db.session.rollback()
        raise click.ClickException(e.message) from None
    verb = "Mot de passe changé pour" if reset_password else "Opérateur créé :"
    click.echo(f"{verb} {operator.email}.")
