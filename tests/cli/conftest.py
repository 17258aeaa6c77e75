from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tracker import models
from tracker.db import db

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
TABLES = (
    models.StaffUser,
    models.Patient,
    models.PathwayTemplate,
    models.Journey,
    models.Task,
    models.Appointment,
    models.StageTransition,
    models.Note,
    models.AuditEvent,
)


@pytest.fixture
def row_counts(app):
    """Rows per table, to show that a command changed nothing."""

    def counts() -> dict[str, int]:
        db.session.expire_all()
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in TABLES
        }

    return counts


@pytest.fixture
def write_csv(tmp_path):
    def write(text: str, name: str = "patients.csv", encoding: str = "utf-8") -> str:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return str(path)

    return write
