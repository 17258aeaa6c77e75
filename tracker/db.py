"""The database handle, the declarative base and shared column types."""

from datetime import UTC

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations stable across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class UTCDateTime(sa.types.TypeDecorator):
    """An instant stored as UTC; accepts only aware datetimes, returns aware UTC ones."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given for a UTC column")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: store the UTC wall clock.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def dialect_name() -> str:
    """The session's database: ``"postgresql"`` or ``"sqlite"``."""
    return db.session.get_bind().dialect.name


def constant(value):
    """``value`` written into the SQL rather than bound, for a condition a partial index is
    defined by (``Task.status == constant("open")``).

    SQLite uses a partial index on its own, without reading each row to check a bound value
    again, only when the query's condition reads as the index's: at 100,000 patients the count
    of overdue tasks took 12 ms with ``status = ?`` and 0.6 ms with ``status = 'open'``.
    PostgreSQL's generic plans of prepared statements can use the index only so, too. The
    statement is still compiled once and cached: SQLAlchemy writes the value in at execution.
    """
    return sa.literal(value, literal_execute=True)


def insert_or_skip(model, *unique_columns: str, dialect: str | None = None):
    """``INSERT … ON CONFLICT (unique_columns) DO NOTHING`` for the session's database (or the
    named one, for a statement built once and kept).

    With ``.returning(model)`` it gives the new row, or nothing when the key was taken.
    """
    module = postgresql if (dialect or dialect_name()) == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing(index_elements=list(unique_columns))


def configure_engine(config: dict) -> None:
    """Connection settings by database, before the engine is made (``create_app``).

    On PostgreSQL every connection starts with JIT compilation off (``POSTGRES_JIT`` turns it
    back on): the planner over-costs the dashboard's and the outcome queries' correlated
    subqueries on a large clinic and then spends most of a second compiling a query that runs
    in milliseconds. Web requests run short queries, for which JIT never pays.
    """
    if not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        return
    if config.get("POSTGRES_JIT"):
        return
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args["options"] = " ".join(filter(None, [connect_args.get("options"), "-c jit=off"]))
    options["connect_args"] = connect_args
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options
