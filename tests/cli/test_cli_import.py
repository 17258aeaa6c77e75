"""`flask patients import FILE.csv`: good rows in, bad rows reported by line, nothing half-saved."""

from datetime import date

import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.patients.models import Patient

HEADER = (
    "mrn,given_name,family_name,birth_date,sex,phone,email,language,timezone,"
    "consent_email,consent_sms\n"
)
GOOD = (
    HEADER
    + "rm-1001,Budi,Santoso,1968-03-14,male,+6281234567890,budi@example.com,id,Asia/Jakarta,yes,1\n"
    + 'RM-1002,Siti,"Rahmawati, S.E.",17/08/1975,P,+62 812 3456 7891,,id,,no,ya\n'
    + "RM-1003,Liam,O'Connor,02.11.1978,M,+61412345678,liam@example.com,en,Australia/Perth,"
    + "TRUE,false\n"
)


def patients() -> dict[str, Patient]:
    db.session.expire_all()
    return {p.mrn: p for p in db.session.scalars(sa.select(Patient))}


def test_a_good_file_is_imported(runner, write_csv):
    result = runner.invoke(args=["patients", "import", write_csv(GOOD)])
    assert result.exit_code == 0, result.output
    assert "3 patient(s) imported, 0 row(s) refused of 3." in result.output
    rows = patients()
    assert set(rows) == {"RM-1001", "RM-1002", "RM-1003"}
    budi, siti, liam = rows["RM-1001"], rows["RM-1002"], rows["RM-1003"]
    assert (budi.birth_date, budi.sex, budi.language) == (date(1968, 3, 14), "male", "id")
    assert (budi.consent_email, budi.consent_sms) == (True, True)
    # Day first, Indonesian P(erempuan), spaces in the phone, empty time zone: the clinic's.
    assert (siti.family_name, siti.birth_date, siti.sex) == (
        "Rahmawati, S.E.",
        date(1975, 8, 17),
        "female",
    )
    assert (siti.phone, siti.email, siti.timezone) == ("+6281234567891", None, "Asia/Jakarta")
    assert (siti.consent_email, siti.consent_sms) == (False, True)
    assert (liam.birth_date, liam.timezone, liam.consent_email) == (
        date(1978, 11, 2),
        "Australia/Perth",
        True,
    )
    created = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "patient.create")
    ).all()
    assert len(created) == 3
    assert {e.actor_label for e in created} == {"command-line import"}


def test_an_excel_export_with_semicolons_and_a_byte_order_mark(runner, write_csv):
    text = "\ufeffMRN;Given Name;Family Name;Date of Birth;Gender\nRM-7;Ayu;Lestari;01/02/1990;f\n"
    result = runner.invoke(args=["patients", "import", write_csv(text)])
    assert result.exit_code == 0, result.output
    ayu = patients()["RM-7"]
    assert (ayu.given_name, ayu.birth_date, ayu.sex) == ("Ayu", date(1990, 2, 1), "female")
    assert (ayu.language, ayu.consent_email, ayu.consent_sms) == ("en", False, False)


def test_a_bad_file_reports_every_row_by_line_and_imports_nothing(
    runner, write_csv, make_patient, now
):
    make_patient(mrn="RM-0001")
    text = (
        HEADER
        + "RM-2001,Ana,Putri,2099-01-01,female,,,id,Asia/Jakarta,no,no\n"  # line 2
        + "\n"  # line 3: blank, skipped but counted
        + "RM-2002,Bayu,Saputra,1980-01-01,male,,,id,Mars/Olympus,no,no\n"  # line 4
        + "RM-0001,Citra,Dewi,1980-01-01,female,,,id,,no,no\n"  # line 5: MRN taken
        + "RM-2004,Dedi,,31/02/1980,x,0812345,not-an-email,fr,,maybe,yes\n"  # line 6
        + "RM-2005,Eka,Sari,1980-01-01,female,,,id,,no,yes\n"  # line 7: SMS without phone
        + "RM-2006,Fina,Sari,1980-01-01,female,,,id,,no,no,extra\n"  # line 8
    )
    result = runner.invoke(args=["patients", "import", write_csv(text)])
    assert result.exit_code == 1
    out = result.output
    assert "line 2 (RM-2001): birth_date: The date of birth cannot be in the future." in out
    assert "line 4 (RM-2002): timezone: Unknown time zone 'Mars/Olympus'" in out
    assert "line 5 (RM-0001): mrn: A patient with MRN RM-0001 already exists." in out
    line6 = next(line for line in out.splitlines() if line.startswith("line 6"))
    for reason in (
        "birth_date: '31/02/1980' is not a real date.",
        "consent_email: 'maybe' is not yes or no.",
    ):
        assert reason in line6
    assert "line 7 (RM-2005): consent_sms: SMS consent needs a phone number." in out
    assert "line 8 (RM-2006): row: The row has more cells than the header has columns." in out
    assert "0 patient(s) imported, 6 row(s) refused of 6." in out
    assert set(patients()) == {"RM-0001"}


