"""A generated journey's patient portal: the invitation, daily check-ins, milestones and alerts.

Most patients are invited when they go home and most of those log their pain for two weeks:
leg pain falls, now and then a day is missed, a few report a warning sign or a setback, a few
stop. The alert rules of ``tracker.portal.alerts`` are applied to every check-in as it comes
(and the daily missed-check-in job to every day), with each template's thresholds, so the
alerts are the ones the app itself would have raised; older ones were acknowledged and resolved.
"""

import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tracker.portal.alerts import DEFAULT_THRESHOLDS, SEVERITY
from tracker.portal.models import RED_FLAGS
from tracker.scale import conversations, messages
from tracker.scale.context import Context, Ledger, Rows, audit, local_at, zone
from tracker.vocabulary import record_alert_summary

INVITED = 0.65
TAKES_PART = 0.78
RESOLUTION_NOTES = (
    "Called the patient; advised rest and paracetamol. Call back if worse.",
    "Seen in clinic the same day; wound fine, reassured.",
    "Spoke to the patient: entered the wrong number; pain is settling.",
    "Called; booked an earlier review with the surgeon.",
    "Patient came to emergency; admitted for MRI. Surgeon informed.",
)
FLAG_CHOICES = ("flag_fever", "flag_wound", "flag_weakness", "flag_saddle")
FLAG_WEIGHTS = (0.45, 0.35, 0.15, 0.05)


@dataclass
class Raised:
    row: dict
    resolved_at: datetime | None


def activity(ctx: Context, rng: random.Random, life, ledger: Ledger, rows: Rows) -> None:
    task = next((t for t in life.tasks if t["key"] == "portal_invited"), None)
    reached = life.stage_exit("procedure")  # entered the discharge stage
    if reached is None:
        return
    home = life.stage_exit("discharge")
    invite_at = (home - timedelta(minutes=20)) if home else reached + timedelta(minutes=30)
    if invite_at > ctx.now or rng.random() > INVITED:
        if home is not None and task is not None and task["status"] == "open":
            _tick(rows, ledger, life, task, home - timedelta(minutes=10), skip=True)
        return
    invitation = _invite(ctx, rng, life, ledger, rows, invite_at)
    if task is not None and task["status"] == "open":
        _tick(rows, ledger, life, task, invite_at)
    if rng.random() < TAKES_PART:
        _check_ins(ctx, rng, life, ledger, rows, invitation)
    else:
        _daily_checks(ctx, life, ledger, rows, invitation, [], [])
    conversations.activity(ctx, life, ledger, rows, invitation)


def _invite(ctx: Context, rng, life, ledger: Ledger, rows: Rows, at: datetime) -> dict:
    # The calendar feed key as tracker.portal.services.feed_key derives it (so feeds work).
    nonce = rng.getrandbits(256).to_bytes(32, "big").hex()
    secret = ctx.config["secret_key"].encode()
    feed_key = hmac.new(secret, f"feed:{nonce}".encode(), "sha256").hexdigest()
    feed_hash = hashlib.sha256(feed_key.encode()).hexdigest()
    previous = life.previous_invitation
    replaced = 0
    if previous is not None and previous["revoked_at"] is None:
        previous["revoked_at"], previous["revoked_by_id"] = at, life.coordinator.id
        replaced = 1
    days = int(ctx.config["invitation_days"])
    invitation = rows.add(
        "portal_invitations",
        id=ledger.id("portal_invitations"),
        patient_id=life.patient_id,
        journey_id=life.id,
        feed_nonce=nonce,
        feed_key_hash=feed_hash,
        created_at=at,
        created_by_id=life.coordinator.id,
        expires_at=at + timedelta(days=days),
        revoked_at=None,
        revoked_by_id=None,
        last_used_at=None,
    )
    life.invitation = invitation
    audit(
        rows, ledger.audit, at, "portal.invite", "PortalInvitation", invitation["id"],
        actor=life.coordinator, patient_id=life.patient_id,
        details={"journey_id": life.id, "expires_at": invitation["expires_at"],
                 "replaced": replaced},
    )  # fmt: skip
    return invitation


