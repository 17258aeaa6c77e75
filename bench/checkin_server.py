"""The check-in benchmark's server: the tracker and the bare insert endpoint in one WSGI app.

    gunicorn -w 4 --pythonpath bench 'checkin_server:make()'    (DATABASE_URL set)

``/bare/core`` and ``/bare/orm`` are the ceilings of ``bench/checkin.py``: they read the same
form fields, insert the same check-in row and redirect, nothing else (no session, no CSRF, no
audit row, no alert rules). Everything else is the tracker as gunicorn serves it in production.
Serving both from the same processes is what "the same server" means in issue 14: the two are
timed against the same workers, the same database and the same machine.
"""

import os

import sqlalchemy as sa
from flask import Flask, redirect, request
from flask_sqlalchemy import SQLAlchemy
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from tracker.clock import utcnow
from tracker.portal.models import RED_FLAGS, CheckIn


def bare_app(url: str) -> Flask:
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
            "journey_id": int(form["journey_id"]),
            "patient_id": int(form["patient_id"]),
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


def make():
    """gunicorn's app: the tracker (``create_app``, production settings from the environment)
    with the bare endpoints under ``/bare``."""
    from tracker import create_app

    tracker = create_app()
    tracker.wsgi_app = DispatcherMiddleware(
        tracker.wsgi_app, {"/bare": bare_app(os.environ["DATABASE_URL"])}
    )
    return tracker
