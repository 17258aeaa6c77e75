"""The outcomes report against a small cohort computed by hand (SQLite and PostgreSQL alike).

TELD journeys, operated at 08:00 Jakarta, admitted 90 minutes before:

=====  ====  =====  ===============  ====================  =================  ==========
 who   days  stay   baseline ODI     6-week ODI            leg pain           6 weeks
                    (back, leg)                            before -> 2 weeks  complete?
=====  ====  =====  ===============  ====================  =================  ==========
 J1    100   6 h    60 (6, 8) full   28 (-32: MCID, subst)  8 -> 2 (day 14)   yes
 J2    100   6 h    50 (-, 7)        44 (-6: no MCID)       7 -> 3 (tie: later) ODI only
 J3     60   30 h   70               50 (-20: MCID, subst)  6 (check-in) -> 5  yes
 J4     60   4.5 h  40               30 (-10: MCID)         -                  ODI only
 J5    120   12 h   -                20 (no baseline)       -                  yes
=====  ====  =====  ===============  ====================  =================  ==========

Not in the TELD cohort: an interlaminar journey (J6), one not operated yet, one cancelled.
"""

from datetime import date, timedelta

import pytest

from tests.conftest import NOW
from tests.outcomes.conftest import ODI_28, ODI_60, surgery_day
from tracker.db import db
from tracker.journeys import services as journeys
from tracker.outcomes import services
from tracker.outcomes.report import ReportFilters, Share, Stat, build
from tracker.portal.models import Alert

TODAY = date(2026, 11, 23)  # NOW in Jakarta


