"""Command-line tools: ``flask --app tracker <group> <command>``."""

import os
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from tracker.auth import two_factor
from tracker.auth.models import LANGUAGES, ROLES
from tracker.auth.services import create_token, revoke_token, token_by_prefix, user_by_email
from tracker.auth.services import create_user as create_staff_user
from tracker.clock import utcnow
from tracker.db import db
from tracker.demo import DEMO_PASSWORD, DEMO_SIGN_IN, DEMO_SIGN_IN_ID, Demo, pending_steps
from tracker.errors import DomainError
from tracker.fhir.cli import fhir
from tracker.outcomes.cli import instruments
from tracker.pathways.services import DATA_DIR, TemplateError, load_directory
from tracker.patients.importer import ImportFileError, import_rows, iter_lines, read_csv
from tracker.scale import ScaleError, build_clinic, settle

users = AppGroup("users", help="Staff users.")
tokens = AppGroup("tokens", help="API tokens.")
pathways = AppGroup("pathways", help="Pathway templates.")
patients = AppGroup("patients", help="Patients.")


def init_app(app: Flask) -> None:
    for group in (users, tokens, pathways, patients, instruments, fhir):
        app.cli.add_command(group)
    app.cli.add_command(demo)


def fail(error: DomainError) -> None:
    db.session.rollback()
    details = "; ".join(
        f"{field}: {' '.join(messages)}"
        for field, messages in error.errors.items()
        if messages != [error.message]
    )
    raise click.ClickException(f"{error.message} {details}".strip())


@users.command("create")
@click.argument("email")
@click.option("--name", prompt="Full name", help="The person's name as shown to colleagues.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default="en",
    show_default=True,
    help="The language of their pages: en (English) or id (Indonesian).",
)
def create_user(email: str, name: str, role: str, language: str) -> None:
    """Add a staff user. The password is asked for (twice, hidden), or read from the first
    line of standard input when that is not a terminal; never from the command line, where
    the process list would show it."""
    password = read_password()
    try:
        user = create_staff_user(email, name, role, password, language=language, now=utcnow())
    except DomainError as error:
        fail(error)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")
    if user.role == "admin":
        click.echo("They set up two-factor sign-in (an authenticator app) at their first sign-in.")


def interactive() -> bool:
    return sys.stdin.isatty()


def read_password() -> str:
    if interactive():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.ClickException("Give the password on the first line of standard input.")
    return line


@users.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email: str) -> None:
    """Remove a user's authenticator and recovery codes (e.g. the only admin lost their phone);
    they set up a new one at their next sign-in."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No staff user {email}.")
    two_factor.disable(user, actor=_CommandLine(), now=utcnow())
    db.session.commit()
    click.echo(f"Two-factor sign-in of {user.email} was reset; they set it up at next sign-in.")


class _CommandLine:
    """The actor of a command-line change, for the audit trail."""

    id = None
    name = "command line"


@tokens.command("create")
@click.argument("email")
@click.option("--label", default="", help="What the token is for.")
def create_api_token(email: str, label: str) -> None:
    """Print a new API token for a staff user (shown once)."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No staff user {email}.")
    try:
        token, _ = create_token(user, label, now=utcnow())
    except DomainError as error:
        fail(error)
    db.session.commit()
    click.echo(token)


@tokens.command("revoke")
@click.argument("prefix")
def revoke_api_token(prefix: str) -> None:
    """Revoke the token that starts with PREFIX (its first 12 characters)."""
    try:
        row = token_by_prefix(prefix[:12])
    except DomainError as error:
        fail(error)
    revoke_token(row, now=utcnow())
    db.session.commit()
    click.echo(f"Revoked {row.prefix}… of {row.user.email}.")