def _tick(rows: Rows, ledger: Ledger, life, task: dict, at: datetime, skip: bool = False):
    """``tick_task`` when invited; an optional task skipped at discharge otherwise."""
    task["done_at"], task["done_by_id"] = at, life.coordinator.id
    if skip:
        task["status"], task["skip_reason"] = "skipped", "Patient declined."
        details = {"task": task["key"], "reason": task["skip_reason"]}
    else:
        task["status"] = "done"
        details = {"task": task["key"], "status": ["open", "done"]}
    action = "task.skip" if skip else "task.complete"
    audit(
        rows, ledger.audit, at, action, "Task", task["id"],
        actor=life.coordinator, patient_id=life.patient_id, details=details,
    )  # fmt: skip


def _thresholds(life) -> dict:
    return {**DEFAULT_THRESHOLDS, **(life.definition.get("alerts") or {})}


def _check_ins(ctx: Context, rng, life, ledger: Ledger, rows: Rows, invitation: dict) -> None:
    tz_name = life.patient["timezone"]
    tz = zone(tz_name)
    operated = life.surgery_at.astimezone(tz).date()
    today = ctx.now.astimezone(tz).date()
    limits = _thresholds(life)
    end = life.ended_at or ctx.now
    made: list[dict] = []
    raised: list[Raised] = []
    # Taken by the coordinator at the consultation (TELD patients: leg pain about 7.6).
    base_leg, base_back = rng.randint(5, 7), rng.randint(3, 6)
    baseline_at = ctx.at(life.consult_day, "10:30")
    baseline = _check_in(
        ctx, life, ledger, rows, baseline_at, base_back, base_leg, True, staff=True
    )
    _rules(ctx, rng, life, ledger, rows, baseline, made, raised, limits, operated)
    made.append(baseline)
    days = min(limits["checkin_days"], (today - operated).days)
    stop = rng.randint(2, 10) if rng.random() < 0.06 else None
    flag_day = rng.randint(1, 10) if rng.random() < 0.03 else None
    setback_day = rng.randint(5, 13) if rng.random() < 0.03 else None
    missed_run = 0
    for day in range(1, days + 1):
        if stop is not None and day > stop:
            break
        if missed_run < 2 and day not in (flag_day, setback_day) and rng.random() < 0.15:
            missed_run += 1
            continue
        missed_run = 0
        at = local_at(operated + timedelta(days=day), "08:00", tz_name) + timedelta(
            minutes=rng.randint(0, 660)
        )
        if at > min(ctx.now, end):
            break
        leg = round(base_leg * 0.75 ** (day + 1) + rng.uniform(-0.5, 1))
        back = round(base_back * 0.85 ** (day + 1) + rng.uniform(-0.5, 1))
        if day == setback_day:
            leg += 5
        flags = set()
        if day == flag_day:
            flags = {rng.choices(FLAG_CHOICES, FLAG_WEIGHTS)[0]}
        row = _check_in(ctx, life, ledger, rows, at, back, leg, day < 7, flags=flags)
        if invitation["last_used_at"] is None:
            invitation["last_used_at"] = at - timedelta(minutes=2)
            audit(
                rows, ledger.audit, at - timedelta(minutes=2), "portal.sign_in",
                "PortalInvitation", invitation["id"], actor=None, patient_id=life.patient_id,
            )  # fmt: skip
        _rules(ctx, rng, life, ledger, rows, row, made, raised, limits, operated)
        made.append(row)
    _milestones(ctx, rng, life, ledger, rows, operated, today)
    _daily_checks(ctx, life, ledger, rows, invitation, made, raised)


def _check_in(ctx, life, ledger, rows, at, back, leg, medicine, *, flags=(), staff=False) -> dict:
    coordinator = life.coordinator
    cid = ledger.id("portal_check_ins")
    back, leg = max(0, min(10, back)), max(0, min(10, leg))
    row = rows.add(
        "portal_check_ins",
        id=cid,
        journey_id=life.id,
        patient_id=life.patient_id,
        day=at.astimezone(zone(life.patient["timezone"])).date(),
        recorded_at=at,
        back_pain=back,
        leg_pain=leg,
        took_pain_medicine=medicine,
        note=None,
        entered_by="staff" if staff else "patient",
        entered_by_id=coordinator.id if staff else None,
        idempotency_key=f"scale-j{life.id:09d}-{cid % 1000:03d}",
        **{flag: flag in flags for flag in RED_FLAGS},
    )
    audit(
        rows, ledger.audit, at, "portal.check_in", "CheckIn", cid,
        actor=coordinator if staff else None, patient_id=life.patient_id,
        details={"back_pain": back, "leg_pain": leg,
                 "red_flags": [f for f in RED_FLAGS if f in flags],
                 "entered_by": row["entered_by"]},
    )  # fmt: skip
    return row


