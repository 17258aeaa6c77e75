"""The request's translations and date formats, worked out once per request rather than per
string.

Flask-Babel finds the request's translations again on every ``gettext`` call (several lookups
of its per-request state, the locale's name, its catalog cache): on the development machines
that is 25 µs, thirty times the lookup in the catalog itself. A list page of 50 rows translates
about 400 strings and formats about 100 instants, so a third of its time went into finding the
same catalog and locale again. Here the catalog is kept next to Flask-Babel's own per-request
state and used while the request's locale is the same object; a new locale (``force_locale``
for a message in the patient's language, ``refresh``) is looked up afresh, and outside a
request everything is Flask-Babel's as before.

Dates in lists repeat (a day's reminders, this week's operations): each day's words are
formatted by Babel once per language and pattern, and kept.
"""

from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as babel_format_date
from flask import Flask, g, has_app_context
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup

#: where the kept catalog sits on Flask-Babel's per-request state (with the locale it is for)
_KEPT = "tracker_translations"


def _state():
    """Flask-Babel's per-request state, or None (outside a request, or before its first use)."""
    return g.get("_flask_babel") if has_app_context() else None


def translations():
    """The request's catalog (Flask-Babel's ``get_translations``, looked up once per locale)."""
    state = _state()
    if state is None:
        return get_translations()
    locale = getattr(state, "babel_locale", None)
    kept = getattr(state, _KEPT, None)
    if locale is not None and kept is not None and kept[0] is locale:
        return kept[1]
    found = get_translations()  # selects the locale if this is the request's first string
    setattr(state, _KEPT, (getattr(state, "babel_locale", None), found))
    return found


def locale() -> Locale | None:
    """Flask-Babel's ``get_locale``, read straight from its state once chosen."""
    return getattr(_state(), "babel_locale", None) or get_locale()


def gettext(string: str, **variables) -> str:
    """Flask-Babel's ``gettext``, through the kept catalog."""
    text = translations().ugettext(string)
    return text % variables if variables else text


@pass_context
def _template_gettext(context, string: str, **variables) -> str:
    """A template's ``_()`` and ``gettext()``: what Jinja's new-style gettext does (escaped in
    HTML, always a format string), in one call rather than three."""
    text = translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    # "%%" stands for "%" even without variables; a text without "%" stays as it is
    return text % variables if variables or "%" in text else text


@pass_context
def _template_ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def install(app: Flask) -> None:
    """Templates' ``_``, ``gettext`` and ``ngettext`` through the kept catalog (after
    Flask-Babel's ``init_app``, which installs its own).

    Jinja's installer is called for ``pgettext`` and ``npgettext`` (it takes all four); its
    ``_``, ``gettext`` and ``ngettext`` are then replaced by the one-call versions above."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        _=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext
    )


@lru_cache(maxsize=4096)
def _day_words(day: date, pattern: str, language: Locale) -> str:
    return babel_format_date(day, pattern, locale=language)


def format_day(day: date, pattern: str) -> str:
    """``day`` in the reader's language with a Babel date pattern ("EEE d MMM y")."""
    return _day_words(day, pattern, locale() or Locale("en"))


def format_local(local: datetime, day_pattern: str | None) -> str:
    """A local date and time: the day's words (``day_pattern``) then ", HH:mm"; only "HH:mm"
    without a day pattern. The same text as Babel's pattern "<day_pattern>, HH:mm" (24-hour
    clock, Latin digits, in both languages)."""
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if day_pattern is None:
        return clock
    return f"{format_day(local.date(), day_pattern)}, {clock}"


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's ``lazy_gettext`` (for texts defined at import time), through the kept
    catalog when it is read."""
    return LazyString(gettext, string, **variables)
