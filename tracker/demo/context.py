"""What every step of the demo shares (:class:`Demo`: the moment it is made, its clinic day,
a seeded generator) and the shape of a step (:class:`Step`)."""

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tracker.auth.models import StaffUser
from tracker.auth.services import user_by_email
from tracker.demo.cases import CASES, SEED, STAFF, Case
from tracker.timeutil import at_local, clinic_tz


@dataclass
class Demo:
    """What every step shares: the moment the demo is made, its clinic day and a seeded RNG."""

    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    cases: tuple[Case, ...] = CASES

    @property
    def tz(self) -> ZoneInfo:
        return clinic_tz()

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def staff(self, key: str) -> StaffUser:
        email = next(s[1] for s in STAFF if s[0] == key)
        user = user_by_email(email)
        if user is None:
            raise RuntimeError(f"demo staff user {email} is missing")
        return user

    def at(self, day: int | date, clock: str, minutes: int = 0) -> datetime:
        """The UTC instant of a clinic wall-clock time ``day`` days from today."""
        if isinstance(day, int):
            day = self.today + timedelta(days=day)
        return at_local(day, time.fromisoformat(clock), self.tz) + timedelta(minutes=minutes)


@dataclass(frozen=True)
class Step:
    """One part of the demo; ``run`` yields once per unit of work (for the progress bar)."""

    name: str
    is_done: Callable[[Demo], bool]
    size: Callable[[Demo], int]
    run: Callable[[Demo], Iterator[None]]
