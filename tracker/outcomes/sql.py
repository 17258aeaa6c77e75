"""SQL pieces the outcome queries share, written once for SQLite and once for PostgreSQL.

The report must give the same numbers on both databases, so every value it aggregates is
exact in both: days are whole numbers, lengths of stay whole seconds, averages are of whole
numbers. Percentiles interpolate linearly between the two nearest ranks, which is PostgreSQL's
``percentile_cont``; SQLite has no such function, so there the ordered values of each group are
numbered with window functions (``ROW_NUMBER`` and ``COUNT`` over the group: one sort, memory
bounded by the database, no rows sent to Python) and the two ranks around each percentile are
picked out and interpolated with the same formula, ``lo + frac * (hi - lo)``.

Local dates of instants need the time zone database: PostgreSQL has ``timezone()``; on SQLite
the connection gets a deterministic ``tracker_local_date(instant, zone)`` function (Python's
zoneinfo) when a query needs it.
"""

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tracker.db import db

PERCENTILES = (0.25, 0.5, 0.75)


def dialect() -> str:
    return db.session.get_bind().dialect.name


@lru_cache(maxsize=64)
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _sqlite_local_date(value: str | None, name: str | None) -> str | None:
    if value is None or name is None:
        return None
    instant = datetime.fromisoformat(value)  # stored as naive UTC by tracker.db.UTCDateTime
    return instant.replace(tzinfo=UTC).astimezone(zone_info(name)).date().isoformat()


#: PostgreSQL memory per sort for the report's statements (its default, 4 MB, spills to disk)
REPORT_WORK_MEM = "64MB"


def prepare() -> None:
    """Ready this transaction for the outcome queries: on PostgreSQL more sort memory for it
    alone (``SET LOCAL``) and no JIT compilation (the planner cannot estimate the rows of the
    timepoint values, over-costs the query and then spends longer compiling it than running
    it: 0.3 s of a 1 s report at 20,000 journeys); on SQLite the functions the queries use."""
    if dialect() == "postgresql":
        db.session.execute(sa.text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
        db.session.execute(sa.text("SET LOCAL jit = off"))
    elif dialect() == "sqlite":
        raw = db.session.connection().connection.driver_connection
        raw.create_function("tracker_local_date", 2, _sqlite_local_date, deterministic=True)


def day_number(value) -> sa.ColumnElement:
    """A date as a whole number of days (only differences between two of them mean anything)."""
    if dialect() == "postgresql":
        return sa.cast(value, sa.Date) - sa.cast(sa.literal("2000-01-01"), sa.Date)
    return sa.cast(sa.func.julianday(value), sa.Integer)


def date_literal(day: date) -> sa.ColumnElement:
    return day_number(sa.literal(day.isoformat()))


def local_day_number(instant, zone) -> sa.ColumnElement:
    """The day number of ``instant``'s date on the wall calendar of time zone ``zone``."""
    if dialect() == "postgresql":
        return day_number(sa.cast(sa.func.timezone(zone, instant), sa.Date))
    return day_number(sa.func.tracker_local_date(instant, zone))


def epoch_seconds(instant) -> sa.ColumnElement:
    """Whole seconds since 1970 (fractions dropped on both databases alike)."""
    if dialect() == "postgresql":
        return sa.cast(sa.func.floor(sa.extract("epoch", instant)), sa.BigInteger)
    return sa.cast(sa.func.strftime("%s", instant), sa.Integer)


def literal_table(name: str, columns: list[tuple[str, sa.types.TypeEngine]], rows: list[tuple]):
    """A small constant table (schedules, thresholds) as a CTE, built from literal rows."""
    if not rows:
        empty = sa.select(*(sa.cast(sa.null(), kind).label(col) for col, kind in columns))
        return empty.where(sa.false()).cte(name)
    selects = [
        sa.select(
            *(
                sa.cast(sa.literal(value, kind) if value is not None else sa.null(), kind).label(
                    col
                )
                for (col, kind), value in zip(columns, row, strict=True)
            )
        )
        for row in rows
    ]
    query = selects[0] if len(selects) == 1 else sa.union_all(*selects)
    return query.cte(name)


def percentiles(values, group: list[str], value: str = "value", extra=None):
    """SELECT group columns, n, p25, p50, p75 of ``value`` per group of ``values``.

    ``extra(columns)`` may add aggregates over the group's rows (``columns``: the rows' columns,
    every column of ``values``), so one statement gives the quartiles and the counts.
    """
    keys = [values.c[name] for name in group]
    column = values.c[value]
    if dialect() == "postgresql":
        stats = [
            sa.func.percentile_cont(p).within_group(column).label(f"p{int(p * 100)}")
            for p in PERCENTILES
        ]
        more = extra(values.c) if extra else []
        return sa.select(*keys, sa.func.count(column).label("n"), *stats, *more).group_by(*keys)
    ranked = sa.select(
        *values.c,
        sa.func.row_number().over(partition_by=keys, order_by=column).label("rn"),
        sa.func.count(column).over(partition_by=keys).label("n"),
    ).cte(f"{values.name}_ranked")
    rn, n, v = ranked.c.rn, ranked.c.n, ranked.c[value]
    parts = []
    for p in PERCENTILES:
        position = 1 + p * (n - 1)  # exact: p is a quarter, n a whole number
        low = sa.cast(position, sa.Integer)
        at_low = sa.func.max(sa.case((rn == low, v)))
        at_high = sa.func.max(sa.case((rn == low + 1, v)))
        fraction = sa.func.max(position - low)
        parts.append(
            (at_low + fraction * (sa.func.coalesce(at_high, at_low) - at_low)).label(
                f"p{int(p * 100)}"
            )
        )
    group_cols = [ranked.c[name] for name in group]
    more = extra(ranked.c) if extra else []
    return sa.select(*group_cols, sa.func.max(n).label("n"), *parts, *more).group_by(*group_cols)
