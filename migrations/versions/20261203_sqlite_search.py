"""patient search on SQLite: a trigram full-text index (FTS5) of MRNs and names, kept by triggers

PostgreSQL's trigram index came in 20261202_speed_indexes; this is SQLite's: without it a search
reads every patient. The table is not a model (see tracker/patients/search.py); a SQLite built
without FTS5 gets nothing here and searches as before.

Revision ID: 20261203_sqlite_search
Revises: 20261203_open_tasks_index
Create Date: 2026-12-03 13:10:00

"""

import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "20261203_sqlite_search"
down_revision = "20261203_open_tasks_index"
branch_labels = None
depends_on = None

COLUMNS = "mrn, given_name, family_name"
OLD = "old.mrn, old.given_name, old.family_name"
NEW = "new.mrn, new.given_name, new.family_name"
TRIGGERS = ("patients_search_insert", "patients_search_delete", "patients_search_update")


def _has_fts5(bind) -> bool:
    options = bind.exec_driver_sql("PRAGMA compile_options").scalars().all()
    return "ENABLE_FTS5" in options


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if not _has_fts5(bind):
        logging.getLogger("alembic").warning(
            "This SQLite has no FTS5: patient search reads every patient."
        )
        return
    op.execute(
        f"CREATE VIRTUAL TABLE patients_search USING fts5({COLUMNS}, "
        "content='patients', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER patients_search_insert AFTER INSERT ON patients BEGIN "
        f"INSERT INTO patients_search(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END"
    )
    op.execute(
        "CREATE TRIGGER patients_search_delete AFTER DELETE ON patients BEGIN "
        f"INSERT INTO patients_search(patients_search, rowid, {COLUMNS}) "
        f"VALUES ('delete', old.id, {OLD}); END"
    )
    op.execute(
        "CREATE TRIGGER patients_search_update AFTER UPDATE OF mrn, given_name, family_name "
        "ON patients BEGIN "
        f"INSERT INTO patients_search(patients_search, rowid, {COLUMNS}) "
        f"VALUES ('delete', old.id, {OLD}); "
        f"INSERT INTO patients_search(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END"
    )
    op.execute("INSERT INTO patients_search(patients_search) VALUES ('rebuild')")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS patients_search")
