"""How one table's rows become FHIR resources of one type: the contract of a mapping module.

Every module in ``tracker/fhir/resources/`` defines one :class:`Mapping` named ``MAPPING``, and
``tracker/fhir/registry.py`` lists them. The bundle builder, the single-resource read, the bulk
export and the CapabilityStatement all work from that list and know no resource type by name.
"""

import re
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tracker.db import db
from tracker.fhir.common import Context

_PLAIN_ID = re.compile(r"^[1-9][0-9]{0,17}$")


def no_extras(rows: list) -> dict:
    return {}


@dataclass(frozen=True)
class Mapping:
    resource_type: str
    #: the model whose rows become resources
    model: type
    #: ``(row, ctx, extras) -> [resource, …]``: one row may give several resources
    to_resources: Callable[[Any, Context, dict], list[dict]]
    #: SQL condition for rows changed at or after an instant (``_since``, ``--since``)
    changed_since: Callable[[datetime], sa.ColumnElement[bool]]
    #: SQL condition for one patient's rows; None: not in the patient compartment (such
    #: resources join a patient's bundle only when something in it refers to them)
    of_patient: Callable[[int], sa.ColumnElement[bool]] | None = None
    #: conditions every query adds (e.g. only reminders that were sent)
    where: tuple = ()
    #: eager loads, so a batch of rows costs a fixed number of queries
    options: tuple = ()
    #: ``rows -> extras``: data the rows of one batch share, loaded in one query
    extras: Callable[[list], dict] = no_extras
    #: a prefix of the resource id, where several modules emit the same resource type
    id_prefix: str = ""
    #: the row id a resource id names, for ids that are not ``<prefix><row id>``
    parse_id: Callable[[str], int | None] | None = None
    #: resources per row, for progress bars
    per_row: int = 1
    #: what the CapabilityStatement says about the resource type
    description: str = ""
    #: bulk exports read plain rows of the table's columns, not ORM objects (much cheaper);
    #: only for a ``to_resources`` that reads nothing but columns (no relationship, property)
    plain_rows: bool = False

    def row_id(self, fhir_id: str) -> int | None:
        if self.parse_id is not None:
            return self.parse_id(fhir_id)
        if not fhir_id.startswith(self.id_prefix):
            return None
        rest = fhir_id[len(self.id_prefix) :]
        return int(rest) if _PLAIN_ID.match(rest) else None

    def query(self, since: datetime | None = None) -> sa.Select:
        stmt = sa.select(self.model).where(*self.where).options(*self.options)
        if since is not None:
            stmt = stmt.where(self.changed_since(since))
        return stmt

    def count(self, since: datetime | None = None) -> int:
        stmt = sa.select(sa.func.count()).select_from(self.model).where(*self.where)
        if since is not None:
            stmt = stmt.where(self.changed_since(since))
        return db.session.scalar(stmt) * self.per_row

    def convert(self, rows: list, ctx: Context) -> Iterator[dict]:
        extras = self.extras(rows) if rows else {}
        for row in rows:
            yield from self.to_resources(row, ctx, extras)

    def for_patient(self, patient_id: int, ctx: Context) -> list[dict]:
        if self.of_patient is None:
            return []
        stmt = self.query().where(self.of_patient(patient_id)).order_by(self.model.id)
        return list(self.convert(list(db.session.scalars(stmt).unique()), ctx))

    def by_row_ids(self, ids: Iterable[int], ctx: Context) -> list[dict]:
        ids = sorted(set(ids))
        if not ids:
            return []
        stmt = self.query().where(self.model.id.in_(ids)).order_by(self.model.id)
        return list(self.convert(list(db.session.scalars(stmt).unique()), ctx))

    def read(self, fhir_id: str, ctx: Context) -> tuple[Any, dict] | None:
        """The row and resource with this id, or None."""
        row_id = self.row_id(fhir_id)
        if row_id is None:
            return None
        row = db.session.scalars(self.query().where(self.model.id == row_id)).unique().first()
        if row is None:
            return None
        for body in self.convert([row], ctx):
            if body["id"] == fhir_id:
                return row, body
        return None

    def stream(self, ctx: Context, *, since: datetime | None, batch: int) -> Iterator[dict]:
        """Every resource of this mapping, a batch of rows at a time, in constant memory.

        ``yield_per`` streams rows (a server-side cursor on PostgreSQL) and the eager loads run
        once per batch; nothing keeps a finished batch alive, so memory stays flat. With
        ``plain_rows`` the rows are named tuples of the columns, not ORM objects.
        """
        if not self.plain_rows:
            stmt = self.query(since).order_by(self.model.id).execution_options(yield_per=batch)
            for rows in db.session.scalars(stmt).partitions():
                yield from self.convert(list(rows), ctx)
            return
        columns = self.model.__table__.columns
        # A named tuple reads its fields far faster than a result row does.
        plain = namedtuple(f"{self.model.__name__}Row", [c.key for c in columns])
        stmt = sa.select(*columns).where(*self.where)
        if since is not None:
            stmt = stmt.where(self.changed_since(since))
        stmt = stmt.order_by(self.model.id).execution_options(yield_per=batch)
        for rows in db.session.execute(stmt).partitions():
            yield from self.convert(list(map(plain._make, rows)), ctx)
