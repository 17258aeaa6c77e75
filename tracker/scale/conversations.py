"""A generated journey's secure messages: a question or two from home, answered by the team.

Some invited patients write in the follow-up weeks: about the wound, showering, work, their
medicine. Each conversation is lived through as ``tracker.messages.services`` would have written
it: the patient's messages (``send_from_patient``), a coordinator opening it (``read_by_staff``,
sometimes ``assign``), the reply (``reply``, often a saved one, with the patient's notice of it)
and the close; the patient reads the reply when they next open the portal. Whatever would happen
after ``now`` has not: the last days' conversations are still open, some still waiting.
"""

import random
from datetime import datetime, timedelta
from types import SimpleNamespace

from tracker.messages.services import saved_replies
from tracker.reminders.notices import patient_channel
from tracker.reminders.planning import push_past_quiet_hours, quiet_window
from tracker.scale.context import Context, Ledger, Rows, audit, local_at, zone

#: invited journeys whose patient writes at least once; of those, how many write again later
WRITES = 0.14
WRITES_AGAIN = 0.15
PORTAL = "patient portal"
#: (topic, English, Indonesian, saved reply answering it or None)
QUESTIONS = (
    ("wound", "Is it normal that the wound is a bit itchy?",
     "Apakah normal lukanya agak gatal?", "wound_normal"),
    ("wound", "There is a little clear fluid on the dressing. Should I worry?",
     "Ada sedikit cairan bening di perban. Apakah perlu khawatir?", "wound_visit"),
    ("shower", "When may I shower normally?", "Kapan saya boleh mandi seperti biasa?", None),
    ("work", "When can I go back to work? I work in an office.",
     "Kapan saya boleh kembali bekerja? Saya kerja di kantor.", None),
    ("medicine", "Can I stop the pain medicine? I hardly need it now.",
     "Boleh saya berhenti minum obat nyeri? Sekarang hampir tidak perlu.", None),
    ("driving", "When may I drive again?", "Kapan saya boleh menyetir lagi?", "driving"),
    ("pain", "My leg hurts a little again after walking. Is that normal?",
     "Kaki saya sedikit nyeri lagi setelah jalan. Apakah itu normal?", "pain_return"),
)  # fmt: skip
#: the staff's own answers to questions no saved reply covers, in the patient's language
ANSWERS = {
    "shower": ("You may shower from the third day; pat the wound dry and keep the dressing on.",
               "Anda boleh mandi mulai hari ketiga; keringkan luka dengan ditepuk dan biarkan "
               "perbannya."),
    "work": ("Desk work is usually fine after two to four weeks. Stand up and walk every hour.",
             "Kerja kantor biasanya boleh setelah dua sampai empat minggu. Berdiri dan berjalan "
             "setiap jam."),
    "medicine": ("Yes, you may stop when you no longer need it. Tell us if the pain comes back.",
                 "Ya, boleh berhenti bila sudah tidak perlu. Kabari kami bila nyerinya kembali."),
    "wound": ("Thank you. That is common while it heals; keep it clean and dry, and send us a "
              "photo if it gets red or swollen.",
              "Terima kasih. Itu wajar selama penyembuhan; jaga tetap bersih dan kering, dan "
              "kirim foto bila merah atau bengkak."),
    "driving": ("Usually after about two weeks, once you can sit comfortably and brake hard "
                "without pain.",
                "Biasanya setelah sekitar dua minggu, bila sudah bisa duduk nyaman dan mengerem "
                "kuat tanpa nyeri."),
    "pain": ("Some pain as you walk more is common. Keep walking, and call us if it becomes "
             "severe or your leg feels weak.",
             "Nyeri saat makin banyak berjalan itu wajar. Tetap berjalan, dan hubungi kami bila "
             "nyerinya berat atau kaki terasa lemah."),
}  # fmt: skip
#: a second message before anyone answered, and the thanks after the answer
MORE = (
    ("Also: may I sleep on my side?", "Satu lagi: boleh saya tidur miring?"),
    ("Sorry, one more question: how long should I wear the corset?",
     "Maaf, satu pertanyaan lagi: berapa lama saya harus pakai korset?"),
)  # fmt: skip
THANKS = (("Thank you, that helps!", "Terima kasih, sangat membantu!"),
          ("Thanks, understood.", "Terima kasih, saya mengerti."))  # fmt: skip


