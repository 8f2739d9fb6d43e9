"""``flask tourplan import-places FILE.csv``."""

from __future__ import annotations

from pathlib import Path

import click

from tourplan.places import read_places
from web.core.cli import fail_cleanly, tourplan_cli


@tourplan_cli.command("import-places")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@fail_cleanly
def import_places_command(path: str) -> None:
    """Load or update fixed places of digital help from the ANCT France services CSV."""
    from web.coverage.places import import_places
    from web.extensions import db

    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise click.ClickException(f"{path}: not UTF-8 text (byte {e.start}); save the file as UTF-8 CSV") from None
    result = import_places(read_places(text, Path(path).name))
    db.session.commit()
    click.echo(result.summary())
