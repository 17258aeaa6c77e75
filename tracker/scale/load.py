"""Write generated rows fast: PostgreSQL ``COPY``, SQLite ``executemany``, in worker processes.

Rows are made in chunks of patients by worker processes (plain Python, no database), already
turned into what the database takes: ``COPY`` text for PostgreSQL, tuples for SQLite. The
command's own process only streams them into its one transaction, so making and writing
overlap. Columns a generated row leaves out get their column's default: a column another
feature adds later needs no change here unless it has no default.
"""

import gc
import json
import multiprocessing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import Babel

from tracker.db import UTCDateTime, db
from tracker.scale.context import TABLES, Context, JsonText, Rows
from tracker.scale.stories import generate_patient

CHUNK = 500


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # utc, date, json, bool or plain
    default: Any


def columns(table: sa.Table) -> list[Column]:
    out = []
    for column in table.columns:
        if isinstance(column.type, UTCDateTime):
            kind = "utc"
        elif isinstance(column.type, sa.JSON):
            kind = "json"
        elif isinstance(column.type, sa.Boolean):
            kind = "bool"
        elif isinstance(column.type, sa.Date):
            kind = "date"
        else:
            kind = "plain"
        default = None
        if column.default is not None and column.default.is_scalar:
            default = column.default.arg
        elif column.default is not None and column.default.is_callable and kind == "json":
            default = column.default.arg(None)  # dict / list
        out.append(Column(column.name, kind, default))
    return out


# Each table gets a formatter compiled from its columns: one expression per column and no call
# per value beyond the conversion itself. This is the hot loop (about 120 rows per patient).
_CONVERSIONS = {
    "postgresql": {
        # Generated instants are UTC already (``at_local`` returns UTC): no conversion needed.
        "utc": "(_iso.get({v}) or _iso_of({v}))",
        "date": "{v}.isoformat()",
        "json": "_copy_text({v} if {v}.__class__ is JsonText else _dumps({v}))",
        "bool": "('t' if {v} else 'f')",
        # Most texts have nothing to escape: two quick scans instead of a copy.
        "plain": "(({v} if {v}.isprintable() and '\\\\' not in {v} else {v}.translate(_esc))"
        " if {v}.__class__ is str else str({v}))",
    },
    "sqlite": {
        # What SQLAlchemy stores on SQLite: naive UTC text, ISO dates, JSON text, 0 or 1.
        "utc": "{v}.strftime('%Y-%m-%d %H:%M:%S.%f')",
        "date": "{v}.isoformat()",
        "json": "({v} if {v}.__class__ is JsonText else _dumps({v}))",
        "bool": "int(bool({v}))",
        "plain": "{v}",
    },
}
#: COPY text format: backslash, tab, newline and carriage return are escaped
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = {"postgresql": repr("\\N"), "sqlite": "None"}
#: instants as COPY text, remembered: a reminder's due, next attempt and rule time often agree
_ISO: dict[datetime, str] = {}


def _iso_of(value: datetime) -> str:
    if len(_ISO) > 500_000:
        _ISO.clear()
    text = _ISO[value] = value.isoformat(" ")
    return text


def _copy_text(text: str) -> str:
    return text if text.isprintable() and "\\" not in text else text.translate(_ESCAPES)


def formatter(cols: list[Column], dialect: str) -> Callable[[dict], Any]:
    """A function from a row dict to a COPY text line (PostgreSQL) or a tuple (SQLite)."""
    target = "postgresql" if dialect == "postgresql" else "sqlite"
    parts = []
    for n, col in enumerate(cols):
        convert = _CONVERSIONS[target][col.kind].format(v=f"v{n}")
        value = f"(v{n} := g({col.name!r}, D[{n}]))"
        parts.append(f"({_NULL[target]} if {value} is None else {convert})")
    values = ", ".join(parts)
    result = f"'\\t'.join(({values},))" if target == "postgresql" else f"({values},)"
    source = f"def fmt(r):\n    g = r.get\n    return {result}\n"
    scope = {
        "_dumps": json.dumps,
        "_esc": _ESCAPES,
        "_iso": _ISO,
        "_iso_of": _iso_of,
        "_copy_text": _copy_text,
        "JsonText": JsonText,
        "D": tuple(c.default for c in cols),
    }
    exec(compile(source, "<tracker.scale.load formatter>", "exec"), scope)  # noqa: S102
    return scope["fmt"]


# ---- making chunks (in worker processes) -----------------------------------------------------

_worker: dict = {}


