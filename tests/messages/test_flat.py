"""The message lists cost the same statements however many messages and photos there are."""

from datetime import timedelta

from tests.messages.conftest import jpeg_with_gps
from tracker.clock import utcnow
from tracker.db import db
from tracker.messages import services
from tracker.messages.photos import clean_photo


def _statements(client, count_queries, url: str) -> int:
    client.get(url)
    db.session.remove()
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def test_dashboard_inbox_and_journey_page_stay_flat(
    clock, make_journey, make_patient, staff_browser, count_queries
):
    photo = clean_photo(jpeg_with_gps((200, 150))).data
    journeys = [make_journey(make_patient(mrn=f"F-{n}")) for n in range(6)]
    long_ago = utcnow() - timedelta(days=6)

    def write(journey, count: int) -> None:
        for n in range(count):
            services.send_from_patient(journey, f"question {n}", [photo], now=long_ago)
        db.session.commit()

    write(journeys[0], 1)
    first = journeys[0].id
    pages = ("/", "/messages", f"/journeys/{first}")
    small = {url: _statements(staff_browser.client, count_queries, url) for url in pages}
    for journey in journeys:
        write(journey, 3)
    large = {url: _statements(staff_browser.client, count_queries, url) for url in pages}
    assert large == small
