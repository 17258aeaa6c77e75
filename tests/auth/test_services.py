from datetime import UTC, datetime, timedelta

import pytest

from tracker.auth import services
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_create_user_hashes_with_argon2id_and_lowercases(app):
    user = services.create_user("Nurse@Clinic.Example.COM", "Nia", "coordinator", "long enough pw")
    db.session.commit()
    assert user.email == "nurse@clinic.example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert services.authenticate("NURSE@clinic.example.com", "long enough pw") == user
    assert services.authenticate("nurse@clinic.example.com", "wrong password") is None


def test_email_is_unique_case_insensitively(app, make_user):
    make_user(email="a@clinic.example.com")
    with pytest.raises(Conflict):
        services.create_user("A@Clinic.Example.Com", "A", "clinician", "long enough pw")


def test_bad_role_and_short_password(app):
    with pytest.raises(ValidationFailed) as info:
        services.create_user("x@clinic.example.com", "X", "janitor", "long enough pw")
    assert "role" in info.value.errors
    with pytest.raises(ValidationFailed) as info:
        services.create_user("x@clinic.example.com", "X", "clinician", "short")
    assert "password" in info.value.errors


def test_inactive_user_cannot_sign_in(app, make_user):
    user = make_user(active=False)
    assert services.authenticate(user.email, "correct horse battery") is None


def test_last_admin_is_kept(app, make_user):
    admin = make_user("admin")
    with pytest.raises(Conflict):
        services.update_user(admin, actor=admin, active=False)
    make_user("admin")
    services.update_user(admin, actor=admin, active=False)
    assert admin.active is False


def test_tokens_are_hashed_and_revocable(app, coordinator):
    token, row = services.create_token(coordinator, "laptop", now=NOW)
    db.session.commit()
    assert token not in row.token_hash and len(row.token_hash) == 64
    assert services.user_for_token(token, now=NOW) == coordinator
    assert services.user_for_token(token + "x", now=NOW) is None
    services.revoke_token(row, now=NOW + timedelta(minutes=1))
    assert services.user_for_token(token, now=NOW) is None


def test_token_of_deactivated_user_stops_working(app, coordinator):
    token, _ = services.create_token(coordinator, now=NOW)
    coordinator.active = False
    assert services.user_for_token(token, now=NOW) is None


def test_password_change_ends_other_sessions(app, coordinator):
    version = coordinator.session_version
    with pytest.raises(ValidationFailed):
        services.change_password(coordinator, "wrong", "a brand new password", now=NOW)
    services.change_password(coordinator, "correct horse battery", "a brand new password", now=NOW)
    assert coordinator.session_version == version + 1
    assert services.authenticate(coordinator.email, "a brand new password") == coordinator
