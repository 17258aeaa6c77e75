"""Wire the reminders into the app: the outbox pages, Jinja helpers, commands, the clock.

Kept apart from the package's ``__init__`` so that importing a reminders module (planning, from
the journey services) does not pull in the dispatcher and, through it, the portal.
"""

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
