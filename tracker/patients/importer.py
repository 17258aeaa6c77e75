"""Import patients from a coordinator's spreadsheet export (CSV).

The file has a header row. Columns (any order, case and spaces ignored, a few common aliases
accepted): ``mrn``, ``given_name``, ``family_name``, ``birth_date``, ``sex`` are required;
``phone``, ``email``, ``language``, ``timezone``, ``consent_email``, ``consent_sms`` are optional.

- dates: ``YYYY-MM-DD``, or day first as ``DD/MM/YYYY``, ``DD-MM-YYYY`` or ``DD.MM.YYYY``
  (never month first; a four-digit year always);
- sex: female/male/other/unknown, also F/M and the Indonesian P (perempuan) / L (laki-laki);
- consents: yes/no, true/false, 1/0, y/n, ya/tidak; empty means no consent;
- language: en or id, empty means en; time zone: an IANA name, empty means the clinic's;
- phone in international form (+62…).

Each row is checked by the same rules as the API (:func:`clean_patient_fields`, unique MRN,
also within the file) before anything of it is added, so a bad row leaves nothing behind while
the good rows go in. The caller commits once (or rolls back for a dry run); should another
session take an MRN between the check and the insert, the flush fails and the caller rolls
the whole import back.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tracker.errors import DomainError
from tracker.inputs import message_for, unstorable
from tracker.patients.models import Patient
from tracker.patients.services import create_patient

REQUIRED_COLUMNS = ("mrn", "given_name", "family_name", "birth_date", "sex")
OPTIONAL_COLUMNS = (
    "phone",
    "email",
    "language",
    "timezone",
    "consent_email",
    "consent_sms",
    "preferred_channel",
)
ALIASES = {
    "first_name": "given_name",
    "given": "given_name",
    "last_name": "family_name",
    "surname": "family_name",
    "family": "family_name",
    "dob": "birth_date",
    "date_of_birth": "birth_date",
    "birthdate": "birth_date",
    "gender": "sex",
    "mobile": "phone",
    "phone_number": "phone",
    "e_mail": "email",
    "time_zone": "timezone",
    "tz": "timezone",
    "lang": "language",
    "channel": "preferred_channel",
    "preferred": "preferred_channel",
    "medical_record_number": "mrn",
}
SEX_WORDS = {
    "female": "female",
    "f": "female",
    "p": "female",
    "perempuan": "female",
    "wanita": "female",
    "male": "male",
    "m": "male",
    "l": "male",
    "laki-laki": "male",
    "pria": "male",
    "other": "other",
    "unknown": "unknown",
}
YES = {"yes", "y", "true", "1", "ya"}
NO = {"no", "n", "false", "0", "tidak", ""}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})$")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header); nothing was imported."""


@dataclass
class Row:
    line: int
    values: dict[str, str]


@dataclass
class RowError:
    line: int
    mrn: str
    errors: dict[str, list[str]]

    def __str__(self) -> str:
        reasons = "; ".join(f"{f}: {' '.join(m)}" for f, m in self.errors.items())
        who = f" ({self.mrn})" if self.mrn else ""
        return f"line {self.line}{who}: {reasons}"


@dataclass
class ImportReport:
    imported: list[Patient] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.imported) + len(self.errors)


