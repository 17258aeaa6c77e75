"""The pieces other pages include: the journey page's portal card and the dashboard badge."""

from datetime import timedelta

from flask import render_template

from tracker.clock import utcnow
from tracker.db import db
from tracker.portal import milestones, services


def test_the_journey_card_shows_link_status_chart_milestones_and_check_ins(
    app, recovering, invite, coordinator
):
    journey = recovering(days_ago=8)
    invite(journey)
    for days_ago, leg in ((7, 5), (4, 3), (1, 2)):
        services.record_check_in(
            journey,
            services.CheckInValues(
                back_pain=3,
                leg_pain=leg,
                took_pain_medicine=True,
                idempotency_key=f"key-{days_ago:02d}-abcdefghijkl",
                flags={"flag_fever"} if days_ago == 1 else set(),
            ),
            now=utcnow() - timedelta(days=days_ago),
        )
    milestones.mark_milestone(
        journey, "went_home", journey.surgery_at.date() + timedelta(days=1), now=utcnow()
    )
    db.session.commit()
    with app.test_request_context():
        html = render_template("portal/_journey_portal.html", journey=journey)
        dashboard = render_template("alerts/_dashboard.html")
    assert "Link active until" in html and "not opened yet" in html
    assert '<svg class="pain-chart"' in html and "Expected leg pain" in html
    assert "Went home" in html and "(day 1)" in html
    assert "Back to desk work" in html and "Not yet" in html
    assert html.count("<tr>") >= 3 + len(milestones.milestones(journey))
    assert "1 open alert" in html
    assert "1 urgent" in dashboard


def test_a_chart_waits_for_the_surgery_date(app, make_journey):
    journey = make_journey(surgery_at=None)
    with app.test_request_context():
        html = render_template("portal/_journey_portal.html", journey=journey)
    assert "pain-chart" not in html and "Not invited yet" in html
    assert "after surgery is booked" in html
