"""Odd input gets a 4xx before any view or query sees it, never a 500.

- Ids in URLs: every ``<int:…>`` route takes ids from 0 to the largest PostgreSQL ``integer``
  only; a longer number is no page (404) instead of an overflow in the database driver.
- Text no database can store: PostgreSQL refuses a NUL character in text, and neither
  database (nor the UTF-8 encoder in front of them) takes a lone UTF-16 surrogate, which JSON
  can carry as ``"\\ud800"``. Query strings, form fields and JSON bodies are checked once, here,
  and refused with a 422 that names the field.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from flask import Flask, abort, jsonify, render_template, request
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from tracker.i18n import gettext as _

#: the largest id a table holds: PostgreSQL's ``integer`` (SQLite's is larger)
ID_MAX = 2**31 - 1


#: the largest page number a list accepts (past the last page is just an empty page)
PAGE_MAX = 100_000


def _digits_up_to(limit: int) -> str:
    """A regular expression matching exactly the whole numbers from 0 to ``limit``."""
    text = str(limit)
    parts = [rf"\d{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, char in enumerate(text):
        low, high = (1 if i == 0 else 0), int(char) - 1
        if high >= low:
            rest = len(text) - i - 1
            parts.append(f"{text[:i]}[{low}-{high}]" + (rf"\d{{{rest}}}" if rest else ""))
    parts.append(text)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(IntegerConverter):
    """``<int:…>`` up to the database's largest id. A longer number matches no route at all,
    so it is a 404 (a converter that refused it after matching could make it a 405)."""

    regex = _digits_up_to(ID_MAX)

    def __init__(self, map, fixed_digits=0, min=None, max=ID_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def page_number() -> int:
    """The ``page`` query argument as a list page from 1 to PAGE_MAX (1 when it is not one)."""
    value = request.args.get("page", "")
    if not value.isdigit() or len(value) > 6:
        return 1
    return min(max(int(value), 1), PAGE_MAX)


def init_app(app: Flask) -> None:
    """Call before any blueprint registers, so every ``<int:…>`` rule uses the bounded ids."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unstorable_text)


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    if "\x00" in text:
        return "NUL"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "surrogate"
    return None


def find_unstorable(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field, problem) for every string in a JSON-like value that cannot be stored."""
    if isinstance(value, str):
        problem = unstorable(value)
        if problem:
            yield path or "_schema", problem
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            key_problem = unstorable(str(key))
            if key_problem:
                yield name.encode("utf-8", "backslashreplace").decode(), key_problem
            else:
                yield from find_unstorable(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from find_unstorable(item, f"{path}.{index}" if path else str(index))


def _multidict_problems(values) -> dict[str, str]:
    found = {}
    for key, value in values.items(multi=True):
        problem = unstorable(key) or unstorable(value)
        if problem:
            found.setdefault(key.replace("\x00", "\\x00"), problem)
    return found


def message_for(problem: str) -> str:
    if problem == "NUL":
        return _("Contains a NUL character (\\x00), which cannot be stored. Remove it.")
    return _("Contains an unpaired surrogate character, which cannot be stored. Remove it.")


def refuse_unstorable_text() -> Response | None:
    if any("\x00" in str(value) for value in (request.view_args or {}).values()):
        abort(404)
    found = {"query": _multidict_problems(request.args)}
    if request.method in ("POST", "PUT", "PATCH"):
        found["form"] = _multidict_problems(request.form)
        if request.is_json:
            body = request.get_json(silent=True)  # malformed JSON is the API's own 400
            found["json"] = dict(find_unstorable(body)) if body is not None else {}
    found = {location: fields for location, fields in found.items() if fields}
    if not found:
        return None
    errors = {
        location: {name: [message_for(problem)] for name, problem in fields.items()}
        for location, fields in found.items()
    }
    names = ", ".join(sorted(name for fields in found.values() for name in fields))
    message = _("Some fields contain characters that cannot be stored: %(names)s.", names=names)
    if request.path.startswith("/api/") or request.is_json:
        body = {"code": 422, "status": "Unprocessable Entity", "message": message, "errors": errors}
        return jsonify(body), 422
    template = "portal/bad_input.html" if request.blueprint == "portal" else "errors/bad_input.html"
    return Response(render_template(template, errors=errors, message=message), 422)