def test_row_values_are_checked_like_the_api(runner, write_csv):
    text = HEADER + "RM-3001,Dedi,,1980-01-01,x,0812345,not-an-email,fr,,no,no\n"
    result = runner.invoke(args=["patients", "import", write_csv(text)])
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if line.startswith("line 2"))
    for field in ("family_name: This field is required.", "sex: Choose one of", "phone:"):
        assert field in line
    assert "email:" in line and "language: Choose en (English) or id (Indonesian)." in line
    assert patients() == {}


def test_a_mixed_file_imports_only_the_good_rows(runner, write_csv):
    text = (
        HEADER
        + "RM-4001,Good,One,1970-01-01,female,,,en,,no,no\n"
        + "RM-4002,Bad,Date,1970-13-01,female,,,en,,no,no\n"
        + "RM-4003,Good,Two,1971-01-01,male,+6281111111111,,id,,no,yes\n"
        + "rm-4001,Twice,Again,1972-01-01,male,,,en,,no,no\n"
    )
    result = runner.invoke(args=["patients", "import", write_csv(text)])
    assert result.exit_code == 1
    assert "line 3 (RM-4002): birth_date: '1970-13-01' is not a real date." in result.output
    assert "line 5 (RM-4001): mrn: MRN RM-4001 is already on line 2 of this file." in result.output
    assert "2 patient(s) imported, 2 row(s) refused of 4." in result.output
    rows = patients()
    assert set(rows) == {"RM-4001", "RM-4003"}
    assert rows["RM-4001"].given_name == "Good"
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions == ["patient.create", "patient.create"]  # nothing left of the bad rows


def test_a_file_missing_a_column_is_refused_whole(runner, write_csv):
    text = "mrn,given_name,family_name,sex\nRM-5001,Ana,Putri,female\n"
    result = runner.invoke(args=["patients", "import", write_csv(text)])
    assert result.exit_code == 1
    assert "Missing column(s): birth_date." in result.output
    assert "Nothing was imported." in result.output
    assert patients() == {}


def test_unreadable_files_are_refused(runner, write_csv):
    latin1 = write_csv(HEADER + "RM-6001,Zoë,Bakker,1970-01-01,female\n", encoding="latin-1")
    result = runner.invoke(args=["patients", "import", latin1])
    assert result.exit_code == 1
    assert "not UTF-8" in result.output
    empty = runner.invoke(args=["patients", "import", write_csv("", name="empty.csv")])
    assert empty.exit_code == 1
    assert "header row" in empty.output
    assert patients() == {}


def test_dry_run_checks_without_saving(runner, write_csv):
    result = runner.invoke(args=["patients", "import", "--dry-run", write_csv(GOOD)])
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing saved. 3 patient(s) imported" in result.output
    assert patients() == {}


def test_the_audit_trail_names_the_importer(runner, write_csv, make_user):
    user = make_user("coordinator", name="Citra")
    result = runner.invoke(args=["patients", "import", "--by", user.email, write_csv(GOOD)])
    assert result.exit_code == 0, result.output
    actors = set(db.session.scalars(sa.select(AuditEvent.actor_id)))
    assert actors == {user.id}
    unknown = runner.invoke(args=["patients", "import", "--by", "x@example.com", write_csv(GOOD)])
    assert unknown.exit_code == 1 and "No staff user" in unknown.output
