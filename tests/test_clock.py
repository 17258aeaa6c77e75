"""The one clock seam: ``tracker.clock``."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import tracker
from tracker import clock

PACKAGE = Path(tracker.__file__).parent
READS_THE_CLOCK = re.compile(r"\b(datetime\.(now|utcnow|today)|date\.today|time\.time(_ns)?)\(")


def test_only_the_clock_module_reads_the_system_clock():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "clock.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if READS_THE_CLOCK.search(line)
    ]
    assert offenders == [], "read the time through tracker.clock.utcnow()"


def test_utcnow_is_aware_utc_and_follows_a_moved_clock(time_machine):
    time_machine.move_to(datetime(2031, 6, 1, 12, 0, tzinfo=UTC), tick=False)
    assert clock.utcnow() == datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
    assert clock.utcnow().tzinfo is UTC


def test_the_clinic_day_turns_at_the_clinics_midnight_not_utcs(app, time_machine):
    app.config["CLINIC_TIMEZONE"] = "Asia/Jakarta"  # UTC+7
    time_machine.move_to(datetime(2031, 6, 1, 16, 59, tzinfo=UTC), tick=False)
    assert clock.clinic_today() == date(2031, 6, 1)  # 23:59 in Jakarta
    time_machine.move_to(datetime(2031, 6, 1, 17, 0, tzinfo=UTC), tick=False)
    assert clock.clinic_today() == date(2031, 6, 2)  # 00:00 in Jakarta, still June 1 in UTC
    assert clock.clinic_today(datetime(2031, 6, 1, 16, 0, tzinfo=UTC)) == date(2031, 6, 1)
