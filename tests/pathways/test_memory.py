"""Parsed template definitions kept by the process, keyed by the version's checksum."""

import sqlalchemy as sa
from sqlalchemy.orm import defer

from tracker.db import db
from tracker.pathways import memory
from tracker.pathways.models import PathwayTemplate
from tracker.pathways.services import latest_template


def deferred(template_id: int) -> PathwayTemplate:
    db.session.expunge_all()
    return db.session.scalar(
        sa.select(PathwayTemplate)
        .where(PathwayTemplate.id == template_id)
        .options(defer(PathwayTemplate.definition))
    )


def test_a_template_loaded_without_its_definition_gets_the_stored_one(templates, count_queries):
    stored = latest_template("teld")
    as_stored, template_id = dict(stored.definition), stored.id
    template = deferred(template_id)
    assert "definition" not in template.__dict__
    with count_queries() as statements:
        memory.fill(template)  # the templates were loaded in this process: known by checksum
    assert statements == []
    assert template.definition == as_stored
    assert template not in db.session.dirty  # filled as loaded, nothing to write


def test_a_process_that_has_not_seen_a_version_reads_it_once(templates, count_queries, monkeypatch):
    stored = latest_template("teld")
    as_stored, template_id = dict(stored.definition), stored.id
    monkeypatch.setattr(memory, "_BY_CHECKSUM", {})
    with count_queries() as first:
        assert memory.fill(deferred(template_id)).definition == as_stored
    with count_queries() as again:
        assert memory.fill(deferred(template_id)).definition == as_stored
    assert len(first) == 2 and len(again) == 1  # the template, its definition; then the template
