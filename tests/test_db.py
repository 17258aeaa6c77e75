"""Values written into the SQL for the conditions partial indexes are defined by
(tracker.db.constant): the same rows as a bound value, quotes and all, from a statement built
once."""

import sqlalchemy as sa

from tracker.dashboard.services import overdue_tasks
from tracker.db import constant, db
from tracker.patients.models import Patient


def test_a_constant_is_written_into_the_sql_and_finds_the_same_rows(make_patient, count_queries):
    irish = make_patient(family_name="O'Brien")
    make_patient(family_name="OBrien")
    make_patient(family_name="x' OR '1'='1")
    query = sa.select(Patient.id).where(Patient.family_name == constant("O'Brien"))
    with count_queries() as statements:
        found = db.session.scalars(query).all()
        again = db.session.scalars(query).all()  # the cached statement, written in again
    assert found == again == [irish.id]
    assert "'O''Brien'" in statements[0] and statements[0] == statements[1]
    injected = sa.select(Patient.id).where(Patient.family_name == constant("x' OR '1'='1"))
    assert len(db.session.scalars(injected).all()) == 1  # a name, not a condition


def test_the_dashboards_count_of_overdue_tasks_reads_as_its_partial_index(
    app, make_journey, count_queries
):
    """``ix_tasks_to_do_due_on`` is defined by ``status = 'open' AND journey_active``: SQLite
    counts from it alone only when the query says 'open' in so many words (12 ms against 0.6
    ms at 100,000 patients)."""
    journey = make_journey()
    today = max(task.due_on for task in journey.tasks)
    expected = sum(1 for t in journey.tasks if t.status == "open" and t.due_on < today)
    with count_queries() as statements:
        tasks, total = overdue_tasks(today)
    assert total == expected > 0 and len(tasks) == min(expected, 25)
    assert "tasks.status = 'open'" in statements[0]
