"""Patient search by any part of a name or MRN that stays fast at any clinic size.

PostgreSQL answers ``ILIKE '%word%'`` from a trigram index (``pg_trgm``, migration
``20261202_speed_indexes``). SQLite has no such index, but its full-text engine has one: FTS5's
trigram tokenizer. The table :data:`TABLE` indexes the patients' MRN, given and family names, kept
in step by triggers on ``patients`` (migration ``20261203_sqlite_search``). On SQLite a search
word of three or more characters first finds its candidates there; the ``LIKE`` conditions still
decide, so both databases answer alike.
"""

import weakref

import sqlalchemy as sa

from tracker.db import db

TABLE = "patients_search"
#: the fewest characters the trigram index can look up (shorter words read every patient)
MIN_CHARS = 3

_indexed: "weakref.WeakKeyDictionary[sa.Engine, bool]" = weakref.WeakKeyDictionary()


def is_index_table(name: str) -> bool:
    """Whether ``name`` is the search table or one of the shadow tables FTS5 keeps for it
    (not in the models: Alembic's comparison leaves them out)."""
    return name == TABLE or name.startswith(f"{TABLE}_")


def indexed() -> bool:
    """Whether this database has the trigram search table (SQLite with FTS5, migrated).

    Looked up once per engine."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return False
    if engine not in _indexed:
        with engine.connect() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
                {"name": TABLE},
            ).first()
        _indexed[engine] = found is not None
    return _indexed[engine]


def candidates(word: str) -> sa.Select:
    """The ids of the patients whose MRN or a name contains ``word`` (any case), from the
    trigram index; ``word`` has at least :data:`MIN_CHARS` characters."""
    phrase = '"' + word.replace('"', '""') + '"'  # the word as a literal string, not a query
    return (
        sa.select(sa.literal_column("rowid"))
        .select_from(sa.table(TABLE))
        .where(sa.literal_column(TABLE).op("MATCH")(phrase))
    )
