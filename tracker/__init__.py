"""Tracker: the surgical journey of every patient of an endoscopic spine clinic."""

from pathlib import Path

from flask import Flask

import config
from tracker import api, cli, extensions, fhir, inputs, outcomes, security, web
from tracker.db import configure_engine
from tracker.portal.locale import select_locale, select_timezone
from tracker.reminders import setup as reminders

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(config.load("testing" if test_config else None))
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(exist_ok=True)

    security.init_app(app)
    inputs.init_app(app)
    configure_engine(app.config)
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(ROOT / "migrations"))
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    extensions.babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    web.init_app(app)

    api.init_app(app)
    cli.init_app(app)
    # before reminders: they register jobs the scheduler runs
    fhir.init_app(app)
    outcomes.init_app(app)
    reminders.init_app(app)
    return app
