"""A large cohort's report: made in the background, kept a while, one maker at a time."""

import re
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tests.outcomes.conftest import ODI_28, ODI_60
from tests.web.conftest import Browser
from tracker.clock import utcnow
from tracker.db import db
from tracker.outcomes import snapshots
from tracker.outcomes.models import ReportSnapshot
from tracker.outcomes.report import ReportFilters, build

TODAY = date(2026, 11, 23)  # NOW in Jakarta


@pytest.fixture
def staff(client, coordinator, clock):
    browser = Browser(client)
    browser.sign_in(coordinator)
    return browser


@pytest.fixture
def kept(app):
    """Every cohort counts as large: the page reads reports from their snapshots."""
    app.config["OUTCOMES_REPORT_LIVE_LIMIT"] = 0


def words(response) -> str:
    html = re.sub(r"<svg.*?</svg>", " ", response.get_data(as_text=True), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def the_snapshot() -> ReportSnapshot | None:
    db.session.rollback()  # see what other sessions committed
    return db.session.scalar(sa.select(ReportSnapshot))


def test_a_report_reads_back_from_json_unchanged(operated, answer, surgeon):
    journey = operated(60)
    answer(journey, "odi", ODI_60, at=journey.surgery_at - timedelta(days=3))
    answer(journey, "odi", ODI_28, at=journey.surgery_at + timedelta(days=43), timepoint="6w")
    filters = ReportFilters(pathway="teld", surgeon_id=surgeon.id, surgery_from=date(2020, 1, 1))
    made = build(filters, now=NOW, today=TODAY)
    assert made.patients == 1 and made.rows[2].stats["odi"].median == 28.0
    assert snapshots.decode(snapshots.encode(made)) == made


def test_a_small_cohort_is_summed_up_on_every_view(staff, operated):
    operated(60)
    assert "Patients operated 1" in words(staff.get("/reports/outcomes"))
    operated(61)
    page = words(staff.get("/reports/outcomes"))
    assert "Patients operated 2" in page and "summed up in the background" not in page
    assert the_snapshot() is None


def test_a_large_cohort_is_shown_as_kept_until_it_is_old(staff, operated, kept, clock):
    operated(60)
    operated(61)
    page = words(staff.get("/reports/outcomes"))
    assert "Patients operated 2" in page
    assert "summed up in the background" in page and "kept up to 15 minutes" in page
    snapshot = the_snapshot()
    assert (snapshot.status, snapshot.report["patients"]) == ("ready", 2)

    operated(62)
    assert "Patients operated 2" in words(staff.get("/reports/outcomes"))  # as kept
    clock.shift(timedelta(minutes=16))
    assert "Patients operated 3" in words(staff.get("/reports/outcomes"))  # made again
    # Each set of filters has its own.
    assert "Patients operated 3" in words(staff.get("/reports/outcomes?pathway=teld"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportSnapshot)) == 2


def test_the_first_view_waits_while_the_report_is_made_in_the_background(
    app, staff, operated, kept
):
    app.config["OUTCOMES_REPORT_IN_BACKGROUND"] = True
    operated(60)
    response = staff.get("/reports/outcomes")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "is being prepared" in html and 'http-equiv="refresh"' in html
    deadline = time.monotonic() + 60
    while (snapshot := the_snapshot()).status != "ready" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert snapshot.status == "ready" and snapshot.report["patients"] == 1
    response = staff.get("/reports/outcomes")
    assert "Patients operated 1" in words(response)
    assert 'http-equiv="refresh"' not in response.get_data(as_text=True)


def test_one_maker_at_a_time_and_a_stalled_one_is_replaced(app, operated, kept):
    operated(60)
    db.session.commit()
    first = snapshots.for_page(ReportFilters(), now=NOW)
    db.session.commit()
    assert first.start is not None and first.report is None and first.refreshing
    meanwhile = snapshots.for_page(ReportFilters(), now=NOW + timedelta(seconds=30))
    db.session.commit()
    assert meanwhile.start is None and meanwhile.refreshing  # someone is making it
    later = NOW + snapshots.STALLED + timedelta(seconds=1)
    assert snapshots.for_page(ReportFilters(), now=later).start == first.start


def test_a_failed_report_says_so_and_is_tried_again(staff, operated, kept, clock, monkeypatch):
    operated(60)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(snapshots.reports, "build", broken)
    response = staff.get("/reports/outcomes")
    assert response.status_code == 200
    page = words(response)
    assert "The last attempt to make this report failed" in page
    assert "Patients operated" not in page
    snapshot = the_snapshot()
    assert snapshot.status == "failed" and "the database went away" in snapshot.error

    monkeypatch.undo()
    assert "The last attempt" in words(staff.get("/reports/outcomes"))  # not hammered
    clock.shift(snapshots.RETRY_AFTER + timedelta(seconds=1))
    page = words(staff.get("/reports/outcomes"))
    assert "Patients operated 1" in page and "The last attempt" not in page


def test_the_scheduler_keeps_the_reports_people_read_fresh(app, operated, kept, clock):
    operated(60)
    db.session.commit()
    shown = snapshots.for_page(ReportFilters(), now=utcnow())
    db.session.commit()
    snapshots.make(shown.start)
    assert the_snapshot().report["patients"] == 1

    operated(61)
    db.session.commit()
    snapshots.tick(app)
    assert the_snapshot().report["patients"] == 1  # still fresh: left alone
    clock.shift(timedelta(minutes=11))  # old by the next tick (every 5 minutes)
    snapshots.tick(app)
    assert the_snapshot().report["patients"] == 2

    operated(62)
    db.session.commit()
    clock.shift(snapshots.READ_RECENTLY + timedelta(minutes=1))
    snapshots.tick(app)
    assert the_snapshot().report["patients"] == 2  # nobody read it for a day


def test_a_kept_report_costs_the_same_statements_for_any_cohort(
    staff, operated, kept, count_queries
):
    operated(60)
    staff.get("/reports/outcomes")  # made
    db.session.commit()  # both views start from a session that remembers nothing
    with count_queries() as small:
        assert "Patients operated 1" in words(staff.get("/reports/outcomes"))
    for days in range(61, 71):
        operated(days)
    db.session.commit()
    with count_queries() as larger:
        assert "Patients operated 1" in words(staff.get("/reports/outcomes"))  # as kept
    assert len(larger) == len(small)


def test_the_api_answers_a_large_cohort_from_its_kept_report(
    client, api_headers, operated, kept, clock
):
    operated(60)
    headers = api_headers()

    def read() -> dict:
        response = client.get("/api/v1/reports/outcomes", headers=headers)
        assert response.status_code == 200
        return response.get_json()

    first = read()  # nothing kept yet: summed up in the request, and kept
    assert first["patients"] == 1
    assert (the_snapshot().status, the_snapshot().report["patients"]) == ("ready", 1)

    operated(61)
    clock.shift(timedelta(minutes=5))
    again = read()
    assert again["patients"] == 1 and again["generated_at"] == first["generated_at"]  # as kept
    clock.shift(timedelta(minutes=11))
    old = read()  # grown old: answered as kept while the new one is made
    assert old["patients"] == 1
    newer = read()
    assert newer["patients"] == 2 and newer["generated_at"] > first["generated_at"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportSnapshot)) == 1


def test_the_api_sums_up_a_small_cohort_on_every_request(client, api_headers, operated):
    operated(60)
    headers = api_headers()
    assert client.get("/api/v1/reports/outcomes", headers=headers).get_json()["patients"] == 1
    operated(61)
    assert client.get("/api/v1/reports/outcomes", headers=headers).get_json()["patients"] == 2
    assert the_snapshot() is None
