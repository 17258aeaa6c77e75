"""A pathway's name in the reader's language, for staff pages.

Lists load a journey's template without its (large) definition, where the names in every
language live; the stored ``name`` is the English one. A reader of another language gets the
names of every template version from one statement per request, not one per row.
"""

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import get_locale

from tracker.db import db
from tracker.pathways.models import PathwayTemplate


def _names() -> dict[int, dict]:
    if not has_request_context():
        return _load()
    if "pathway_names" not in g:
        g.pathway_names = _load()
    return g.pathway_names


def _load() -> dict[int, dict]:
    rows = db.session.execute(sa.select(PathwayTemplate.id, PathwayTemplate.definition))
    return {template_id: (definition or {}).get("name") or {} for template_id, definition in rows}


def pathway_name(template: PathwayTemplate | None) -> str:
    """``template``'s name in the reader's language (the stored English one for English)."""
    if template is None:
        return ""
    locale = get_locale()
    language = locale.language if locale is not None else "en"
    if language == "en":
        return template.name
    names = _names().get(template.id) or {}
    return names.get(language) or template.name
