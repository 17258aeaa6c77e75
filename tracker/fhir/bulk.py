"""Write FHIR Bulk Data NDJSON files: one file per resource type, one resource per line.

Rows stream from the database a batch at a time (see ``Mapping.stream``) and each resource is
written as soon as it is made, so memory stays flat however large the clinic. On PostgreSQL the
whole export reads one REPEATABLE READ snapshot, so the files agree with each other.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tracker.db import db
from tracker.fhir.common import Context
from tracker.fhir.registry import mappings_of

#: how often (in resources) the progress callback hears from the writer
REPORT_EVERY = 1000
#: one encoder for every line: compact, and without the circular-reference check (resources
#: are trees) that ``json.dumps`` pays for on every call
ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


@dataclass(frozen=True)
class FileWritten:
    resource_type: str
    path: Path | None  # None: nothing to write, no file
    count: int


def read_snapshot() -> None:
    """Make the current transaction one consistent snapshot (PostgreSQL; SQLite already is)."""
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def count(types: list[str], since: datetime | None) -> int:
    """How many resources an export of ``types`` will write (for a progress bar)."""
    return sum(m.count(since) for t in types for m in mappings_of(t))


def write_ndjson(
    directory: Path,
    ctx: Context,
    *,
    types: list[str],
    since: datetime | None = None,
    batch: int = 1000,
    progress: Callable[..., None] = lambda resource_type, written, file_done=False: None,
) -> list[FileWritten]:
    """Write ``<Type>.ndjson`` for each type into ``directory``; a type with nothing has no file.

    Each file is written under a temporary name and renamed when complete, so a reader never
    sees half a file. ``progress(type, n, file_done=False)`` hears of every thousand resources
    written, and of the rest when a file is done.
    """
    directory.mkdir(parents=True, exist_ok=True)
    results = []
    for resource_type in types:
        path = directory / f"{resource_type}.ndjson"
        partial = directory / f".{resource_type}.ndjson.partial"
        written = 0
        encode = ENCODER.encode
        with partial.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
            for mapping in mappings_of(resource_type):
                for body in mapping.stream(ctx, since=since, batch=batch):
                    out.write(encode(body) + "\n")
                    written += 1
                    if written % REPORT_EVERY == 0:
                        progress(resource_type, REPORT_EVERY)
        progress(resource_type, written % REPORT_EVERY, file_done=True)
        if written:
            partial.replace(path)
        else:
            partial.unlink()
            path.unlink(missing_ok=True)  # a stale file of an earlier export would mislead
        results.append(FileWritten(resource_type, path if written else None, written))
    return results


@dataclass(frozen=True)
class CommandLineExport:
    """What the audit trail names for an export written by ``flask fhir export``."""

    directory: str
    id: None = None
