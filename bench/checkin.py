"""The portal check-in POST against a bare Flask + SQLAlchemy form insert of the same row.

    .venv/bin/python bench/checkin.py [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                      [--repeat 300]

Creates a scratch database on the server (dropped at the end) with one recovering patient
signed in to the portal, and times, alternately and in-process (no network), the app's check-in
submit (``POST /portal/check-in``: session, form, CSRF, audit row, alert rules, commit, redirect)
and a bare Flask app that reads the same form fields and inserts the same row with SQLAlchemy
Core on the same database (the ceiling). Prints both medians, their ratio (throughput of the
check-in as a share of the bare insert) and the SQL statements of one check-in. Not a test.
"""

import argparse
import statistics
import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from common import ROOT, TOKEN, app_for, machine, server_url, side_by_side, statements
from flask import Flask, redirect, request
from flask_sqlalchemy import SQLAlchemy
from reminders import make_database

from tracker.clock import utcnow
from tracker.db import db
from tracker.portal.models import RED_FLAGS, CheckIn

FORM = {"back_pain": "3", "leg_pain": "2", "took_pain_medicine": "no"}


def setup(url: str) -> None:
    """The schema, the pathways and one patient recovering from surgery five days ago."""
    from flask_migrate import upgrade

    from tracker.journeys.services import JourneyDetails, start_journey
    from tracker.pathways.services import latest_template, load_directory
    from tracker.patients.models import Patient

    app = app_for(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        now = utcnow()
        load_directory(now=now)
        patient = Patient(
            mrn="BENCH1",
            given_name="Bench",
            family_name="Patient",
            birth_date=date(1970, 1, 1),
            sex="other",
            email="bench@example.test",
            language="en",
            timezone="Asia/Jakarta",
            consent_email=True,
        )
        db.session.add(patient)
        start_journey(
            patient,
            latest_template("teld"),
            JourneyDetails(
                condition="herniated_disc",
                levels="L4-L5",
                side="left",
                approach="transforaminal",
                anesthesia="local_sedation",
                consultation_date=now.date() - timedelta(days=30),
                surgery_at=datetime.combine(
                    now.date() - timedelta(days=5), datetime.min.time(), UTC
                ),
            ),
            actor=None,
            now=now,
        )
        db.session.commit()
        db.engine.dispose()


def portal_client(url: str):
    """The app and a test client signed in to the portal through a personal link."""
    from tracker.journeys.models import Journey
    from tracker.portal.services import issue_invitation

    app = app_for(url)
    with app.app_context():
        journey = db.session.scalar(sa.select(Journey))
        _, token = issue_invitation(journey, actor=None, now=utcnow())
        db.session.commit()
        journey_id, patient_id = journey.id, journey.patient_id
    client = app.test_client()
    page = client.get(f"/portal/i/{token}").get_data(as_text=True)
    response = client.post(f"/portal/i/{token}", data={"csrf_token": TOKEN.search(page).group(1)})
    assert response.status_code in (302, 303), response.status_code
    form = client.get("/portal/check-in").get_data(as_text=True)
    return app, client, TOKEN.search(form).group(1), journey_id, patient_id


def bare_app(url: str, journey_id: int, patient_id: int) -> Flask:
    """The ceilings: read the form, insert the row, commit, redirect. Nothing else.

    ``/core`` inserts with SQLAlchemy Core on a plain engine; ``/orm`` adds a ``CheckIn`` to a
    Flask-SQLAlchemy session and commits (what a minimal Flask + SQLAlchemy app does).
    """
    app = Flask("bare")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    orm = SQLAlchemy()
    orm.init_app(app)
    engine = sa.create_engine(url)
    table = CheckIn.__table__

    def row() -> dict:
        form, now = request.form, utcnow()
        return {
            "journey_id": journey_id,
            "patient_id": patient_id,
            "day": now.date(),
            "recorded_at": now,
            "back_pain": int(form["back_pain"]),
            "leg_pain": int(form["leg_pain"]),
            "took_pain_medicine": form["took_pain_medicine"] == "yes",
            "entered_by": "patient",
            "idempotency_key": form["idempotency_key"],
            **{flag: False for flag in RED_FLAGS},
        }

    @app.post("/core")
    def core():
        with engine.begin() as conn:
            conn.execute(table.insert().values(**row()))
        return redirect("/check-in/thanks", code=303)

    @app.post("/orm")
    def with_orm():
        orm.session.add(CheckIn(**row()))
        orm.session.commit()
        return redirect("/check-in/thanks", code=303)

    def dispose() -> None:
        engine.dispose()
        with app.app_context():
            orm.engine.dispose()

    app.dispose = dispose
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=server_url())
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()

    url, drop = make_database(args.server)
    try:
        setup(url)
        app, client, csrf, journey_id, patient_id = portal_client(url)
        ceiling = bare_app(url, journey_id, patient_id).test_client()

        def portal() -> None:
            data = {**FORM, "csrf_token": csrf, "idempotency_key": uuid.uuid4().hex}
            response = client.post("/portal/check-in", data=data)
            assert response.status_code == 303, response.status_code

        def bare(path: str):
            def post() -> None:
                data = {**FORM, "idempotency_key": uuid.uuid4().hex}
                response = ceiling.post(path, data=data)
                assert response.status_code == 303, response.status_code

            return post

        core, orm = bare("/core"), bare("/orm")
        for _ in range(20):  # warm all three
            portal()
            core()
            orm()
        with statements(app) as counter:
            portal()
        app_ms, core_ms = side_by_side(portal, core, args.repeat)
        app_ms2, orm_ms = side_by_side(portal, orm, args.repeat)
        app_ms = statistics.median([app_ms, app_ms2])
        print(f"check-in POST, PostgreSQL, median of {args.repeat} ({machine()})")
        print(f"  bare Flask + SQLAlchemy Core insert : {core_ms:6.2f} ms")
        print(f"  bare Flask + Flask-SQLAlchemy ORM   : {orm_ms:6.2f} ms")
        print(
            f"  portal check-in POST                : {app_ms:6.2f} ms = {core_ms / app_ms:.2f} "
            f"of the Core insert's throughput, {orm_ms / app_ms:.2f} of the ORM insert's; "
            f"{counter[0]} SQL statements"
        )
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        ceiling.application.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
