"""Settings for development, testing and production, read from the environment.

Pick one with ``TRACKER_CONFIG`` (``development`` by default, ``testing``, ``production``).
"""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-only-not-secret"


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

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True

    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en", "id")


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)

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
