"""Staff pages at two clinic sizes, side by side: time and SQL statements per page.

    .venv/bin/python bench/pages.py [--dialect sqlite postgresql] [--sizes 1000 100000]
                                    [--repeat 7] [--rebuild]

For each database kind, builds (once, then keeps; see bench/common.py) a clinic of each size with
the generator, signs in as the demo coordinator and requests every staff page through the app
(warm, in-process, no network), alternating between the two clinics. Prints the median time at
each size, their ratio and the SQL statements each page ran. Not a test: speed is never asserted.
"""

import argparse

import sqlalchemy as sa
from common import app_for, clinic, machine, side_by_side, signed_in, statements

from tracker.clock import utcnow
from tracker.db import db
from tracker.journeys.models import Journey
from tracker.outcomes import snapshots
from tracker.outcomes.report import ReportFilters
from tracker.portal.models import CheckIn

PAGES = (
    ("dashboard", "/"),
    ("patient list", "/patients"),
    ("patient search", "/patients?q=santo"),
    ("patients by surgery date", "/patients?sort=surgery"),
    ("patients in preparation", "/patients?stage=preparation"),
    ("stage board", "/patients/board"),
    ("alerts to deal with", "/alerts"),
    ("resolved alerts", "/alerts?status=resolved"),
    ("outbox", "/outbox/"),
    ("outbox: failed", "/outbox/?status=failed"),
    ("outbox: sent", "/outbox/?status=sent"),
    ("today's discharges", "/discharge/today"),
    ("journey page", "/journeys/{journey}"),
    ("patient page", "/patients/{patient}"),
    ("messages inbox", "/messages"),
    ("closed conversations", "/messages?status=closed"),
    ("outcomes report", "/reports/outcomes"),
)


def sample(app) -> dict:
    """A typical journey to open: recovering at home, with check-ins (the busiest page)."""
    with app.app_context():
        journey = db.session.scalar(
            sa.select(Journey)
            .where(
                Journey.status == "active",
                Journey.stage == "follow_up",
                Journey.id.in_(sa.select(CheckIn.journey_id)),
            )
            .order_by(Journey.id.desc())
            .limit(1)
        )
        return {"journey": journey.id, "patient": journey.patient_id}


def keep_report(app) -> None:
    """Above ``OUTCOMES_REPORT_LIVE_LIMIT`` the outcomes page reads a kept report: make it first,
    as the scheduler would have (a cohort within the limit is summed up on every view)."""
    with app.app_context():
        shown = snapshots.for_page(ReportFilters(), now=utcnow())
        db.session.commit()
        if shown.start is not None:
            snapshots.make(shown.start)
        db.session.remove()


def run(dialect: str, sizes: list[int], repeat: int, rebuild: bool, urls=None) -> None:
    small_n, large_n = sizes
    urls = urls or [clinic(dialect, n, rebuild=rebuild) for n in sizes]
    apps = [app_for(url) for url in urls]
    clients = [signed_in(app) for app in apps]
    samples = [sample(app) for app in apps]
    for app in apps:
        keep_report(app)
    print(f"\n{dialect}: {small_n} vs {large_n} patients, median of {repeat} ({machine()})")
    print(f"{'page':<28}{small_n:>10,} ms{large_n:>10,} ms{'ratio':>8}   statements")
    for label, path in PAGES:
        urls = [path.format(**s) for s in samples]

        def get(n: int, url_list=urls):
            response = clients[n].get(url_list[n])
            assert response.status_code == 200, (url_list[n], response.status_code)

        counts = []
        for n in (0, 1):
            get(n)  # warm: templates compiled, caches filled
            with statements(apps[n]) as counter:
                get(n)
            counts.append(counter[0])
        small, large = side_by_side(lambda: get(0), lambda: get(1), repeat)
        print(
            f"{label:<28}{small:>13.1f}{large:>13.1f}{large / small:>8.2f}   "
            f"{counts[0]} / {counts[1]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--sizes", type=int, nargs=2, default=[1000, 100_000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true", help="generate the clinics again")
    parser.add_argument(
        "--urls", nargs=2, metavar=("SMALL", "LARGE"), help="use these two databases as they are"
    )
    parser.add_argument("--only", nargs="*", help="only the pages whose label has these words")
    args = parser.parse_args()
    if args.only:
        global PAGES
        PAGES = tuple(p for p in PAGES if any(w in p[0] for w in args.only))
    if args.urls:
        run("given", args.sizes, args.repeat, False, urls=args.urls)
        return
    for dialect in args.dialect:
        run(dialect, args.sizes, args.repeat, args.rebuild)


if __name__ == "__main__":
    main()