def init_worker(app_config: dict | None, ctx: Context, dialect: str) -> None:
    """Each worker process gets an app context: planning reads ``QUIET_HOURS`` and the zone;
    alert summaries are worded through Flask-Babel.

    Without ``app_config`` (chunks made in the command's own process) the app is already there.
    """
    if app_config is not None:
        app = Flask("tracker.scale")
        app.config.update(app_config)
        Babel(app)  # alert summaries are worded through it (in English, as stored)
        app.app_context().push()
    _worker.update(
        ctx=ctx,
        dialect=dialect,
        formatters={name: formatter(columns(db.metadata.tables[name]), dialect) for name in TABLES},
    )


@dataclass
class Chunk:
    payloads: dict[str, Any]
    counts: dict[str, int]
    sheets: list[tuple[int, str, datetime]]
    patients: int


def make_chunk(bounds: tuple[int, int]) -> Chunk:
    ctx, dialect, formatters = _worker["ctx"], _worker["dialect"], _worker["formatters"]
    rows = Rows()
    # Millions of small acyclic dicts: the cycle collector would only slow the making down.
    gc.disable()
    try:
        for index in range(*bounds):
            generate_patient(ctx, index, rows)
    finally:
        gc.enable()
    payloads = {}
    for table, items in rows.tables.items():
        lines = list(map(formatters[table], items))
        payloads[table] = ("\n".join(lines) + "\n").encode() if dialect == "postgresql" else lines
    counts = {table: len(items) for table, items in rows.tables.items()}
    return Chunk(payloads, counts, rows.sheets, bounds[1] - bounds[0])


def chunks(ctx: Context, workers: int, app_config: dict, dialect: str) -> Iterator[Chunk]:
    bounds = [(a, min(a + CHUNK, ctx.patients)) for a in range(0, ctx.patients, CHUNK)]
    if workers <= 1:
        init_worker(None, ctx, dialect)
        for bound in bounds:
            yield make_chunk(bound)
        return
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(workers, init_worker, (app_config, ctx, dialect)) as pool:
        yield from pool.imap_unordered(make_chunk, bounds)


# ---- writing (in the command's process, inside its transaction) ------------------------------


def insert_order() -> list[str]:
    """Generated tables, parents before children (foreign keys are checked row by row)."""
    return [t.name for t in db.metadata.sorted_tables if t.name in TABLES]


def writer(connection: sa.Connection) -> Callable[[Chunk], None]:
    dialect = connection.dialect.name
    order = insert_order()
    statements = {}
    for name in order:
        names = ", ".join(c.name for c in columns(db.metadata.tables[name]))
        if dialect == "postgresql":
            statements[name] = f"COPY {name} ({names}) FROM STDIN"
        else:
            marks = ", ".join("?" for _ in db.metadata.tables[name].columns)
            statements[name] = f"INSERT INTO {name} ({names}) VALUES ({marks})"

    def write(chunk: Chunk) -> None:
        raw = connection.connection.driver_connection
        cursor = raw.cursor()
        try:
            for name in order:
                if name not in chunk.payloads:
                    continue
                if dialect == "postgresql":
                    with cursor.copy(statements[name]) as copy:
                        copy.write(chunk.payloads[name])
                else:
                    cursor.executemany(statements[name], chunk.payloads[name])
        finally:
            cursor.close()

    return write


def skip_foreign_key_checks(connection: sa.Connection) -> bool:
    """Spare PostgreSQL the row-by-row foreign-key checks while loading, where allowed.

    Checking each generated row's references costs as much as storing it; the generator makes
    them right by construction (the tests check every reference of a generated clinic). Only a
    superuser (or a role granted ``SET`` on ``session_replication_role``) may do this, as
    ``pg_restore --disable-triggers`` does; anyone else loads with the checks on. It holds for
    this transaction only.
    """
    if connection.dialect.name != "postgresql":
        return False
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except sa.exc.DBAPIError:
        return False
    return True


def check_foreign_keys_again(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL session_replication_role = DEFAULT")


def move_sequences(connection: sa.Connection) -> None:
    """PostgreSQL sequences past the ids the generator chose (SQLite takes max(id) + 1)."""
    if connection.dialect.name != "postgresql":
        return
    for name in TABLES:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {name}))"
        )


def id_bases(connection: sa.Connection) -> dict[str, int]:
    bases = {}
    for name in TABLES:
        top = connection.execute(sa.select(sa.func.max(db.metadata.tables[name].c.id))).scalar()
        bases[name] = (top or 0) + 1
    return bases
