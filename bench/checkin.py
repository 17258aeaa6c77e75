"""The portal check-in POST against a bare Flask + SQLAlchemy form insert of the same row.

    .venv/bin/python bench/checkin.py [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                      [--repeat 300] [--seconds 12] [--workers 4] [--clients 8]

Creates a scratch database on the server (dropped at the end) with recovering patients signed
in to the portal, then measures the app's check-in submit (``POST /portal/check-in``: session,
form, CSRF, audit row, alert rules, commit, redirect) against a bare Flask app that reads the
same form fields and inserts the same row with SQLAlchemy on the same database (the ceiling,
``bench/checkin_server.py``), two ways:

1. in-process, one request at a time, alternately (no network): both medians and their ratio;
   and the SQL statements of one check-in;
2. throughput over HTTP against the same server: gunicorn with ``--workers`` workers serving
   both the tracker and the bare endpoints, ``--clients`` concurrent clients, each posting
   check-ins of its own patients for ``--seconds`` seconds per endpoint, in alternating windows.
   Every check-in the server accepted is then counted in the database: stored exactly once.

Not a test.
"""

import argparse
import http.client
import signal
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import sqlalchemy as sa
from checkin_server import bare_app
from common import ROOT, TOKEN, app_for, machine, server_url, side_by_side, statements
from load import serve
from reminders import make_database

from tests.support.smtp import free_port
from tracker.clock import utcnow
from tracker.db import db
from tracker.portal.models import CheckIn

FORM = {"back_pain": "3", "leg_pain": "2", "took_pain_medicine": "no"}


