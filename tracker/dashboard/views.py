"""The coordinator's start page: the whole clinic at a glance."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from tracker.auth.access import clinical_required
from tracker.clock import clinic_today, utcnow
from tracker.dashboard import services
from tracker.timeutil import clinic_tz

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index():
    if current_user.role == "admin":
        return redirect(url_for("auth.users"))  # admins work on staff users only
    return _dashboard()


@clinical_required
def _dashboard():
    now = utcnow()
    tz = clinic_tz()
    today = clinic_today(now)
    monday, sunday = services.week_of(today)
    overdue, overdue_total = services.overdue_tasks(today)
    today_procedures, today_total = services.procedures_between(
        *services.day_bounds(today, today, tz)
    )
    week_procedures, week_total = services.procedures_between(
        *services.day_bounds(monday, sunday, tz)
    )
    return render_template(
        "dashboard/index.html",
        today=today,
        monday=monday,
        sunday=sunday,
        counts=services.stage_counts(),
        today_procedures=today_procedures,
        today_total=today_total,
        week_procedures=week_procedures,
        week_total=week_total,
        overdue=overdue,
        overdue_total=overdue_total,
        appointments=services.upcoming_appointments(now),
    )