def _column(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return ALIASES.get(key, key)


def read_csv(data: bytes) -> tuple[list[Row], list[str]]:
    """The data rows of a CSV export with their line numbers, and the columns ignored."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not UTF-8 text; save it as 'CSV UTF-8' from the spreadsheet."
        ) from None
    first_line = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise ImportFileError("The file is empty; it needs a header row naming the columns.")
    columns = [_column(cell) for cell in header]
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    duplicated = sorted({c for c in columns if c in known and columns.count(c) > 1})
    if duplicated:
        raise ImportFileError(f"Column(s) named twice: {', '.join(duplicated)}.")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportFileError(
            f"Missing column(s): {', '.join(missing)}. "
            f"The header row needs {', '.join(REQUIRED_COLUMNS)}."
        )
    ignored = [h.strip() for h, c in zip(header, columns, strict=True) if c not in known]
    rows = []
    line = 1
    for record in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank line
        values = {c: "" for c in known}
        for column, cell in zip(columns, record, strict=False):
            if column in known:
                values[column] = cell.strip()
        if len(record) > len(columns):
            values["_extra"] = "yes"
        rows.append(Row(start, values))
    return rows, ignored


def parse_date(text: str) -> date | str:
    """A date from ISO or day-first text; the message for the row when it is not one."""
    iso = _ISO.match(text)
    day_first = _DAY_FIRST.match(text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if day_first:
            if len(day_first[3]) != 4:
                return "Write the year with four digits."
            return date(int(day_first[3]), int(day_first[2]), int(day_first[1]))
    except ValueError:
        return f"{text!r} is not a real date."
    return f"{text!r} is not a date; use YYYY-MM-DD or DD/MM/YYYY."


def _row_values(row: Row, default_timezone: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Turn a row's text into typed patient fields, with the messages for what cannot be read."""
    raw, errors = row.values, {}
    if raw.get("_extra"):
        errors["row"] = ["The row has more cells than the header has columns."]
    for name, text in raw.items():
        problem = unstorable(text)
        if problem:
            errors[name] = [message_for(problem)]
            raw = {**raw, name: ""}  # judged no further: the cell is refused as it is
    values: dict[str, Any] = {
        name: raw[name] for name in ("mrn", "given_name", "family_name", "phone", "email")
    }
    values["birth_date"] = None
    if raw["birth_date"]:
        parsed = parse_date(raw["birth_date"])
        if isinstance(parsed, str):
            errors["birth_date"] = [parsed]
        else:
            values["birth_date"] = parsed
    sex = raw["sex"].lower()
    values["sex"] = SEX_WORDS.get(sex, sex)
    values["language"] = raw["language"].lower() or "en"
    values["timezone"] = raw["timezone"] or default_timezone
    if raw["preferred_channel"]:
        values["preferred_channel"] = raw["preferred_channel"].lower()
    for name in ("consent_email", "consent_sms"):
        word = raw[name].lower()
        if word in YES:
            values[name] = True
        elif word in NO:
            values[name] = False
        else:
            errors[name] = [f"{raw[name]!r} is not yes or no."]
    return values, errors


def import_rows(
    rows: Iterable[Row], *, actor, now: datetime, default_timezone: str
) -> ImportReport:
    """Create a patient for every good row; report every bad row with its reasons."""
    report = ImportReport()
    first_seen: dict[str, int] = {}
    for row in rows:
        values, errors = _row_values(row, default_timezone)
        mrn = values["mrn"].upper()
        if mrn and mrn in first_seen:
            errors.setdefault("mrn", []).append(
                f"MRN {mrn} is already on line {first_seen[mrn]} of this file."
            )
        elif mrn:
            first_seen[mrn] = row.line
        patient = None if errors else _create(values, errors, actor=actor, now=now)
        if patient is None:
            report.errors.append(RowError(row.line, mrn, errors))
        else:
            report.imported.append(patient)
    return report


def _create(values: dict, errors: dict, *, actor, now: datetime) -> Patient | None:
    # create_patient checks everything (fields, MRN free) before it adds a row, so a refused
    # row leaves nothing in the session. (No SAVEPOINT: SQLite's driver would commit at its
    # release, and a dry run could not be rolled back.)
    try:
        return create_patient(values, actor=actor, now=now)
    except DomainError as error:
        for name, messages in (error.errors or {"row": [error.message]}).items():
            errors.setdefault(name, []).extend(messages)
        return None


def iter_lines(report: ImportReport) -> Iterator[str]:
    """The report as lines for a person: every bad row, then the totals."""
    yield from (str(error) for error in report.errors)
    yield (
        f"{len(report.imported)} patient(s) imported, {len(report.errors)} row(s) refused "
        f"of {report.rows}."
    )