def odi_answers(score: int) -> list[int]:
    total = score // 2
    return [total // 10 + (1 if n < total % 10 else 0) for n in range(10)]


def full_six_weeks(answer, journey, odi_score, at):
    answer(journey, "odi", odi_answers(odi_score), at=at, timepoint="6w")
    answer(journey, "back_pain", [3], at=at, timepoint="6w")
    answer(journey, "leg_pain", [2], at=at, timepoint="6w")
    answer(journey, "global_change", [2], at=at, timepoint="6w")


@pytest.fixture
def cohort(operated, answer, check_in, make_journey, coordinator, surgeon, make_user):
    j1 = operated(100, stay_hours=6)
    j2 = operated(100, stay_hours=6)
    j3 = operated(60, stay_hours=30)
    j4 = operated(60, stay_hours=4.5, condition="sciatica")
    j5 = operated(120, stay_hours=12)
    other_surgeon = make_user("clinician", name="Dr Other")
    j6 = operated(100, template="il", condition="spinal_stenosis", surgeon=other_surgeon)
    before = lambda j, days=3: j.surgery_at - timedelta(days=days)  # noqa: E731
    after = lambda j, days: j.surgery_at + timedelta(days=days)  # noqa: E731

    answer(j1, "odi", ODI_60, at=before(j1))
    answer(j1, "back_pain", [6], at=before(j1))
    answer(j1, "leg_pain", [8], at=before(j1))
    full_six_weeks(answer, j1, 28, after(j1, 41))
    check_in(j1, surgery_day(j1) + timedelta(days=12), 3, 4)
    check_in(j1, surgery_day(j1) + timedelta(days=14), 2, 2)
    db.session.add(
        Alert(
            journey_id=j1.id,
            patient_id=j1.patient_id,
            kind="red_flag",
            severity="urgent",
            summary="fever",
            dedup_key="t1",
        )
    )
    db.session.add(
        Alert(
            journey_id=j1.id,
            patient_id=j1.patient_id,
            kind="red_flag",
            severity="urgent",
            summary="wound",
            dedup_key="t2",
        )
    )

    answer(j2, "odi", odi_answers(50), at=before(j2))
    answer(j2, "leg_pain", [7], at=before(j2))
    check_in(j2, surgery_day(j2) - timedelta(days=2), 5, 9, at=before(j2, 2))  # questionnaire wins
    answer(j2, "odi", odi_answers(44), at=after(j2, 40), timepoint="6w")
    check_in(j2, surgery_day(j2) + timedelta(days=12), 4, 5)
    check_in(j2, surgery_day(j2) + timedelta(days=16), 3, 3)  # as near day 14, and later
    services.record_theatre_return(
        j2, surgery_day(j2) + timedelta(days=30), "Recurrent herniation", actor=surgeon, now=NOW
    )

    answer(j3, "odi", odi_answers(70), at=before(j3))
    check_in(j3, surgery_day(j3) - timedelta(days=4), 5, 6, at=before(j3, 4))
    full_six_weeks(answer, j3, 50, after(j3, 45))
    check_in(j3, surgery_day(j3) + timedelta(days=9), 6, 6)  # before the 2-week window
    check_in(j3, surgery_day(j3) + timedelta(days=17), 4, 5)
    void = services.record_theatre_return(
        j3, surgery_day(j3) + timedelta(days=5), "Typed in the wrong record", actor=surgeon, now=NOW
    )
    services.void_theatre_return(void, "Wrong patient", actor=surgeon, now=NOW)

    answer(j4, "odi", odi_answers(40), at=before(j4))
    answer(j4, "odi", odi_answers(30), at=after(j4, 44), timepoint="6w")

    full_six_weeks(answer, j5, 20, after(j5, 42))
    answer(j5, "odi", odi_answers(16), at=after(j5, 90), timepoint="3m")

    answer(j6, "odi", odi_answers(80), at=before(j6))
    db.session.add(
        Alert(
            journey_id=j6.id,
            patient_id=j6.patient_id,
            kind="red_flag",
            severity="urgent",
            summary="saddle",
            dedup_key="t3",
        )
    )
    # Not operated yet, and cancelled before surgery: not in any cohort.
    make_journey(surgery_at=NOW + timedelta(days=5))
    cancelled = make_journey(
        surgery_at=NOW - timedelta(days=30), consultation_date=(NOW - timedelta(days=40)).date()
    )
    journeys.cancel(cancelled, reason="Declined", actor=coordinator, now=NOW - timedelta(days=35))
    db.session.commit()
    return [j1, j2, j3, j4, j5, j6]


def teld() -> object:
    return build(ReportFilters(pathway="teld"), now=NOW, today=TODAY)


def test_the_report_matches_the_hand_computed_cohort(cohort):
    report = teld()
    assert report.patients == 5
    assert report.length_of_stay == Stat(n=5, median=6.0, q1=6.0, q3=12.0)  # 4.5 6 6 12 30
    assert report.same_day == Share(4, 5)  # J3 went home the next day
    assert report.same_day.percent == 80.0
    assert (report.red_flag_alerts, report.red_flag_patients) == (2, Share(1, 5))
    assert (report.theatre_returns, report.theatre_patients) == (1, Share(1, 5))  # void left out

    rows = {row.timepoint: row for row in report.rows}
    # Baseline ODI 40 50 60 70: median 55, quartiles interpolated (1 + p (n - 1)).
    assert rows["baseline"].stats["odi"] == Stat(4, 55.0, 47.5, 62.5)
    # Baseline leg pain: J1 8 and J2 7 (questionnaires), J3 6 (the last check-in before).
    assert rows["baseline"].stats["leg_pain"] == Stat(3, 7.0, 6.5, 7.5)
    assert rows["baseline"].completion == Share(1, 5)  # only J1 answered all three

    # Six weeks: ODI 20 28 30 44 50.
    six = rows["6w"]
    assert six.stats["odi"] == Stat(5, 30.0, 28.0, 44.0)
    assert six.mcid["odi"] == Share(3, 4)  # J1, J3, J4 (exactly 10); J2 not; J5 has no baseline
    assert six.mcid["odi"].percent == 75.0
    assert six.substantial["odi"] == Share(2, 4)  # J1 -32, J3 -20
    assert six.completion == Share(3, 5)  # J2 and J4 sent the ODI only
    assert six.success["global_change"] == Share(3, 3)

    # Two weeks, from check-ins only: J1 2 (day 14), J2 3 (day 12 and 16 tie: the later),
    # J3 5 (day 17; day 9 is outside the window).
    two = rows["2w"]
    assert two.stats["leg_pain"] == Stat(3, 3.0, 2.5, 4.0)
    assert two.stats["leg_pain"].small
    assert two.mcid["leg_pain"] == Share(2, 3)  # 8 -> 2 and 7 -> 3; 6 -> 5 is not
    assert two.substantial["leg_pain"] == Share(2, 3)
    assert two.completion is None  # no questionnaire at 2 weeks
    assert "odi" not in two.stats

    # Three months: only J5's window has closed (J1 and J2 are on day 100 of 76-104).
    assert rows["3m"].completion == Share(0, 1)
    assert rows["3m"].stats["odi"] == Stat(1, 16.0, 16.0, 16.0)


def test_small_groups_are_shown_but_marked(cohort):
    report = teld()
    assert not report.small
    rows = {row.timepoint: row for row in report.rows}
    assert rows["6w"].stats["odi"].small is False
    assert rows["3m"].stats["odi"].small is True
    only_sciatica = build(ReportFilters(condition="sciatica"), now=NOW, today=TODAY)
    assert only_sciatica.patients == 1 and only_sciatica.small


def test_filters(cohort, surgeon):
    everyone = build(ReportFilters(), now=NOW, today=TODAY)
    assert everyone.patients == 6
    assert everyone.red_flag_alerts == 3
    il = build(ReportFilters(pathway="interlaminar-decompression"), now=NOW, today=TODAY)
    assert il.patients == 1
    assert {row.timepoint: row for row in il.rows}["baseline"].stats["odi"].median == 80.0
    by_surgeon = build(ReportFilters(surgeon_id=surgeon.id), now=NOW, today=TODAY)
    assert by_surgeon.patients == 5
    condition = build(ReportFilters(condition="herniated_disc"), now=NOW, today=TODAY)
    assert condition.patients == 4
    j3 = cohort[2]
    day = surgery_day(j3)
    period = build(ReportFilters(surgery_from=day, surgery_to=day), now=NOW, today=TODAY)
    assert period.patients == 2  # J3 and J4, operated the same day
    nobody = build(ReportFilters(pathway="no-such-pathway"), now=NOW, today=TODAY)
    assert nobody.patients == 0 and nobody.length_of_stay == Stat()


def test_the_weekly_chart_data(cohort):
    weekly = teld().weekly
    leg = {p.week: p.stat for p in weekly["leg_pain"]}
    assert leg[-1] == Stat(3, 7.0, 6.5, 7.5)  # the baselines
    # Week 1 (days 7-13): J1 4 (day 12), J2 5 (day 12), J3 6 (day 9) -> 4 5 6
    assert leg[1] == Stat(3, 5.0, 4.5, 5.5)
    # Week 6: the 6-week questionnaires (J1, J3, J5 answered leg pain 2).
    assert leg[6] == Stat(3, 2.0, 2.0, 2.0)
    odi = {p.week: p.stat for p in weekly["odi"]}
    assert odi[6] == Stat(5, 30.0, 28.0, 44.0)
    assert odi[13] == Stat(1, 16.0, 16.0, 16.0)  # three months sits at week 13


def test_the_report_costs_the_same_number_of_statements_for_any_cohort(
    cohort, operated, answer, count_queries
):
    with count_queries() as small:
        teld()
    for n in range(4):
        journey = operated(70 + n)
        answer(journey, "odi", ODI_28, at=journey.surgery_at + timedelta(days=42), timepoint="6w")
    with count_queries() as larger:
        report = teld()
    assert report.patients == 9
    assert len(larger) == len(small) <= 12
