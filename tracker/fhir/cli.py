"""``flask fhir export DIR``: the whole clinic as Bulk Data NDJSON; ``flask fhir work``."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from tracker.audit.services import record_read
from tracker.clock import utcnow
from tracker.db import db
from tracker.fhir import bulk, worker
from tracker.fhir.common import make_context, parse_since
from tracker.fhir.registry import RESOURCE_TYPES

fhir = AppGroup("fhir", help="FHIR R4 export.")


@fhir.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--since",
    help="Only resources changed at or after this instant (ISO 8601; no offset: clinic time).",
)
@click.option(
    "--type",
    "types",
    multiple=True,
    type=click.Choice(RESOURCE_TYPES),
    help="Only this resource type; repeat for several. Default: every type.",
)
def export(directory: Path, since: str | None, types: tuple[str, ...]) -> None:
    """Write <Type>.ndjson files (FHIR Bulk Data, one resource per line) into DIRECTORY."""
    try:
        since_at = parse_since(since) if since else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--since") from None
    chosen = list(dict.fromkeys(types)) or list(RESOURCE_TYPES)
    bulk.read_snapshot()
    total = bulk.count(chosen, since_at)

    with click.progressbar(
        length=total,
        label=f"Exporting {total:,} resources",
        item_show_func=lambda item: item,
        show_pos=True,
    ) as bar:
        results = bulk.write_ndjson(
            directory,
            make_context(),
            types=chosen,
            since=since_at,
            batch=int(current_app.config["FHIR_EXPORT_BATCH"]),
            progress=lambda resource_type, n, file_done=False: bar.update(n, resource_type),
        )
    db.session.rollback()  # end the read snapshot
    for result in results:
        where = result.path.name if result.path else "(nothing: no file)"
        click.echo(f"{result.resource_type:<18} {result.count:>10,}  {where}")
    record_read(
        "fhir.export",
        bulk.CommandLineExport(str(directory.resolve())),
        actor="command line",
        details={
            "via": "cli",
            "directory": str(directory.resolve()),
            "since": since_at,
            "counts": {r.resource_type: r.count for r in results},
        },
        now=utcnow(),
    )
    db.session.commit()


@fhir.command("work")
def work() -> None:
    """Run the waiting asynchronous exports ($export) once and exit (the scheduler does this)."""
    ran = worker.run_pending()
    click.echo(f"{ran} export(s) written.")