def _text(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "id" else pair[0]


def activity(ctx: Context, life, ledger: Ledger, rows: Rows, invitation: dict) -> None:
    """The conversations of an invited journey (its own random stream: the rest stays put)."""
    rng = random.Random(f"{ctx.seed}:messages:{life.id}")
    if rng.random() >= WRITES:
        return
    home = life.stage_exit("discharge") or invitation["created_at"]
    end = min(ctx.now, life.ended_at or ctx.now, invitation["expires_at"])
    notices: list[dict] = []  # the journey's message notices, for replacing a waiting one
    conversation = _Conversation(ctx, rng, life, ledger, rows, invitation, notices)
    # Most questions come in the first days at home, a few weeks later.
    start = _patient_time(rng, life, home, 1 + min(int(rng.expovariate(1 / 5)), 41))
    closed = conversation.live(start, end)
    if closed is not None and rng.random() < WRITES_AGAIN:
        again = _patient_time(rng, life, closed, rng.randint(2, 14))
        _Conversation(ctx, rng, life, ledger, rows, invitation, notices).live(again, end)


def _patient_time(rng, life, after: datetime, days: int) -> datetime:
    """Some time between 07:00 and 21:00 at home, ``days`` days after ``after``."""
    tz_name = life.patient["timezone"]
    day = after.astimezone(zone(tz_name)).date() + timedelta(days=days)
    return local_at(day, "07:00", tz_name) + timedelta(minutes=rng.randint(0, 14 * 60))


def _staff_time(ctx: Context, rng, after: datetime) -> datetime:
    """When a coordinator gets to it: within hours on a working day, else the next morning."""
    at = after + timedelta(minutes=rng.randint(15, 240))
    if rng.random() < 0.08:
        at += timedelta(days=1)  # a busy day: it waits over a working day
    local = at.astimezone(ctx.tz)
    if local.weekday() < 5 and 8 <= local.hour < 17:
        return at
    day = local.date() + timedelta(days=1 if local.hour >= 17 or local.weekday() >= 5 else 0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return ctx.at(day, "08:00", rng.randint(0, 180))


class _Conversation:
    """One conversation as the services write it, event by event, up to ``now``."""

    def __init__(self, ctx: Context, rng, life, ledger: Ledger, rows: Rows, invitation, notices):
        self.ctx, self.rng, self.life, self.ledger, self.rows = ctx, rng, life, ledger, rows
        self.invitation, self.notices = invitation, notices
        self.language = life.patient["language"]
        self.name = f"{life.patient['given_name']} {life.patient['family_name']}".strip()
        self.row: dict | None = None
        self.unread: list[dict] = []
        self.replies: list[dict] = []

    def _audit(self, at, action, object_type, obj_id, actor, details=None, **extra) -> None:
        audit(self.rows, self.ledger.audit, at, action, object_type, obj_id, actor=actor,
              patient_id=self.life.patient_id, details=details, **extra)  # fmt: skip

    def live(self, start: datetime, end: datetime) -> datetime | None:
        """Play the conversation out; the time it was closed, or None if it is still open."""
        rng, ctx, life = self.rng, self.ctx, self.life
        if start > end:
            return None
        topic, *question, saved = rng.choice(QUESTIONS)
        self._send(start, _text(question, self.language))
        staff_at = _staff_time(ctx, rng, start)
        if rng.random() < 0.25:
            more = start + timedelta(minutes=rng.randint(5, 180))
            if more < staff_at and more <= end:
                self._send(more, _text(rng.choice(MORE), self.language))
        if staff_at > end:
            return None
        others = [p for p in ctx.coordinators if p.id != life.coordinator.id]
        staff = life.coordinator if rng.random() < 0.75 or not others else rng.choice(others)
        self._read(staff_at, staff)
        if rng.random() < 0.35:
            self.row["assignee_id"] = staff.id
            self._audit(staff_at, "message.assign", "Conversation", self.row["id"], staff,
                        {"assignee": staff.name})  # fmt: skip
        reply_at = staff_at + timedelta(minutes=rng.randint(2, 25))
        if reply_at > end:
            return None
        self._reply(reply_at, staff, topic, saved)
        seen = reply_at + timedelta(minutes=rng.randint(10, 30 * 60))
        if seen <= end:
            for message in self.replies:
                message["read_at"] = message["read_at"] or seen
            thanks = seen + timedelta(minutes=rng.randint(1, 5))
            if rng.random() < 0.3 and thanks <= end:
                self._send(thanks, _text(rng.choice(THANKS), self.language))
        close_at = _staff_time(ctx, rng, reply_at + timedelta(hours=rng.randint(4, 48)))
        if close_at > end:
            return None
        last = self.row["last_message_at"]
        if close_at <= last:
            close_at = last + timedelta(minutes=rng.randint(5, 60))
            if close_at > end:
                return None
        self._read(close_at, staff)
        self.row.update(status="closed", closed_at=close_at, closed_by_id=staff.id,
                        waiting_since=None)  # fmt: skip
        self._audit(close_at, "message.close", "Conversation", self.row["id"], staff)
        return close_at

    def _send(self, at: datetime, body: str) -> None:
        """``send_from_patient`` (signed in to the portal just before)."""
        invitation, life = self.invitation, self.life
        if invitation["last_used_at"] is None or invitation["last_used_at"] < at:
            first = invitation["last_used_at"] is None
            invitation["last_used_at"] = at - timedelta(minutes=2)
            if first:
                self._audit(at - timedelta(minutes=2), "portal.sign_in", "PortalInvitation",
                            invitation["id"], None)  # fmt: skip
        if self.row is None:
            self.row = self.rows.add(
                "conversations",
                id=self.ledger.id("conversations"),
                journey_id=life.id,
                patient_id=life.patient_id,
                status="open",
                assignee_id=None,
                created_at=at,
                last_message_at=at,
                waiting_since=None,
                staff_unread=0,
                closed_at=None,
                closed_by_id=None,
            )
        message = self._message(at, "patient", None, self.name, body, None)
        row = self.row
        row["last_message_at"] = at
        row["waiting_since"] = row["waiting_since"] or at
        row["staff_unread"] += 1
        self.unread.append(message)
        self._audit(at, "message.send", "Message", message["id"], None,
                    {"conversation": row["id"], "photos": 0}, label=PORTAL)  # fmt: skip

    def _message(self, at, kind, staff, name, body, saved) -> dict:
        return self.rows.add(
            "messages",
            id=self.ledger.id("messages"),
            conversation_id=self.row["id"],
            journey_id=self.life.id,
            patient_id=self.life.patient_id,
            author_kind=kind,
            staff_author_id=staff.id if staff else None,
            caregiver_id=None,
            author_name=name,
            body=body,
            saved_reply=saved,
            created_at=at,
            read_at=None,
        )

    def _read(self, at: datetime, staff) -> None:
        """``read_by_staff``: the conversation opened, its patient messages read (a read event)."""
        for message in self.unread:
            message["read_at"] = at
        self._audit(at, "message.read", "Conversation", self.row["id"], staff,
                    {"newly_read": len(self.unread)}, kind="read")  # fmt: skip
        self.unread = []
        self.row["staff_unread"] = 0

    def _reply(self, at: datetime, staff, topic: str, saved: str | None) -> None:
        """``reply``: the answer (a saved reply in the patient's language, or the staff's own)."""
        if saved is not None and self.rng.random() < 0.7:
            body = next(r for r in saved_replies() if r.key == saved).in_language(self.language)
        else:
            saved, body = None, _text(ANSWERS[topic], self.language)
        message = self._message(at, "staff", staff, staff.name, body, saved)
        self.replies.append(message)
        self.row["last_message_at"] = at
        self.row["waiting_since"] = None
        self._audit(at, "message.reply", "Message", message["id"], staff,
                    {"conversation": self.row["id"], "saved_reply": saved})  # fmt: skip
        self._notice(at)

    def _notice(self, at: datetime) -> None:
        """``notices.new_message``: the patient hears of the reply (a link, never the text)."""
        ctx, life, patient, rows = self.ctx, self.life, self.life.patient, self.rows
        channel = patient_channel(SimpleNamespace(**patient))
        notices = self.notices
        for earlier in notices:
            if earlier["status"] == "pending":  # replaced by the newer notice
                earlier.update(status="cancelled", cancel_code="obsolete",
                               status_reason="A newer change replaced this message.",
                               updated_at=at)  # fmt: skip
        count = len(notices)
        if channel is None:
            return
        window = quiet_window(ctx.config["quiet_hours"])
        due = push_past_quiet_hours(at, zone(patient["timezone"]), window)
        reminder = rows.add(
            "reminders",
            id=self.ledger.id("reminders"),
            idempotency_key=f"j{life.id}:notice:messages:n{count + 1}#1",
            journey_id=life.id,
            patient_id=life.patient_id,
            rule_key="notice",
            occurrence=0,
            message_key="new_message",
            channel=channel,
            audience="patient",
            urgent=False,
            rule_at=at,
            due_at=due,
            next_attempt_at=due,
            status="pending",
            attempts=0,
            created_at=at,
            updated_at=at,
        )
        notices.append(reminder)
        sent_at = due + timedelta(seconds=self.rng.randint(1, 20))
        if sent_at > ctx.now:
            return
        subject, body = ctx.config["new_message"][self.language]
        email = channel == "email"
        reminder.update(
            status="sent",
            attempts=1,
            claimed_by=f"dispatcher:{life.id % 4}:{reminder['id'] % 65536:04x}",
            send_started_at=sent_at - timedelta(milliseconds=300),
            transport="smtp" if email else "sms_gateway",
            recipient=patient["email"] if email else patient["phone"],
            subject=subject,
            body=body,
            sent_at=sent_at,
            updated_at=sent_at,
            provider_id=f"<{reminder['id']}.{life.id}@clinic.mail>"
            if email
            else f"gw-{reminder['id']}",
        )