@tokens.command("list")
@click.argument("email")
def list_api_tokens(email: str) -> None:
    """List a staff user's tokens."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No staff user {email}.")
    for row in user.tokens:
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        click.echo(f"{row.prefix}…  {state}  {row.label}")


@pathways.command("load")
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=DATA_DIR,
    show_default="the templates shipped with the app",
    help="Load the *.yaml pathway files of this folder instead.",
)
def load_pathways(directory: Path) -> None:
    """Load the pathway templates; unchanged files change nothing, changed ones add a version."""
    try:
        results = load_directory(directory, now=utcnow())
    except TemplateError as error:
        db.session.rollback()
        raise click.ClickException(f"Nothing loaded. {error}") from None
    if not results:
        raise click.ClickException(f"No pathway files (*.yaml) in {directory}.")
    db.session.commit()
    for template, created in results:
        state = "loaded as new version" if created else "unchanged"
        click.echo(f"{template.slug}: v{template.version} {state}")


@click.command("demo")
@click.option(
    "--patients",
    type=click.IntRange(min=1),
    help="Also generate a clinic of this many patients (bulk; for speed and load tests).",
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="The same seed, the same clinic."
)
@click.option(
    "--years",
    type=click.FloatRange(min=0.05, max=30),
    default=5.0,
    show_default=True,
    help="How many years of history the generated patients spread over.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Processes that make the rows (default: the CPU count, at most 4).",
)
def demo(patients: int | None, seed: int, years: float, workers: int | None) -> None:
    """Load a demo clinic: staff and about 40 patients at every stage; reruns change nothing."""
    if os.environ.get("TRACKER_CONFIG") == "production":
        raise click.ClickException("The demo clinic is not for a production database.")
    context = Demo(now=utcnow())
    steps = pending_steps(context)
    if not steps:
        click.echo("The demo clinic is already loaded; nothing changed.")
    else:
        total = sum(step.size(context) for step in steps)
        try:
            with click.progressbar(length=total, label="Loading the demo clinic") as bar:
                for step in steps:
                    for _ in step.run(context):
                        bar.update(1)
        except DomainError as error:
            fail(error)
        db.session.commit()
        click.echo(f"Loaded {', '.join(step.name for step in steps)}.")
    if patients:
        _generate(patients, seed=seed, years=years, workers=workers)
    click.echo(f"Demo sign-in: {DEMO_SIGN_IN} / {DEMO_PASSWORD} (every demo account uses it).")
    click.echo(f"In Indonesian: {DEMO_SIGN_IN_ID} (a coordinator whose pages are in Indonesian).")


def _generate(patients: int, *, seed: int, years: float, workers: int | None) -> None:
    try:
        with click.progressbar(length=patients, label=f"Generating {patients} patients") as bar:
            summary = build_clinic(
                patients, seed=seed, years=years, now=utcnow(), workers=workers, progress=bar.update
            )
    except ScaleError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    settle()
    rows = ", ".join(f"{n} {table}" for table, n in sorted(summary.rows.items()))
    click.echo(
        f"Generated {patients} patients (seed {seed}): {rows}; "
        f"{summary.sheets_issued} discharge sheets issued, {summary.drafts} drafts."
    )


@patients.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--by", "by_email", help="Email of the staff user the audit trail names.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; import nothing.")
@click.pass_context
def import_patients(ctx: click.Context, file, by_email: str | None, dry_run: bool) -> None:
    """Import patients from a CSV export with a header row (columns: see README).

    Every bad row is reported by line number and left out entirely; the good rows are imported.
    Exits with status 1 when any row was refused.
    """
    actor = "command-line import"
    if by_email:
        actor = user_by_email(by_email)
        if actor is None:
            raise click.ClickException(f"No staff user {by_email}.")
    try:
        rows, ignored = read_csv(file.read())
    except ImportFileError as error:
        raise click.ClickException(f"{file.name}: {error} Nothing was imported.") from None
    if ignored:
        click.echo(f"Ignoring unknown column(s): {', '.join(ignored)}.", err=True)
    try:
        with click.progressbar(rows, label=f"Importing {len(rows)} row(s)") as bar:
            report = import_rows(
                bar,
                actor=actor,
                now=utcnow(),
                default_timezone=current_app.config["CLINIC_TIMEZONE"],
            )
            db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise click.ClickException(
            "Someone added a patient with one of these MRNs during the import. "
            "Nothing was imported; run the import again."
        ) from None
    lines = list(iter_lines(report))
    for line in lines[:-1]:
        click.echo(line, err=True)
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run, nothing saved. {lines[-1]}")
    else:
        db.session.commit()
        click.echo(lines[-1])
    if report.errors:
        ctx.exit(1)
