"""Staff users, API tokens and pathway templates from the command line."""

import sqlalchemy as sa

from tracker.auth.models import ApiToken, StaffUser
from tracker.auth.services import user_by_email, user_for_token, verify_password
from tracker.db import db
from tracker.pathways.models import PathwayTemplate

from .conftest import NOW


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_users_create_asks_for_the_password_twice(runner):
    result = runner.invoke(
        args=["users", "create", "Dewi@Example.COM", "--role", "clinician", "--name", "dr. Dewi"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert "a long enough password" not in result.output  # hidden
    user = user_by_email("dewi@example.com")
    assert (user.email, user.name, user.role) == ("dewi@example.com", "dr. Dewi", "clinician")
    assert verify_password(user, "a long enough password")
    assert user.password_hash.startswith("$argon2id$")


def test_users_create_refuses_passwords_that_differ(runner):
    result = runner.invoke(
        args=["users", "create", "a@clinic.example.com", "--role", "admin", "--name", "A"],
        input="first password 1\nsecond password 2\n",
    )
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert count(StaffUser) == 0


def test_users_create_refuses_a_short_password_and_a_taken_email(runner, make_user):
    make_user("coordinator", email="cora@clinic.example.com")
    short = runner.invoke(
        args=["users", "create", "b@clinic.example.com", "--role", "admin", "--name", "B"],
        input="short\nshort\n",
    )
    assert short.exit_code == 1
    assert "at least 10 characters" in short.output
    taken = runner.invoke(
        args=["users", "create", "Cora@Clinic.Example.com", "--role", "admin", "--name", "C"],
        input="long password 12\nlong password 12\n",
    )
    assert taken.exit_code == 1
    assert "already exists" in taken.output
    assert count(StaffUser) == 1


def test_users_create_refuses_an_unknown_role(runner):
    result = runner.invoke(
        args=["users", "create", "c@clinic.example.com", "--role", "nurse", "--name", "C"],
        input="long password 12\nlong password 12\n",
    )
    assert result.exit_code == 2
    assert "nurse" in result.output
    assert count(StaffUser) == 0


def test_tokens_create_list_and_revoke(runner, coordinator):
    created = runner.invoke(args=["tokens", "create", coordinator.email, "--label", "lab"])
    assert created.exit_code == 0, created.output
    token = created.output.strip()
    assert token.startswith("trk_")
    assert user_for_token(token, now=NOW).id == coordinator.id
    row = db.session.scalar(sa.select(ApiToken))
    assert row.token_hash != token and token not in row.token_hash  # stored hashed

    listed = runner.invoke(args=["tokens", "list", coordinator.email])
    assert f"{token[:12]}…  active  lab" in listed.output

    revoked = runner.invoke(args=["tokens", "revoke", token[:12]])
    assert revoked.exit_code == 0, revoked.output
    db.session.expire_all()
    assert user_for_token(token, now=NOW) is None
    assert "revoked" in runner.invoke(args=["tokens", "list", coordinator.email]).output


def test_tokens_for_unknown_user_or_prefix_fail(runner):
    assert runner.invoke(args=["tokens", "create", "nobody@clinic.test"]).exit_code == 1
    result = runner.invoke(args=["tokens", "revoke", "trk_nothing"])
    assert result.exit_code == 1
    assert "No token starts with" in result.output
    assert count(ApiToken) == 0


def test_pathways_load_twice_changes_nothing(runner):
    first = runner.invoke(args=["pathways", "load"])
    assert first.exit_code == 0, first.output
    assert "teld: v1 loaded as new version" in first.output
    assert "interlaminar-decompression: v1 loaded as new version" in first.output
    second = runner.invoke(args=["pathways", "load"])
    assert second.exit_code == 0
    assert "teld: v1 unchanged" in second.output
    assert count(PathwayTemplate) == 2