def _unresolved(raised: list[Raised], kind: str, at: datetime) -> bool:
    return any(
        r.row["kind"] == kind and (r.resolved_at is None or r.resolved_at > at) for r in raised
    )


def _rules(ctx, rng, life, ledger, rows, check_in, before_all, raised, limits, operated) -> None:
    """``alerts.evaluate_check_in`` on the check-ins made so far."""
    at, day = check_in["recorded_at"], check_in["day"]
    flags = [f for f in RED_FLAGS if check_in[f]]
    if flags:
        who = "taken by phone" if check_in["entered_by"] == "staff" else "in the portal"
        _raise(ctx, rng, life, ledger, rows, raised, "red_flag",
               {"flags": flags, "entered": who}, check_in=check_in)  # fmt: skip
    high = max(check_in["back_pain"], check_in["leg_pain"])
    if high >= limits["pain_high"] and not _unresolved(raised, "pain_high", at):
        pains = {"back": check_in["back_pain"], "leg": check_in["leg_pain"]}
        _raise(ctx, rng, life, ledger, rows, raised, "pain_high", pains, check_in=check_in)
    start = day - timedelta(days=limits["rise_window_days"])
    window = [c for c in before_all if start <= c["day"] < day]
    if window and not _unresolved(raised, "pain_rise", at):
        rises = []
        for part in ("back", "leg"):
            average = sum(c[f"{part}_pain"] for c in window) / len(window)
            score = check_in[f"{part}_pain"]
            if score - average >= limits["pain_rise"]:
                rises.append([part, round(average, 1), score])
        if rises:
            rise = {"window_days": limits["rise_window_days"], "rises": rises}
            _raise(ctx, rng, life, ledger, rows, raised, "pain_rise", rise, check_in=check_in)
    if day <= operated:
        return
    earlier = [c for c in before_all if c["day"] < operated]
    if not earlier:
        return
    baseline = max(earlier, key=lambda c: (c["day"], c["recorded_at"], c["id"]))["leg_pain"]
    if baseline < limits["leg_pain_relief_points"]:
        return
    after = [c["leg_pain"] for c in before_all if c["day"] >= operated and c["recorded_at"] <= at]
    best = min(after) if after else None
    relieved = best is not None and best <= baseline - limits["leg_pain_relief_points"]
    if not relieved or check_in["leg_pain"] < baseline * limits["leg_pain_return_fraction"]:
        return
    if _unresolved(raised, "leg_pain_return", at):
        return
    _raise(ctx, rng, life, ledger, rows, raised, "leg_pain_return",
           {"leg": check_in["leg_pain"], "baseline": baseline, "best": best},
           check_in=check_in)  # fmt: skip


def _raise(
    ctx,
    rng,
    life,
    ledger,
    rows,
    raised,
    kind,
    details,
    *,
    check_in=None,
    dedup_key=None,
    at=None,
) -> None:
    """``alerts._raise``: the alert, its audit event, the on-duty email; then its handling."""
    at = at or check_in["recorded_at"]
    severity = SEVERITY.get(kind, "normal")
    summary = record_alert_summary(kind, details)
    alert = {
        "id": ledger.id("portal_alerts"),
        "journey_id": life.id,
        "patient_id": life.patient_id,
        "check_in_id": check_in["id"] if check_in else None,
        "kind": kind,
        "severity": severity,
        "status": "open",
        "summary": summary[:300],
        "details": details,
        "dedup_key": dedup_key or f"{kind}:{check_in['id']}",
        "created_at": at,
        "acknowledged_at": None,
        "acknowledged_by_id": None,
        "resolved_at": None,
        "resolved_by_id": None,
        "resolution_note": None,
    }
    audit(
        rows, ledger.audit, at, "alert.raise", "Alert", alert["id"], actor=None,
        patient_id=life.patient_id,
        details={"kind": kind, "severity": severity, "summary": alert["summary"],
                 "facts": details},
    )  # fmt: skip
    if severity == "urgent":
        messages.portal_alert_email(ctx, life, alert, ledger, rows)
    # Urgent ones are picked up within minutes, the rest within hours.
    acknowledged = at + timedelta(minutes=rng.randint(3, 40) if severity == "urgent" else 0)
    if severity != "urgent":
        acknowledged += timedelta(minutes=rng.randint(30, 600))
    resolved = acknowledged + timedelta(minutes=rng.randint(20, 60 * 30))
    who = life.coordinator
    if acknowledged <= ctx.now:
        alert.update(status="acknowledged", acknowledged_at=acknowledged, acknowledged_by_id=who.id)
        audit(
            rows, ledger.audit, acknowledged, "alert.acknowledge", "Alert", alert["id"],
            actor=who, patient_id=life.patient_id,
        )  # fmt: skip
    if resolved <= ctx.now:
        note = rng.choice(RESOLUTION_NOTES)
        alert.update(
            status="resolved", resolved_at=resolved, resolved_by_id=who.id, resolution_note=note
        )
        audit(
            rows, ledger.audit, resolved, "alert.resolve", "Alert", alert["id"],
            actor=who, patient_id=life.patient_id, details={"note": note},
        )  # fmt: skip
    rows.add("portal_alerts", **alert)
    raised.append(Raised(alert, resolved if resolved <= ctx.now else None))


