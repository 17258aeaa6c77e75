"""``flask --app tracker instruments load``: store the questionnaire files as versions."""

from pathlib import Path

import click
from flask.cli import AppGroup

from tracker.clock import utcnow
from tracker.db import db
from tracker.outcomes.catalogue import load_directory
from tracker.outcomes.definitions import INSTRUMENT_DIR, DefinitionError

instruments = AppGroup("instruments", help="Questionnaires (outcome measures).")


@instruments.command("load")
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=INSTRUMENT_DIR,
    show_default="the questionnaires shipped with the app",
    help="Load the *.yaml questionnaire files of this folder instead.",
)
def load_instruments(directory: Path) -> None:
    """Load the questionnaires; unchanged files change nothing, changed ones add a version."""
    try:
        results = load_directory(directory, now=utcnow())
    except DefinitionError as error:
        db.session.rollback()
        raise click.ClickException(f"Nothing loaded. {error}") from None
    if not results:
        raise click.ClickException(f"No questionnaire files (*.yaml) in {directory}.")
    db.session.commit()
    for instrument, created in results:
        state = "loaded as new version" if created else "unchanged"
        click.echo(f"{instrument.key}: v{instrument.version} {state}")