def setup(url: str, patients: int) -> list[tuple[int, int, str]]:
    """The schema, the pathways and ``patients`` patients recovering from surgery five days
    ago, each with a personal portal link: (journey id, patient id, link token) of each."""
    from flask_migrate import upgrade

    from tracker.journeys.services import JourneyDetails, start_journey
    from tracker.pathways.services import latest_template, load_directory
    from tracker.patients.models import Patient
    from tracker.portal.services import issue_invitation

    app = app_for(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        now = utcnow()
        load_directory(now=now)
        template = latest_template("teld")
        made = []
        for n in range(patients):
            patient = Patient(
                mrn=f"BENCH{n}",
                given_name="Bench",
                family_name=f"Patient {n}",
                birth_date=date(1970, 1, 1),
                sex="other",
                email=f"bench{n}@example.test",
                language="en",
                timezone="Asia/Jakarta",
                consent_email=True,
            )
            db.session.add(patient)
            journey = start_journey(
                patient,
                template,
                JourneyDetails(
                    condition="herniated_disc",
                    levels="L4-L5",
                    side="left",
                    approach="transforaminal",
                    anesthesia="local_sedation",
                    consultation_date=now.date() - timedelta(days=30),
                    surgery_at=datetime.combine(
                        now.date() - timedelta(days=5), datetime.min.time(), UTC
                    ),
                ),
                actor=None,
                now=now,
            )
            _, token = issue_invitation(journey, actor=None, now=now)
            made.append((journey, token))
        db.session.commit()
        made = [(journey.id, journey.patient_id, token) for journey, token in made]
        db.engine.dispose()
    return made


def portal_client(url: str, token: str):
    """The app and a test client signed in to the portal through a personal link."""
    app = app_for(url)
    client = app.test_client()
    page = client.get(f"/portal/i/{token}").get_data(as_text=True)
    response = client.post(f"/portal/i/{token}", data={"csrf_token": TOKEN.search(page).group(1)})
    assert response.status_code in (302, 303), response.status_code
    form = client.get("/portal/check-in").get_data(as_text=True)
    return app, client, TOKEN.search(form).group(1)


def in_process(url: str, patient: tuple[int, int, str], repeat: int) -> None:
    journey_id, patient_id, token = patient
    app, client, csrf = portal_client(url, token)
    ceiling = bare_app(url).test_client()

    def portal() -> None:
        data = {**FORM, "csrf_token": csrf, "idempotency_key": uuid.uuid4().hex}
        response = client.post("/portal/check-in", data=data)
        assert response.status_code == 303, response.status_code

    def bare(path: str):
        def post() -> None:
            data = {
                **FORM,
                "journey_id": journey_id,
                "patient_id": patient_id,
                "idempotency_key": uuid.uuid4().hex,
            }
            response = ceiling.post(path, data=data)
            assert response.status_code == 303, response.status_code

        return post

    core, orm = bare("/core"), bare("/orm")
    for _ in range(20):  # warm all three
        portal()
        core()
        orm()
    with statements(app) as counter:
        portal()
    app_ms, core_ms = side_by_side(portal, core, repeat)
    app_ms2, orm_ms = side_by_side(portal, orm, repeat)
    app_ms = statistics.median([app_ms, app_ms2])
    print(f"1. in-process, one at a time, median of {repeat}")
    print(f"  bare Flask + SQLAlchemy Core insert : {core_ms:6.2f} ms")
    print(f"  bare Flask + Flask-SQLAlchemy ORM   : {orm_ms:6.2f} ms")
    print(
        f"  portal check-in POST                : {app_ms:6.2f} ms = {core_ms / app_ms:.2f} "
        f"of the Core insert's throughput, {orm_ms / app_ms:.2f} of the ORM insert's; "
        f"{counter[0]} SQL statements"
    )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    ceiling.application.dispose()


class Browser:
    """One patient's phone: cookies kept, a new connection per request (gunicorn's sync
    workers close each one), the least work a client can do."""

    def __init__(self, port: int, journey_id: int, patient_id: int):
        self.port, self.journey_id, self.patient_id = port, journey_id, patient_id
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for value in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(value)
                self.cookies.update({key: morsel.value for key, morsel in cookie.items()})
            return response.status, text
        finally:
            conn.close()

    def sign_in(self, token: str) -> None:
        _, page = self.request("GET", f"/portal/i/{token}")
        status, _ = self.request(
            "POST", f"/portal/i/{token}", {"csrf_token": TOKEN.search(page).group(1)}
        )
        assert status in (302, 303), status
        _, form = self.request("GET", "/portal/check-in")
        self.csrf = TOKEN.search(form).group(1)

    def check_in(self) -> bool:
        key = "http-" + uuid.uuid4().hex
        data = {**FORM, "csrf_token": self.csrf, "idempotency_key": key}
        return self.request("POST", "/portal/check-in", data)[0] == 303

    def bare(self) -> bool:
        data = {
            **FORM,
            "journey_id": self.journey_id,
            "patient_id": self.patient_id,
            "idempotency_key": "bare-" + uuid.uuid4().hex,
        }
        return self.request("POST", "/bare/core", data)[0] == 303


def window(browsers: list[Browser], clients: int, seconds: float, bare: bool) -> tuple:
    """``clients`` threads posting for ``seconds``, each through its own share of the
    patients in turn: (accepted, refused)."""
    until = time.perf_counter() + seconds
    counts = [[0, 0] for _ in range(clients)]

    def run(n: int) -> None:
        mine = browsers[n::clients]
        turn = 0
        while time.perf_counter() < until:
            browser = mine[turn % len(mine)]
            turn += 1
            ok = browser.bare() if bare else browser.check_in()
            counts[n][0 if ok else 1] += 1

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def over_http(url: str, patients: list, seconds: float, workers: int, clients: int) -> bool:
    port = free_port()
    server = serve(
        url, port, workers, app="checkin_server:make()", pythonpath=f"{ROOT / 'bench'},{ROOT}"
    )
    try:
        browsers = [Browser(port, journey_id, patient_id) for journey_id, patient_id, _ in patients]
        for browser, (_, _, token) in zip(browsers, patients, strict=True):
            browser.sign_in(token)
        window(browsers, clients, 2, bare=False)  # warm every worker, both ways
        window(browsers, clients, 2, bare=True)
        app = app_for(url)
        with app.app_context():
            before = db.session.scalar(
                sa.select(sa.func.count()).where(CheckIn.idempotency_key.like("http-%"))
            )
        rounds, totals = 4, {False: [0, 0], True: [0, 0]}
        for n in range(rounds):
            for bare in (False, True) if n % 2 == 0 else (True, False):
                accepted, refused = window(browsers, clients, seconds / rounds, bare)
                totals[bare][0] += accepted
                totals[bare][1] += refused
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    with app.app_context():
        stored = db.session.scalar(
            sa.select(sa.func.count()).where(CheckIn.idempotency_key.like("http-%"))
        )
        db.engine.dispose()
    portal_rate, bare_rate = totals[False][0] / seconds, totals[True][0] / seconds
    print(
        f"2. over HTTP, the same server: gunicorn -w {workers} serving both, {clients} clients, "
        f"{len(patients)} patients, {seconds:.0f} s each in {rounds} alternating windows"
    )
    print(f"  bare Core insert endpoint  : {bare_rate:7.1f} check-ins/s")
    print(
        f"  portal check-in POST       : {portal_rate:7.1f} check-ins/s = "
        f"{portal_rate / bare_rate:.2f} of the bare insert's throughput"
    )
    refused = totals[False][1] + totals[True][1]
    print(
        f"  refused: {refused}; check-ins accepted {totals[False][0]}, stored "
        f"{stored - before} (exactly once each: {stored - before == totals[False][0]})"
    )
    return refused == 0 and stored - before == totals[False][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=server_url())
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=12, help="per endpoint, over HTTP")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--patients", type=int, default=64)
    args = parser.parse_args()

    url, drop = make_database(args.server)
    try:
        patients = setup(url, args.patients)
        print(f"check-in POST, PostgreSQL ({machine()})")
        in_process(url, patients[0], args.repeat)
        ok = over_http(url, patients[1:], args.seconds, args.workers, args.clients)
    finally:
        drop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
