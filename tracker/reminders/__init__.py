"""Scheduled reminders: an outbox of rows, planned from pathway rules, sent by a dispatcher."""

from flask import Flask

from tracker.reminders import cli, queries, scheduler, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(
        journey_reminders=queries.journey_reminders,
        reminder_problem_counts=queries.problem_counts,
    )
    app.jinja_env.filters["patient_local"] = views.patient_local
    app.cli.add_command(cli.reminders)
    app.cli.add_command(cli.scheduler)
    if scheduler.should_embed(app):
        scheduler.start_embedded(app)
