"""The demo's people and where each one's journey stands today: the staff accounts, about
forty current patients as :class:`Case` rows, and the task keys the story treats specially.
Plain data; :mod:`tracker.demo.story` plays each case through the services.
"""

from dataclasses import dataclass

#: every demo staff account signs in with this password
DEMO_PASSWORD = "demo-clinic-2026"
DEMO_SIGN_IN = "coordinator@demo.clinic"
#: the coordinator who works in Indonesian (every other demo account reads English)
DEMO_SIGN_IN_ID = "nadia@demo.clinic"
SEED = 2026

STAFF = (
    # key, email, name, role
    ("admin", "admin@demo.clinic", "Bayu Firmansyah", "admin"),
    ("citra", DEMO_SIGN_IN, "Citra Anggraini", "coordinator"),
    ("nadia", DEMO_SIGN_IN_ID, "Nadia Putri", "coordinator"),
    ("hartono", "hartono@demo.clinic", "dr. Hartono Wibisono, Sp.BS", "clinician"),
    ("maya", "maya@demo.clinic", "dr. Maya Anggraeni, Sp.OT", "clinician"),
    ("daniel", "daniel@demo.clinic", "dr. Daniel Tan, Sp.BS", "clinician"),
)
SURGEONS = {"teld": ("hartono", "daniel"), "il": ("maya", "hartono")}
TEMPLATE_SLUGS = {"teld": "teld", "il": "interlaminar-decompression"}
APPROACH = {"teld": "transforaminal", "il": "interlaminar"}
CLINICIAN_TASKS = {
    "history_exam",
    "imaging_reviewed",
    "candidacy_decided",
    "consent_signed",
    "fitness_for_anesthesia",
    "procedure_done",
    "discharge_sheet",
    "wound_checked",
    "review_6w",
    "outcome_3m",
}
SKIP_REASONS = (
    "Not needed for this patient.",
    "Patient declined.",
    "Done at the referring hospital.",
)
# Minutes from the start of surgery at which procedure-day tasks are usually ticked off.
PROCEDURE_TASK_MINUTES = {"checked_in": -80, "walked_after": 150, "ate_drank_voided": 180}

#: tasks ticked by the patient's answers to the questionnaires, not by staff
QUESTIONNAIRE_TASKS = frozenset({"baseline_scores", "outcome_6w", "outcome_12m"})


@dataclass(frozen=True)
class Person:
    given: str
    family: str
    sex: str
    born: int
    language: str = "id"
    tz: str = "Asia/Jakarta"


@dataclass(frozen=True)
class Case:
    """Where one patient's journey stands today; day numbers count from today (clinic time)."""

    person: Person
    pathway: str  # "teld" or "il"
    condition: str
    levels: str
    side: str
    stage: str
    consult: int | None = None  # default: 14–35 days before surgery
    surgery: int | None = None
    surgery_time: str = "08:00"
    anesthesia: str | None = None  # default: local with sedation for TELD, general for IL
    #: task keys left open although due (what a real clinic has: overdue items)
    open_tasks: frozenset[str] = frozenset()
    #: days after surgery the patient went home, when it differs from the template's plan
    stay: int | None = None
    #: reason to advance past unfinished required tasks
    override: str | None = None
    #: (day, original surgery day, reason): surgery moved on that day
    reschedule: tuple[int, int, str] | None = None
    #: day the surgery was booked after the journey started without a date
    booked_on: int | None = None
    #: (day, reason, task key to reopen): moved back a stage
    back: tuple[int, str, str | None] | None = None
    #: (day, reason): journey cancelled
    cancel: tuple[int, str] | None = None
    completed: bool = False
    no_show: frozenset[str] = frozenset()
    #: (day, "HH:MM", staff key, text)
    notes: tuple[tuple[int, str, str, str], ...] = ()


_p = Person

F, M = "female", "male"
HD, SC, SS = "herniated_disc", "sciatica", "spinal_stenosis"

