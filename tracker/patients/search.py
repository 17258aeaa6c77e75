"""Patient search by any part of a name or MRN that stays fast at any clinic size.

PostgreSQL answers ``ILIKE '%word%'`` from a trigram index (``pg_trgm``, migration
``20261202_speed_indexes``). SQLite has no such index, but its full-text engine has one: FTS5's
trigram tokenizer. The table :data:`TABLE` indexes the patients' MRN, given and family names, kept
in step by triggers on ``patients`` (migration ``20261203_sqlite_search``). On SQLite a search
word of three or more characters first finds its candidates there; the ``LIKE`` conditions still
decide, so both databases answer alike. :func:`matching` is the condition every search by
patient uses (the patient list, the outbox).
"""

import weakref

import sqlalchemy as sa

from tracker.db import db
from tracker.patients.models import Patient

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


def matching(query: sa.Select, q: str | None) -> sa.Select:
    """``query`` narrowed to the patients whose name or MRN holds every word of ``q`` (any
    case; ``%`` and ``_`` are plain characters). ``query`` reads ``patients``: a list of them,
    or ``select(Patient.id)`` for an ``IN``.

    ``ILIKE`` on PostgreSQL, where a trigram index answers it; ``lower() LIKE`` on SQLite, where
    the words the trigram search table can look up narrow it first.
    """
    if q and q.strip():
        use_index = indexed()
        for term in q.strip().split():
            if use_index and len(term) >= MIN_CHARS:
                query = query.where(Patient.id.in_(candidates(term)))
            like = f"%{_escape_like(term)}%"
            query = query.where(
                sa.or_(
                    Patient.given_name.ilike(like, escape="\\"),
                    Patient.family_name.ilike(like, escape="\\"),
                    Patient.mrn.ilike(like, escape="\\"),
                )
            )
    return query


def _escape_like(term: str) -> str:
    """A search word matched literally: ``%`` and ``_`` are not wildcards to a person."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
