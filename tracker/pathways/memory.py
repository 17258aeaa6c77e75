"""Parsed template definitions kept by each process: a version never changes once loaded.

A definition is a large JSON document (about 20 kB) that the portal reads on every request for
the journey's alert thresholds and wording; parsing it each time cost a third of a millisecond.
A query that loads a template can defer the column (``defer(PathwayTemplate.definition)``) and
hand the template to :func:`fill`, which gives it this process's parsed copy, keyed by the
version's checksum (sha256 of its content), reading it once when the process has none yet.
The copies are shared: nothing may change a definition in place (nothing does).
"""

import json

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from tracker.db import db
from tracker.pathways.models import PathwayTemplate

_BY_CHECKSUM: dict[str, dict] = {}


def remember(checksum: str, definition: dict) -> None:
    """Keep a definition as the database gives it back (a JSON round trip)."""
    _BY_CHECKSUM.setdefault(checksum, json.loads(json.dumps(definition)))


def fill(template: PathwayTemplate) -> PathwayTemplate:
    """Give ``template``, loaded without its definition, the parsed one."""
    if "definition" in template.__dict__:
        return template  # loaded with it after all (already in the session)
    known = _BY_CHECKSUM.get(template.checksum)
    if known is None:
        known = db.session.scalar(
            sa.select(PathwayTemplate.definition).where(PathwayTemplate.id == template.id)
        )
        _BY_CHECKSUM[template.checksum] = known
    set_committed_value(template, "definition", known)
    return template
