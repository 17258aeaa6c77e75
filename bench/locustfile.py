"""Locust users for ``bench/load.py``: patients checking in from home, coordinators browsing.

Each patient signs in with a personal portal link (``LOAD_TOKENS``: a JSON list written by
``bench/load.py``), then keeps opening the portal and checking in; now and then the submit is
sent twice (a double tap), which must still store one check-in. Every check-in the server
accepted is written to ``LOAD_ACCEPTED`` at the end, for ``bench/load.py`` to find in the
database. Coordinators sign in and browse the staff pages.
"""

import json
import os
import random
import re

from locust import HttpUser, between, events, task

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
#: where an accepted check-in lands: thanks, or the advice about the warning signs it reported
LANDED = re.compile(r"/portal/check-in/(thanks|\d+/advice)$")
TOKENS: list[str] = json.loads(open(os.environ["LOAD_TOKENS"]).read())  # noqa: SIM115
ACCEPTED: list[str] = []
STAFF_PAGES = (
    ("/", "dashboard"),
    ("/patients", "patient list"),
    ("/patients?q=santoso", "patient search"),
    ("/patients/board", "stage board"),
    ("/alerts", "alerts"),
    ("/outbox/", "outbox"),
    ("/discharge/today", "today's discharges"),
    ("/messages", "messages inbox"),
    ("/reports/outcomes", "outcomes report"),
)


def csrf(html: str) -> str:
    return TOKEN.search(html).group(1)


class Patient(HttpUser):
    weight = 10
    wait_time = between(1, 3)

    def on_start(self) -> None:
        token = TOKENS.pop()
        page = self.client.get(f"/portal/i/{token}", name="portal link")
        self.client.post(
            f"/portal/i/{token}", data={"csrf_token": csrf(page.text)}, name="portal sign-in"
        )

    @task(1)
    def home(self) -> None:
        self.client.get("/portal/", name="portal home")

    @task(3)
    def check_in(self) -> None:
        form = self.client.get("/portal/check-in", name="check-in form")
        data = {
            "csrf_token": csrf(form.text),
            "idempotency_key": KEY.search(form.text).group(1),
            "back_pain": str(random.randint(0, 6)),
            "leg_pain": str(random.randint(0, 6)),
            "took_pain_medicine": random.choice(("yes", "no")),
        }
        if random.random() < 0.02:
            data["flag_fever"] = "y"
        taps = 2 if random.random() < 0.1 else 1
        for _ in range(taps):
            with self.client.post(
                "/portal/check-in", data=data, name="check-in submit", catch_response=True
            ) as response:
                if response.status_code == 200 and LANDED.search(response.url.rstrip("/")):
                    response.success()
                else:
                    response.failure(f"not accepted: {response.status_code} {response.url}")
        ACCEPTED.append(data["idempotency_key"])


class Coordinator(HttpUser):
    fixed_count = 5
    wait_time = between(1, 4)

    def on_start(self) -> None:
        page = self.client.get("/sign-in", name="sign-in")
        self.client.post(
            "/sign-in",
            data={
                "email": os.environ.get("LOAD_STAFF_EMAIL", "coordinator@demo.clinic"),
                "password": os.environ.get("LOAD_STAFF_PASSWORD", "demo-clinic-2026"),
                "csrf_token": csrf(page.text),
            },
            name="sign-in",
        )

    @task
    def browse(self) -> None:
        path, name = random.choice(STAFF_PAGES)
        self.client.get(path, name=name)


@events.test_stop.add_listener
def keep_accepted(environment, **kwargs) -> None:
    with open(os.environ["LOAD_ACCEPTED"], "w") as out:
        json.dump(ACCEPTED, out)