# One row per patient: person, pathway, condition, levels, side, stage today, consultation day,
# surgery day (days from today; None: derived / not booked) and surgery time, then the twists.
# fmt: off
CASES: tuple[Case, ...] = (
    # --- consultation: seen, deciding, some overdue for consent ---
    Case(_p("Dimas", "Saputra", M, 1995), "teld", HD, "L5-S1", "right", "consultation", 0),
    Case(_p("Nur", "Aini", F, 1993), "teld", SC, "L4-L5", "left", "consultation", -1, 27),
    Case(_p("Ahmad", "Fauzi", M, 1977), "teld", HD, "L4-L5", "right", "consultation", -2,
         notes=((-2, "15:10", "citra", "Wants to discuss surgery with his wife before booking."),)),
    Case(_p("Sulastri", "Hasibuan", F, 1953), "il", SS, "L3-L4, L4-L5", "bilateral",
         "consultation", -3, 30),
    Case(_p("Priya", "Raman", F, 1987, "en"), "teld", HD, "L5-S1", "left", "consultation", -6, 21,
         "09:30"),
    Case(_p("Teguh", "Santoso", M, 1946), "il", SS, "L4-L5", "central", "consultation", -9,
         notes=((-9, "14:20", "maya", "Cardiology clearance requested first (AF, on warfarin)."),)),
    Case(_p("Fajar", "Nugroho", M, 1989), "teld", SC, "L5-S1", "left", "consultation", -12),
    Case(_p("Kartini", "Simanjuntak", F, 1960), "il", SS, "L4-L5", "bilateral", "preparation",
         -20, 14,
         back=(-3, "New weakness in the right foot; repeat MRI requested.", "imaging_reviewed")),
    # --- preparation: surgery in the coming weeks, some this week ---
    Case(_p("Budi", "Santoso", M, 1968), "teld", HD, "L4-L5", "left", "preparation", -24, 1),
    Case(_p("Siti", "Rahmawati", F, 1975), "teld", SC, "L5-S1", "right", "preparation", -20, 2,
         "09:30"),
    Case(_p("Hendra", "Gunawan", M, 1958), "il", SS, "L4-L5", "bilateral", "preparation", -30, 3),
    Case(_p("Eko", "Prasetyo", M, 1987), "teld", HD, "L5-S1", "left", "preparation", -18, 4,
         "11:00", open_tasks=frozenset({"medicine_review", "preop_exercises"}),
         notes=((-5, "10:05", "nadia", "Left two messages about his blood thinner; no reply."),)),
    Case(_p("Maria", "Situmorang", F, 1971), "teld", HD, "L4-L5", "right", "preparation", -21, 6,
         reschedule=(-5, 13, "Earlier slot after a cancellation; patient accepted.")),
    Case(_p("Yusuf", "Hidayat", M, 1984), "teld", HD, "L4-L5", "left", "preparation", -25, 8,
         "09:30"),
    Case(_p("Sri", "Wahyuni", F, 1955), "il", SS, "L4-L5", "bilateral", "preparation", -16, 11),
    Case(_p("Lina", "Wijaya", F, 1985, "en"), "teld", HD, "L5-S1", "right", "preparation", -10,
         15, "13:00"),
    Case(_p("Rudi", "Hartono", M, 1962), "il", SS, "L3-L4, L4-L5", "central", "preparation", -8,
         20, booked_on=-6),
    Case(_p("Hiroshi", "Tanaka", M, 1972, "en"), "teld", SC, "L4-L5", "right", "preparation", -12,
         25, "09:30"),
    Case(_p("Indah", "Permatasari", F, 1988), "teld", HD, "L5-S1", "left", "preparation", -22, 12,
         cancel=(-2, "Leg pain settled with physiotherapy; patient prefers to wait. "
                     "Review in 3 months if symptoms return.")),
    # --- procedure day: today's list ---
    Case(_p("Agus", "Setiawan", M, 1982), "teld", HD, "L4-L5", "left", "procedure", -30, 0,
         "07:30"),
    Case(_p("Slamet", "Riyadi", M, 1944), "il", SS, "L4-L5", "bilateral", "procedure", -35, 0,
         "09:00", open_tasks=frozenset({"transport_arranged"}),
         override="Son confirmed by phone he will take him home tomorrow; form to follow."),
    Case(_p("Wulan", "Dari", F, 1981), "teld", SC, "L5-S1", "right", "procedure", -28, 0, "11:00"),
    Case(_p("Liam", "O'Connor", M, 1978, "en", "Australia/Perth"), "teld", HD, "L5-S1", "left",
         "procedure", -14, 0, "13:30",
         notes=((-14, "16:00", "nadia", "Travelling from Perth; hotel near the clinic booked."),)),
    # --- discharge: operated yesterday, going home today ---
    Case(_p("Ratna", "Sari", F, 1949), "il", SS, "L4-L5", "bilateral", "discharge", -33, -1),
    Case(_p("Joko", "Susanto", M, 1950), "il", SS, "L3-L4, L4-L5", "central", "discharge", -40,
         -1, "10:00"),
    Case(_p("Fitri", "Handayani", F, 1990), "teld", HD, "L4-L5", "right", "discharge", -26, -1,
         "13:00", stay=1, open_tasks=frozenset({"discharge_sheet", "followups_booked"}),
         notes=((-1, "19:30", "daniel", "Nauseous after sedation; kept overnight to observe."),)),
    Case(_p("I Wayan", "Sudarsana", M, 1970, "id", "Asia/Makassar"), "teld", HD, "L5-S1", "left",
         "discharge", -21, -1, "14:00", stay=1,
         notes=((-1, "18:00", "citra", "Late finish; stays tonight, flies back to Denpasar."),)),
    # --- follow-up: from a few days to three months after surgery ---
    Case(_p("Mega", "Puspitasari", F, 1983), "teld", HD, "L5-S1", "right", "follow_up", None, -3),
    Case(_p("Andi", "Pratama", M, 1991, "en"), "teld", SC, "L5-S1", "left", "follow_up", None,
         -6),
    Case(_p("Ni Made Ayu", "Wulandari", F, 1986, "id", "Asia/Makassar"), "teld", HD, "L4-L5",
         "left", "follow_up", None, -10),
    Case(_p("Bambang", "Susilo", M, 1952), "il", SS, "L4-L5", "bilateral", "follow_up", None, -13),
    Case(_p("Emily", "Clarke", F, 1984, "en", "Australia/Perth"), "teld", HD, "L5-S1", "left",
         "follow_up", None, -16),
    Case(_p("Yohanes", "Tanoto", M, 1974, "en"), "teld", HD, "L4-L5", "right", "follow_up", None,
         -20, open_tasks=frozenset({"wound_checked"}), no_show=frozenset({"wound_check"}),
         notes=((-5, "11:15", "citra", "Missed his wound check; called twice, no answer."),)),
    Case(_p("Hadi", "Kurniawan", M, 1957), "il", SS, "L4-L5", "central", "follow_up", None, -27),
    Case(_p("Sophie", "van den Berg", F, 1980, "en", "Europe/Amsterdam"), "teld", SC, "L5-S1",
         "right", "follow_up", None, -35,
         notes=((-19, "09:45", "nadia", "Flew home on day 16; 6-week review by video call."),)),
    Case(_p("Rina", "Kusumawati", F, 1966), "teld", HD, "L4-L5", "left", "follow_up", None, -44),
    Case(_p("Andi Arif", "Syamsuddin", M, 1963, "id", "Asia/Makassar"), "teld", HD, "L5-S1",
         "right", "follow_up", None, -50, open_tasks=frozenset({"review_6w"})),
    Case(_p("Graham", "Whitfield", M, 1951, "en", "Australia/Perth"), "il", SS, "L3-L4",
         "bilateral", "follow_up", None, -63),
    Case(_p("Dewi", "Lestari", F, 1979, "en"), "teld", HD, "L5-S1", "left", "follow_up", None, -80),
    # --- a finished journey ---
    Case(_p("Jan", "de Vries", M, 1965, "en", "Europe/Amsterdam"), "teld", HD, "L4-L5", "left",
         "follow_up", None, -110, completed=True),
)
# fmt: on


def demo_mrn(index: int) -> str:
    return f"DEMO-{index + 1:04d}"
