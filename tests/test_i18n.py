"""The request's catalog and date formats, kept per request (tracker.i18n): the same words as
Flask-Babel and Babel give, in the language of the moment."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime as babel_format_datetime
from flask import render_template_string
from flask_babel import force_locale, refresh

from tracker import i18n
from tracker.web import local_date_filter, local_datetime, local_time


def test_the_kept_catalog_follows_the_language_of_the_moment(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert i18n.gettext("Resend") == "Resend"
        with force_locale("id"):  # a message in the patient's language, mid-request
            assert i18n.gettext("Resend") == "Kirim ulang"
            assert render_template_string("{{ _('Resend') }}") == "Kirim ulang"
        assert i18n.gettext("Resend") == "Resend"
        assert render_template_string("{{ _('Resend') }}") == "Resend"


def test_the_first_string_of_a_request_chooses_its_language(app):
    # each request in an app context of its own, as a server gives it (the fixture keeps one)
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "id"}):
        assert render_template_string("{{ gettext('Cancel') }}") == "Batal"
        assert str(i18n.lazy_gettext("Cancel")) == "Batal"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert str(i18n.lazy_gettext("Cancel")) == "Cancel"


def test_a_refreshed_language_is_looked_up_again(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert i18n.gettext("Cancel") == "Cancel"
        with force_locale("id"):
            refresh()  # keeps the forced language, drops what was worked out
            assert i18n.gettext("Cancel") == "Batal"


def test_outside_a_request_texts_are_in_the_default_language(app):
    assert i18n.gettext("Resend") == "Resend"
    assert i18n.gettext("reminder %(id)s", id=7) == "reminder 7"


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("{{ _('reminder %(id)s', id=name) }}", {"name": "<b>"}, "reminder &lt;b&gt;"),
        ("{{ _('Resend') }} 100%", {}, "Resend 100%"),
        ("{{ ngettext('%(num)d unread', '%(num)d unread', n) }}", {"n": 3}, "3 unread"),
    ],
)
def test_template_texts_are_escaped_and_formatted_as_jinja_does(app, source, values, expected):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(source, **values) == expected


def test_template_texts_are_plain_text_where_nothing_is_escaped(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        template = app.jinja_env.from_string(
            "{% autoescape false %}{{ _('reminder %(id)s', id=x) }}{% endautoescape %}"
        )
        assert template.render(x="<b>") == "reminder <b>"


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "America/New_York"])
@pytest.mark.parametrize("language", ["en", "id"])
def test_dates_read_as_babel_writes_them(app, zone, language):
    """Through a year, across the daylight-saving changes where the clinic has them."""
    app.config["CLINIC_TIMEZONE"] = zone
    tz = ZoneInfo(zone)
    instant = datetime(2027, 1, 1, 0, 7, tzinfo=UTC)
    with app.test_request_context("/"), force_locale(language):
        for _ in range(1500):
            instant += timedelta(hours=5, minutes=53)
            assert local_datetime(instant) == babel_format_datetime(
                instant, "EEE d MMM y, HH:mm", tzinfo=tz, locale=language
            )
            assert local_time(instant) == babel_format_datetime(
                instant, "HH:mm", tzinfo=tz, locale=language
            )
            assert local_date_filter(instant) == babel_format_datetime(
                instant, "EEE d MMM y", tzinfo=tz, locale=language
            )
        assert local_date_filter(instant.date(), weekday=False, year=False) == (
            babel_format_datetime(instant, "d MMM", tzinfo=UTC, locale=language)
        )
