"""Settings for development, testing and production, read from the environment.

Pick one with ``TRACKER_CONFIG`` (``development`` by default, ``testing``, ``production``).
"""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-only-not-secret"
#: where `make run` serves the app
DEFAULT_PORTAL_BASE_URL = "http://127.0.0.1:5000"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tracker.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: PostgreSQL's JIT compiler; off by default (see tracker.db.configure_engine)
    POSTGRES_JIT = _bool("POSTGRES_JIT", False)

    CLINIC_NAME = os.environ.get("CLINIC_NAME", "Demo Spine Clinic")
    CLINIC_PHONE = os.environ.get("CLINIC_PHONE", "+62 21 555 0100")
    CLINIC_TIMEZONE = os.environ.get("CLINIC_TIMEZONE", "Asia/Jakarta")

    # Staff sessions end after this much inactivity.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=SESSION_IDLE_MINUTES)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)

    API_TITLE = "Tracker API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    API_PAGE_SIZE_MAX = 100

    # The embedded scheduler runs inside `flask run` only when asked (the quickstart asks).
    SCHEDULER_EMBEDDED = _bool("SCHEDULER_EMBEDDED", False)

    # Reminders. With neither SMTP_HOST nor SMS_GATEWAY_URL set, messages stay in the local
    # outbox that staff read in the app (the offline demo).
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", True)
    SMTP_TIMEOUT_SECONDS = float(os.environ.get("SMTP_TIMEOUT_SECONDS", "20"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "Demo Spine Clinic <reminders@clinic.invalid>")
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
    SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
    SMS_TIMEOUT_SECONDS = float(os.environ.get("SMS_TIMEOUT_SECONDS", "15"))
    #: shared secret the SMS gateway sends with STOP replies; empty disables the endpoint
    SMS_STOP_TOKEN = os.environ.get("SMS_STOP_TOKEN", "")
    #: patient-local "HH:MM-HH:MM" window in which non-urgent reminders wait
    QUIET_HOURS = os.environ.get("QUIET_HOURS", "21:00-08:00")
    #: how long a dispatcher owns the reminders it claimed; after that another may take them
    REMINDER_LEASE_SECONDS = int(os.environ.get("REMINDER_LEASE_SECONDS", "120"))
    #: waits between failed attempts; after the last one a reminder is failed
    REMINDER_RETRY_MINUTES = tuple(
        int(m) for m in os.environ.get("REMINDER_RETRY_MINUTES", "1,5,30,120").split(",")
    )
    DISPATCH_INTERVAL_SECONDS = int(os.environ.get("DISPATCH_INTERVAL_SECONDS", "10"))
    DISPATCH_BATCH_SIZE = int(os.environ.get("DISPATCH_BATCH_SIZE", "20"))
    #: staff alerts (failed, expired or unclear reminders) go here; empty: the outbox only
    ON_DUTY_EMAIL = os.environ.get("ON_DUTY_EMAIL", "")
    #: who hears about an urgent patient alert at once, while the on-duty page lists nobody:
    #: comma-separated email addresses and international phone numbers
    ON_DUTY_CONTACTS = os.environ.get("ON_DUTY_CONTACTS", "")
    #: who hears when nobody acknowledged an urgent alert within ALERT_ESCALATE_MINUTES
    ESCALATION_CONTACTS = os.environ.get("ESCALATION_CONTACTS", "")
    ALERT_ESCALATE_MINUTES = int(os.environ.get("ALERT_ESCALATE_MINUTES", "15"))
    #: the number a patient with a possible emergency is told to call (a tap-to-call link)
    EMERGENCY_PHONE = os.environ.get("EMERGENCY_PHONE", "112")

    # Patient portal. Links in messages and QR codes start with PORTAL_BASE_URL: where patients
    # reach this app. Development: where `make run` serves; production must set it.
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", DEFAULT_PORTAL_BASE_URL)
    #: how long a portal invitation link (and the portal sessions made from it) works
    PORTAL_INVITATION_DAYS = int(os.environ.get("PORTAL_INVITATION_DAYS", "120"))
    #: wrong or dead portal links (and calendar feed keys) allowed per address
    PORTAL_TOKEN_RATE_LIMIT = os.environ.get("PORTAL_TOKEN_RATE_LIMIT", "10 per 15 minutes")
    #: "send me my link" requests allowed per address, and per patient in a day
    PORTAL_LINK_REQUEST_RATE_LIMIT = os.environ.get(
        "PORTAL_LINK_REQUEST_RATE_LIMIT", "5 per 15 minutes"
    )
    PORTAL_LINK_REQUESTS_PER_DAY = int(os.environ.get("PORTAL_LINK_REQUESTS_PER_DAY", "3"))
    #: the "send me my link" answer never comes sooner, so its timing tells nothing
    PORTAL_LINK_REQUEST_SECONDS = float(os.environ.get("PORTAL_LINK_REQUEST_SECONDS", "0.5"))

    # FHIR R4 export (tracker/fhir). Set FHIR_SYSTEM_BASE to a URL the clinic controls: our own
    # code systems (stages, tasks, …) live under it; FHIR_MRN_SYSTEM names the MRN identifiers.
    FHIR_SYSTEM_BASE = os.environ.get("FHIR_SYSTEM_BASE", "https://tracker.example.org/fhir")
    FHIR_MRN_SYSTEM = os.environ.get("FHIR_MRN_SYSTEM", "")
    #: public URL of /api/v1/fhir for links in exports; empty: the request's, else PORTAL_BASE_URL's
    FHIR_BASE_URL = os.environ.get("FHIR_BASE_URL", "")
    #: where asynchronous $export files are written, and for how long they are kept
    FHIR_EXPORT_DIR = os.environ.get("FHIR_EXPORT_DIR", str(INSTANCE_DIR / "fhir-exports"))
    FHIR_EXPORT_RETENTION_HOURS = int(os.environ.get("FHIR_EXPORT_RETENTION_HOURS", "24"))
    #: rows per database round trip in bulk exports
    FHIR_EXPORT_BATCH = int(os.environ.get("FHIR_EXPORT_BATCH", "2000"))
    FHIR_EXPORT_POLL_SECONDS = int(os.environ.get("FHIR_EXPORT_POLL_SECONDS", "5"))

    # Discharge sheets: processes that lay them out as PDF in parallel (0: in the web process),
    # and whether the day's batch is prepared in the background while the page shows progress.
    DISCHARGE_PDF_WORKERS = int(os.environ.get("DISCHARGE_PDF_WORKERS", str(os.cpu_count() or 1)))
    DISCHARGE_BATCH_IN_BACKGROUND = _bool("DISCHARGE_BATCH_IN_BACKGROUND", True)

    # Outcomes report: a cohort of up to this many operated journeys is summed up on every view;
    # a larger one is made in the background and shown as kept, up to this many minutes old.
    OUTCOMES_REPORT_LIVE_LIMIT = int(os.environ.get("OUTCOMES_REPORT_LIVE_LIMIT", "5000"))
    OUTCOMES_REPORT_MAX_AGE_MINUTES = int(os.environ.get("OUTCOMES_REPORT_MAX_AGE_MINUTES", "15"))
    OUTCOMES_REPORT_IN_BACKGROUND = _bool("OUTCOMES_REPORT_IN_BACKGROUND", True)

    # Flask-Limiter. memory:// holds per process only; production runs several processes, so
    # point this at a shared store, e.g. redis://host:6379/0 (Flask-Limiter has no SQL backend).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True

    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en", "id")
    #: WTForms' own catalogs off: Flask-WTF would read one from disk on every request that
    #: builds a form, and WTForms has none for Indonesian anyway; every message a person sees
    #: on a form comes from this project's catalog (tracker/translations)
    WTF_I18N_ENABLED = False
    #: the language of staff messages addressed to no one person: the contacts of
    #: ON_DUTY_CONTACTS / ESCALATION_CONTACTS, the clinic outbox and ON_DUTY_EMAIL ("en" or "id");
    #: each contact on the on-duty page has its own
    STAFF_MESSAGE_LANGUAGE = os.environ.get("STAFF_MESSAGE_LANGUAGE", "en")

    # Security (README "Security"). The configuration's own name, for start-up checks.
    ENV_NAME = "development"
    #: portal sessions end after this many days without a visit, and this many after sign-in
    PORTAL_IDLE_DAYS = int(os.environ.get("PORTAL_IDLE_DAYS", "14"))
    PORTAL_SESSION_DAYS = int(os.environ.get("PORTAL_SESSION_DAYS", "30"))
    #: failed staff sign-ins (and two-factor codes) allowed per address
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute;100 per hour")
    #: failed attempts before an account waits 1 minute, then 2, 4, … up to the maximum
    LOGIN_LOCK_AFTER = int(os.environ.get("LOGIN_LOCK_AFTER", "5"))
    LOGIN_LOCK_MAX_MINUTES = int(os.environ.get("LOGIN_LOCK_MAX_MINUTES", "30"))
    #: proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none)
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
    #: Strict-Transport-Security on HTTPS answers
    HSTS_ENABLED = _bool("HSTS_ENABLED", False)


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False
    # No test sends mail or SMS unless it starts its own server and points these at it.
    SCHEDULER_EMBEDDED = False
    SMTP_HOST = ""
    SMS_GATEWAY_URL = ""
    SMS_STOP_TOKEN = ""
    ON_DUTY_EMAIL = ""
    ON_DUTY_CONTACTS = ""
    ESCALATION_CONTACTS = ""
    PORTAL_BASE_URL = DEFAULT_PORTAL_BASE_URL
    PORTAL_LINK_REQUEST_SECONDS = 0.05
    DISCHARGE_PDF_WORKERS = 0
    DISCHARGE_BATCH_IN_BACKGROUND = False
    OUTCOMES_REPORT_IN_BACKGROUND = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    HSTS_ENABLED = _bool("HSTS_ENABLED", True)

    @classmethod
    def check(cls) -> None:
        """Refuse to start with a missing or default secret key."""
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == DEFAULT_SECRET_KEY or len(key) < 16:
            raise RuntimeError(
                "SECRET_KEY must be set to a long random value in production "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        if "DATABASE_URL" not in os.environ:
            raise RuntimeError("DATABASE_URL must be set in production")
        base = os.environ.get("PORTAL_BASE_URL", "").strip()
        if not base.startswith(("https://", "http://")) or len(base) < 12:
            raise RuntimeError(
                "PORTAL_BASE_URL must be set in production to the address patients reach the "
                "app at (e.g. https://tracker.clinic.example): personal links and QR codes "
                "start with it"
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("TRACKER_CONFIG", "development")
    try:
        cls = CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"Unknown TRACKER_CONFIG {name!r}; use one of {sorted(CONFIGS)}"
        ) from None
    if cls is ProductionConfig:
        cls.check()
    return cls