def _daily_checks(ctx, life, ledger, rows, invitation, made, raised) -> None:
    """``alerts.missed_check_ins`` as the 10:00 job saw each day of the check-in window."""
    tz = zone(life.patient["timezone"])
    operated = life.surgery_at.astimezone(tz).date()
    limits = _thresholds(life)
    invited = invitation["created_at"].astimezone(tz).date()
    window_end = operated + timedelta(days=limits["checkin_days"])
    keys = set()
    day = invitation["created_at"].astimezone(ctx.tz).date() + timedelta(days=1)
    while True:
        run = ctx.at(day, "10:00")
        if run > ctx.now or (life.ended_at is not None and run >= life.ended_at):
            return
        today = run.astimezone(tz).date()
        if today - timedelta(days=1) > window_end:
            return
        days = [c["day"] for c in made if c["recorded_at"] <= run]
        last = max(days) if days else None
        reference = max(d for d in (last, operated, invited) if d is not None)
        first_missing = reference + timedelta(days=1)
        missed = (min(today - timedelta(days=1), window_end) - first_missing).days + 1
        key = f"missed_checkins:{life.id}:{reference.isoformat()}"
        if missed >= limits["missed_checkin_days"] and key not in keys:
            keys.add(key)
            since = None if last is None or last < operated else last.isoformat()
            _raise(
                ctx, _rng_for(ctx, life, day), life, ledger, rows, raised, "missed_checkins",
                {"reference": reference.isoformat(), "days": missed, "last": since},
                dedup_key=key, at=run,
            )  # fmt: skip
        day += timedelta(days=1)


def _rng_for(ctx: Context, life, day: date) -> random.Random:
    return random.Random(f"{ctx.seed}:{life.id}:{day.isoformat()}")


def _milestones(ctx, rng, life, ledger, rows, operated: date, today: date) -> None:
    """Some of the template's recovery milestones, marked by the patient in their window."""
    tz_name = life.patient["timezone"]
    end = life.ended_at or ctx.now
    home = life.discharged_at.astimezone(zone(tz_name)).date() if life.discharged_at else None
    for stage in life.definition["stages"]:
        for spec in stage.get("milestones", []):
            if spec["key"] == "went_home":
                reached = home
            elif rng.random() < 0.65:
                reached = operated + timedelta(days=rng.randint(spec["from_day"], spec["to_day"]))
            else:
                continue
            if reached is None or reached > today or reached < operated:
                continue
            at = local_at(reached, "19:00", tz_name)
            if at > min(ctx.now, end):
                continue
            mid = ledger.id("portal_milestones")
            rows.add(
                "portal_milestones",
                id=mid,
                journey_id=life.id,
                key=spec["key"],
                reached_on=reached,
                recorded_at=at,
                entered_by="patient",
                entered_by_id=None,
            )
            audit(
                rows, ledger.audit, at, "portal.milestone", "MilestoneRecord", mid,
                actor=None, patient_id=life.patient_id,
                details={"key": spec["key"], "reached_on": [None, reached]},
            )  # fmt: skip
