"""Outcomes: questionnaires (PROMs) before and after surgery, MCID, the cohort report."""

from flask import Flask


def init_app(app: Flask) -> None:
    from tracker.outcomes import snapshots

    # The scheduler (embedded or `flask scheduler`) keeps the large cohorts' reports fresh.
    app.extensions.setdefault("scheduler_jobs", []).append(
        (
            "outcomes.reports",
            snapshots.tick,
            "interval",
            {
                "seconds": snapshots.tick_seconds(app),
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": None,
            },
        )
    )
