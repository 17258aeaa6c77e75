"""Who the generated patients are: names, ages, contacts, languages and time zones.

Drawn from a per-patient random generator, so patient ``i`` of a seed is always the same person.
"""

import random
from datetime import date, datetime, timedelta

GIVEN = {
    "female": (
        "Siti",
        "Nur",
        "Dewi",
        "Sri",
        "Fitri",
        "Ratna",
        "Wulan",
        "Indah",
        "Maria",
        "Lina",
        "Kartini",
        "Sulastri",
        "Rina",
        "Mega",
        "Ayu",
        "Putri",
        "Yuni",
        "Rahma",
        "Intan",
        "Ani",
        "Dian",
        "Eka",
        "Lestari",
        "Novi",
        "Tari",
        "Wati",
        "Yanti",
        "Citra",
        "Diah",
        "Endang",
    ),
    "male": (
        "Budi",
        "Agus",
        "Ahmad",
        "Dimas",
        "Eko",
        "Fajar",
        "Hendra",
        "Joko",
        "Slamet",
        "Yusuf",
        "Bambang",
        "Hadi",
        "Teguh",
        "Rudi",
        "Andi",
        "Wayan",
        "Made",
        "Ketut",
        "Bayu",
        "Arif",
        "Dedi",
        "Gilang",
        "Irfan",
        "Rizky",
        "Surya",
        "Taufik",
        "Wahyu",
        "Yoga",
        "Hasan",
        "Imam",
    ),
}
FAMILY = (
    "Santoso",
    "Saputra",
    "Wijaya",
    "Hidayat",
    "Pratama",
    "Kurniawan",
    "Setiawan",
    "Gunawan",
    "Nugroho",
    "Susanto",
    "Lestari",
    "Rahmawati",
    "Hasibuan",
    "Simanjuntak",
    "Situmorang",
    "Siregar",
    "Nasution",
    "Lubis",
    "Harahap",
    "Tanjung",
    "Sudarsana",
    "Wibisono",
    "Halim",
    "Tanoto",
    "Hartono",
    "Permana",
    "Purnomo",
    "Sutanto",
    "Kusuma",
    "Wahyudi",
    "Firmansyah",
    "Syamsuddin",
    "Tambunan",
    "Sinaga",
    "Panjaitan",
    "Manurung",
    "Putra",
    "Utomo",
    "Hakim",
    "Maulana",
    "Ramadhan",
    "Suharto",
    "Budiman",
    "Iskandar",
    "Salim",
    "Tan",
    "Lim",
    "Wu",
)
FOREIGN = (
    ("Emily", "Clarke", "female"),
    ("Liam", "O'Connor", "male"),
    ("Sophie", "van den Berg", "female"),
    ("Graham", "Whitfield", "male"),
    ("Hiroshi", "Tanaka", "male"),
    ("Priya", "Raman", "female"),
    ("Jan", "de Vries", "male"),
    ("Chloe", "Martin", "female"),
)
#: (IANA zone, share); most patients live near the clinic, some fly in
ZONES = (
    ("Asia/Jakarta", 0.84),
    ("Asia/Makassar", 0.07),
    ("Asia/Jayapura", 0.02),
    ("Asia/Singapore", 0.02),
    ("Australia/Perth", 0.03),
    ("Europe/Amsterdam", 0.02),
)
_ZONE_NAMES = [z for z, _ in ZONES]
_ZONE_WEIGHTS = [w for _, w in ZONES]
MOBILE_PREFIXES = ("811", "812", "813", "821", "822", "852", "857", "878", "896", "877")


def phone(tz: str, rng: random.Random) -> str:
    if tz == "Australia/Perth":
        return f"+614{rng.randint(10_000_000, 99_999_999)}"
    if tz == "Europe/Amsterdam":
        return f"+316{rng.randint(10_000_000, 99_999_999)}"
    if tz == "Asia/Singapore":
        return f"+659{rng.randint(1_000_000, 9_999_999)}"
    return f"+62{rng.choice(MOBILE_PREFIXES)}{rng.randint(1_000_000, 99_999_999)}"


def person(
    index: int, rng: random.Random, *, stenosis: bool, registered_at: datetime, today: date
) -> dict:
    """The ``patients`` row of generated patient ``index`` (stenosis patients are older)."""
    tz = rng.choices(_ZONE_NAMES, _ZONE_WEIGHTS)[0]
    if tz in ("Australia/Perth", "Europe/Amsterdam") or rng.random() < 0.01:
        given, family, sex = rng.choice(FOREIGN)
        language = "en"
    else:
        sex = rng.choice(("female", "male"))
        given, family = rng.choice(GIVEN[sex]), rng.choice(FAMILY)
        language = "en" if rng.random() < 0.12 else "id"
    age = rng.randint(55, 86) if stenosis else rng.randint(22, 70)
    birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
    email = None
    if age < 70 or rng.random() < 0.3:
        local = f"{given}.{family}".lower().replace(" ", "").replace("'", "")
        email = f"{local}.{index + 1}@{rng.choice(('example.com', 'example.net', 'example.org'))}"
    number = phone(tz, rng) if rng.random() < 0.97 else None
    return {
        "mrn": mrn(index),
        "given_name": given,
        "family_name": family,
        "birth_date": birth,
        "sex": sex,
        "phone": number,
        "email": email,
        "language": language,
        "timezone": tz,
        "consent_email": email is not None and rng.random() < 0.9,
        "consent_sms": number is not None and rng.random() < 0.85,
        # most patients read texts first; one in five who gave an address would rather have
        # email (by index, not a draw: the rest of the clinic stays as the seed made it)
        "preferred_channel": "email" if email is not None and index % 5 == 0 else "sms",
        "created_at": registered_at,
        "updated_at": registered_at,
    }


#: generated patients' MRNs start with this, so a second run can tell they are there
MRN_PREFIX = "SC-"


def mrn(index: int) -> str:
    return f"{MRN_PREFIX}{index + 1:06d}"
