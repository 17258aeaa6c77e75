"""Staff users, API tokens and pathway templates from the command line."""

import pytest
import sqlalchemy as sa

from tracker import cli
from tracker.auth.models import ApiToken, StaffUser
from tracker.auth.services import user_by_email, user_for_token, verify_password
from tracker.db import db
from tracker.pathways.models import PathwayTemplate

from .conftest import NOW


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def terminal(monkeypatch):
    """Standard input is a terminal: the password is asked for."""
    monkeypatch.setattr(cli, "interactive", lambda: True)


PASSWORD = "a long enough password"


def test_users_create_asks_for_the_password_twice(runner, terminal):
    result = runner.invoke(
        args=["users", "create", "Dewi@Example.COM", "--role", "clinician", "--name", "dr. Dewi"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output  # hidden
    user = user_by_email("dewi@example.com")
    assert (user.email, user.name, user.role) == ("dewi@example.com", "dr. Dewi", "clinician")
    assert verify_password(user, PASSWORD)
    assert user.password_hash.startswith("$argon2id$")


def test_users_create_reads_the_password_from_standard_input(runner):
    result = runner.invoke(
        args=["users", "create", "ops@clinic.example.com", "--role", "admin", "--name", "Ops"],
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    assert "two-factor" in result.output  # an admin sets it up at the first sign-in
    assert verify_password(user_by_email("ops@clinic.example.com"), PASSWORD)


def test_users_create_never_takes_the_password_on_the_command_line(runner):
    result = runner.invoke(
        args=["users", "create", "a@clinic.example.com", "--role", "admin", "--name", "A"]
        + ["--password", PASSWORD],
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 2
    assert "No such option '--password'" in result.output
    assert count(StaffUser) == 0


def test_users_create_refuses_passwords_that_differ(runner, terminal):
    result = runner.invoke(
        args=["users", "create", "a@clinic.example.com", "--role", "admin", "--name", "A"],
        input="first password 1\nsecond password 2\n",
    )
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert count(StaffUser) == 0


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 12 characters"),
        ("1234567890", "at least 12 characters"),
        ("            ", "too easy to guess"),
        ("123456789012", "too easy to guess"),
        ("Password1234", "too easy to guess"),
        ("qwertyuiop12", "too easy to guess"),
        ("bayu.firmansyah", "name or email"),
    ],
)
def test_users_create_refuses_weak_passwords_with_the_reason(runner, password, reason):
    result = runner.invoke(
        args=["users", "create", "bayu.firmansyah@clinic.example.com", "--role", "admin"]
        + ["--name", "Bayu Firmansyah"],
        input=f"{password}\n",
    )
    assert result.exit_code == 1
    assert reason in result.output
    assert count(StaffUser) == 0


def test_users_create_refuses_a_taken_email(runner, make_user):
    make_user("coordinator", email="cora@clinic.example.com")
    taken = runner.invoke(
        args=["users", "create", "Cora@Clinic.Example.com", "--role", "admin", "--name", "C"],
        input=f"{PASSWORD}\n",
    )
    assert taken.exit_code == 1
    assert "already exists" in taken.output
    assert count(StaffUser) == 1


def test_users_reset_two_factor(runner, make_user):
    admin = make_user("admin")
    version = admin.session_version
    result = runner.invoke(args=["users", "reset-two-factor", admin.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert admin.totp_secret is None and not admin.has_two_factor
    assert admin.session_version == version + 1


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


def test_users_create_with_a_language(runner, terminal):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "sari@example.com",
            "--role",
            "coordinator",
            "--name",
            "Sari",
            "--language",
            "id",
        ],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert user_by_email("sari@example.com").language == "id"


def test_users_create_speaks_english_by_default_and_refuses_other_languages(runner, terminal):
    args = ["users", "create", "budi@example.com", "--role", "clinician", "--name", "Budi"]
    refused = runner.invoke(args=[*args, "--language", "fr"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert refused.exit_code != 0 and user_by_email("budi@example.com") is None
    result = runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert user_by_email("budi@example.com").language == "en"
