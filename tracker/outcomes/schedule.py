"""The questionnaire schedule a pathway template gives under ``outcomes:``, and its dates.

Each timepoint names its instruments and, after surgery, its day and window in days after the
operation (the patient's local calendar); the baseline is any time before the operation.
A timepoint may name the pathway task that its completion ticks off: the patient's "due" and
"not done yet" messages are ordinary reminder rules that name the same task, so they stop once
it is done, and they move with the surgery like every reminder. A timepoint without
instruments (2 weeks by default) only gives the report a window for the daily pain check-ins.

Example (``pathways/data/teld.yaml``)::

    outcomes:
      timepoints:
        - {key: baseline, task: baseline_scores, instruments: [odi, back_pain, leg_pain]}
        - {key: 6w, day: 42, from_day: 35, to_day: 49, task: outcome_6w,
           instruments: [odi, back_pain, leg_pain, global_change]}
      expected:
        odi: [{day: 0, low: 40, high: 80}, {day: 42, low: 5, high: 30}]
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tracker.outcomes.definitions import shipped
from tracker.outcomes.models import TIMEPOINTS


@dataclass(frozen=True)
class Timepoint:
    key: str
    instruments: tuple[str, ...]
    task: str | None = None
    #: target day after the operation (None for the baseline)
    day: int | None = None
    #: the window, in days after the operation; the baseline's ``to_day`` is the operation
    from_day: int | None = None
    to_day: int | None = None

    @property
    def is_baseline(self) -> bool:
        return self.key == "baseline"

    @property
    def ordinal(self) -> int:
        return TIMEPOINTS.index(self.key)

    def window(self, surgery_day: date | None) -> tuple[date | None, date | None, date | None]:
        """(opens, due, closes) as local dates; the baseline closes on the operation day."""
        if surgery_day is None:
            return None, None, None
        if self.is_baseline:
            opens = surgery_day + timedelta(self.from_day) if self.from_day is not None else None
            return opens, None, surgery_day
        return (
            surgery_day + timedelta(self.from_day),
            surgery_day + timedelta(self.day),
            surgery_day + timedelta(self.to_day),
        )


def problem(section, tasks: dict[str, dict]) -> str | None:
    """What is wrong with a template's ``outcomes:`` section, or None. ``tasks``: key -> spec."""
    if not isinstance(section, dict) or not isinstance(section.get("timepoints"), list):
        return "needs a list of timepoints"
    known = shipped()
    seen: list[str] = []
    last_to = None
    for spec in section["timepoints"]:
        if not isinstance(spec, dict):
            return "each timepoint is a mapping"
        key = spec.get("key")
        where = f"timepoint {key}"
        if key not in TIMEPOINTS or key in seen:
            return f"{where}: key must be one of {', '.join(TIMEPOINTS)}, each at most once"
        if seen and TIMEPOINTS.index(key) < TIMEPOINTS.index(seen[-1]):
            return f"{where}: timepoints go in the order {', '.join(TIMEPOINTS)}"
        seen.append(key)
        instruments = spec.get("instruments", [])
        if not isinstance(instruments, list) or set(instruments) - set(known):
            unknown = sorted(set(instruments) - set(known)) if isinstance(instruments, list) else []
            return f"{where}: unknown instrument(s) {', '.join(unknown)}; use {', '.join(known)}"
        task = spec.get("task")
        if task is not None and task not in tasks:
            return f"{where}: task {task!r} is not a task of this pathway"
        if key == "baseline":
            if "day" in spec or "to_day" in spec:
                return f"{where}: the baseline is before the operation; give no day or to_day"
            if spec.get("from_day") is not None and not _whole(spec["from_day"], below=0):
                return f"{where}: from_day must be a whole number of days before the operation"
            continue
        message = _window_problem(spec, last_to)
        if message:
            return f"{where}: {message}"
        surgery_task = task is not None and tasks[task].get("anchor") == "surgery"
        if surgery_task and tasks[task].get("offset_days") != spec["day"]:
            return f"{where}: its task {task} must be due on day {spec['day']} after surgery"
        last_to = spec["to_day"]
    return _expected_problem(section.get("expected", {}), known)


def _whole(value, *, below: int | None = None, above: int | None = None) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return (below is None or value < below) and (above is None or value > above)


def _window_problem(spec: dict, last_to: int | None) -> str | None:
    day, lo, hi = spec.get("day"), spec.get("from_day"), spec.get("to_day")
    if not all(_whole(v, above=0) for v in (day, lo, hi)):
        return "needs day, from_day and to_day: whole numbers of days after the operation"
    if not lo <= day <= hi:
        return "needs from_day <= day <= to_day"
    if last_to is not None and lo <= last_to:
        return "its window overlaps the one before"
    return None


def _expected_problem(expected, known) -> str | None:
    if not isinstance(expected, dict):
        return "expected: must map an instrument to its band"
    for key, band in expected.items():
        if key not in known:
            return f"expected: unknown instrument {key}"
        if not isinstance(band, list) or not band:
            return f"expected {key}: needs a list of {{day, low, high}}"
        for point in band:
            values = (
                [point.get(k) for k in ("day", "low", "high")] if isinstance(point, dict) else []
            )
            if len(values) != 3 or not all(isinstance(v, int | float) for v in values):
                return f"expected {key}: each point needs day, low and high"
            if point["low"] > point["high"]:
                return f"expected {key}: low must not be above high"
    return None


def timepoints(template_definition: dict) -> list[Timepoint]:
    """The schedule of a template version (empty when it has none)."""
    section = template_definition.get("outcomes") or {}
    return [
        Timepoint(
            key=spec["key"],
            instruments=tuple(spec.get("instruments", [])),
            task=spec.get("task"),
            day=spec.get("day"),
            from_day=spec.get("from_day"),
            to_day=spec.get("to_day"),
        )
        for spec in section.get("timepoints", [])
    ]


def expected_band(template_definition: dict, instrument: str) -> list[dict] | None:
    """The pathway's expected range for an instrument (leg pain: its ``expected_recovery``)."""
    expected = (template_definition.get("outcomes") or {}).get("expected", {})
    if instrument in expected:
        return expected[instrument]
    if instrument == "leg_pain":
        return template_definition.get("expected_recovery")
    return None


def infer(
    schedule: list[Timepoint],
    completed_at: datetime,
    surgery_at: datetime | None,
    surgery_day: date | None,
    completed_day: date,
) -> str | None:
    """The timepoint an answer given at ``completed_at`` belongs to, or None (unscheduled)."""
    keys = {tp.key: tp for tp in schedule}
    if surgery_at is None or completed_at < surgery_at:
        baseline = keys.get("baseline")
        if baseline is None:
            return None
        opens = baseline.window(surgery_day)[0]
        return "baseline" if opens is None or completed_day >= opens else None
    days = (completed_day - surgery_day).days
    for tp in schedule:
        if not tp.is_baseline and tp.from_day <= days <= tp.to_day:
            return tp.key
    return None
