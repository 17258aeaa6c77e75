"""Store questionnaire definitions as versions, the way pathway templates are stored.

Loading an unchanged file does nothing; a changed file becomes the next version, which new
answers use, while answers already given keep pointing at the version they were given against.
"""

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from tracker.audit.services import record
from tracker.db import db
from tracker.outcomes.definitions import INSTRUMENT_DIR, read_directory, shipped
from tracker.outcomes.models import Instrument
from tracker.pathways.services import checksum


def load_definition(data: dict, *, now: datetime) -> tuple[Instrument, bool]:
    """Store ``data`` as a new version unless that exact content is already loaded."""
    digest = checksum(data)
    key = data["key"]
    existing = db.session.scalar(
        sa.select(Instrument).where(Instrument.key == key, Instrument.checksum == digest)
    )
    if existing is not None:
        return existing, False
    latest = db.session.scalar(
        sa.select(sa.func.max(Instrument.version)).where(Instrument.key == key)
    )
    instrument = Instrument(
        key=key,
        version=(latest or 0) + 1,
        name=data["name"]["en"],
        checksum=digest,
        definition=data,
        loaded_at=now,
    )
    db.session.add(instrument)
    record(
        "instrument.load", instrument, details={"key": key, "version": instrument.version}, now=now
    )
    return instrument, True


def load_directory(
    directory: Path = INSTRUMENT_DIR, *, now: datetime
) -> list[tuple[Instrument, bool]]:
    """Load every file of ``directory``; a single bad file loads nothing (DefinitionError)."""
    definitions = read_directory(directory)
    return [load_definition(data, now=now) for data in definitions.values()]


def latest(key: str) -> Instrument | None:
    return db.session.scalar(
        sa.select(Instrument)
        .where(Instrument.key == key)
        .order_by(Instrument.version.desc())
        .limit(1)
    )


def current(key: str, *, now: datetime) -> Instrument | None:
    """The newest version of ``key``; a shipped instrument not loaded yet is loaded now."""
    instrument = latest(key)
    if instrument is None and key in shipped():
        instrument, _ = load_definition(shipped()[key], now=now)
    return instrument


def definition(key: str) -> dict | None:
    """The newest stored definition of ``key``, else the shipped file's (for reading texts)."""
    instrument = latest(key)
    if instrument is not None:
        return instrument.definition
    return shipped().get(key)


def definitions(keys) -> dict[str, dict]:
    """The newest definitions of ``keys`` in one query (shipped files for those not loaded)."""
    keys = list(dict.fromkeys(keys))
    newest = (
        sa.select(Instrument.key, sa.func.max(Instrument.version).label("version"))
        .where(Instrument.key.in_(keys))
        .group_by(Instrument.key)
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(Instrument).join(
            newest, sa.and_(Instrument.key == newest.c.key, Instrument.version == newest.c.version)
        )
    )
    found = {row.key: row.definition for row in rows}
    return {
        key: found.get(key) or shipped()[key] for key in keys if key in found or key in shipped()
    }
