"""Command-line tools: ``flask --app tracker <group> <command>``."""

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.auth.models import ROLES
from tracker.auth.services import create_token, revoke_token, token_by_prefix, user_by_email
from tracker.auth.services import create_user as create_staff_user
from tracker.db import db, utcnow
from tracker.errors import DomainError
from tracker.pathways.services import TemplateError, load_directory

users = AppGroup("users", help="Staff users.")
tokens = AppGroup("tokens", help="API tokens.")
pathways = AppGroup("pathways", help="Pathway templates.")


def init_app(app: Flask) -> None:
    for group in (users, tokens, pathways):
        app.cli.add_command(group)


def fail(error: DomainError) -> None:
    db.session.rollback()
    details = "; ".join(f"{f}: {' '.join(m)}" for f, m in error.errors.items())
    raise click.ClickException(f"{error.message} {details}".strip())


@users.command("create")
@click.argument("email")
@click.option("--name", prompt="Full name", help="The person's name as shown to colleagues.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.password_option(help="Asked for twice, hidden, when not given.")
def create_user(email: str, name: str, role: str, password: str) -> None:
    """Add a staff user."""
    try:
        user = create_staff_user(email, name, role, password, now=utcnow())
    except DomainError as error:
        fail(error)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")


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
def load_pathways() -> None:
    """Load the pathway templates shipped with the app; unchanged files change nothing."""
    try:
        results = load_directory(now=utcnow())
    except TemplateError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    for template, created in results:
        state = "loaded as new version" if created else "unchanged"
        click.echo(f"{template.slug}: v{template.version} {state}")
