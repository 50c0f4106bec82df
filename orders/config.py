"""Settings from the environment. Production refuses to start with unsafe defaults."""

import os
import secrets
from datetime import timedelta
from pathlib import Path


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete for the chosen environment."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator gave."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _dev_secret_key(instance_path: Path) -> str:
    """A random key kept in the instance folder, so development sessions survive a restart."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(instance_path: Path, overrides: dict | None = None) -> dict:
    """Build the Flask configuration from environment variables and optional overrides."""
    overrides = overrides or {}
    env = overrides.get("PORTAL_ENV", os.environ.get("PORTAL_ENV", "development"))
    if env not in {"development", "production", "testing"}:
        raise ConfigError(f"PORTAL_ENV must be development, production or testing, not {env!r}")
    production = env == "production"

    default_db = "sqlite:///" + str(instance_path / "portal.db")
    config = {
        "PORTAL_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL", default_db)
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Public address used in links inside e-mails (no request exists in the mail worker).
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000"),
        # Sessions
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_NAME": "portal_session",
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "SESSION_IDLE_TIMEOUT": timedelta(
            minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
        ),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "WTF_CSRF_TIME_LIMIT": None,  # the CSRF token lives as long as the session
        # Accounts
        "INVITATION_VALID_FOR": timedelta(days=7),
        "PASSWORD_RESET_VALID_FOR": timedelta(hours=1),
        "PASSWORD_MIN_LENGTH": 12,  # OWASP ASVS 4.0.3 V2.1.1
        # Login throttling: storage shared by all workers when Redis is configured.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_FAILURE_LIMITS": os.environ.get(
            "LOGIN_FAILURE_LIMITS", "5 per 5 minutes;10 per hour;20 per day"
        ),
        # Generous per address: a town hall's staff may share one public address.
        "LOGIN_FAILURE_LIMITS_PER_ADDRESS": os.environ.get(
            "LOGIN_FAILURE_LIMITS_PER_ADDRESS", "30 per 5 minutes;100 per hour"
        ),
        "PASSWORD_RESET_LIMITS": os.environ.get("PASSWORD_RESET_LIMITS", "3 per hour;10 per day"),
        "PASSWORD_RESET_LIMITS_PER_ADDRESS": os.environ.get(
            "PASSWORD_RESET_LIMITS_PER_ADDRESS", "20 per hour"
        ),
        # Mail: without MAIL_SERVER nothing is delivered and mails stay in the Postausgang.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "20")),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "start.integration <noreply@start-integration.so.ch>"
        ),
        "MAIL_RETENTION_DAYS": int(os.environ.get("MAIL_RETENTION_DAYS", "90")),
        "MAIL_GIVE_UP_AFTER_HOURS": float(os.environ.get("MAIL_GIVE_UP_AFTER_HOURS", "72")),
        "MAIL_CLAIM_SECONDS": int(os.environ.get("MAIL_CLAIM_SECONDS", "300")),
        "MAIL_BATCH_SIZE": int(os.environ.get("MAIL_BATCH_SIZE", "100")),
        # Where new orders are sent for processing by the canton.
        "ORDER_MAIL_TO": os.environ.get("ORDER_MAIL_TO", "bestellungen@start-integration.so.ch"),
        # HEKS Linguadukt receives interpreter orders by e-mail.
        "HEKS_MAIL_TO": os.environ.get("HEKS_MAIL_TO", "linguadukt@heks.example.org"),
        # The number the pages give where they ask to call HEKS as well (short notice, a late
        # cancellation); without one they only ask to call.
        "HEKS_PHONE": os.environ.get("HEKS_PHONE", ""),
        # The canton's reporting address: notified of every submitted report and declaration.
        "REPORT_MAIL_TO": os.environ.get("REPORT_MAIL_TO", "berichte@start-integration.so.ch"),
        "INTERPRETER_LEAD_WORKING_DAYS": int(os.environ.get("INTERPRETER_LEAD_WORKING_DAYS", "2")),
        # Free texts about the people concerned are removed after this many days.
        "INTERPRETER_RETENTION_DAYS": int(os.environ.get("INTERPRETER_RETENTION_DAYS", "365")),
        # Large exports (the canton's order XLSX) are export jobs. A worker builds them
        # (flask exporte bearbeiten --loop); without one (make run, tests) the request that asks
        # for the export builds it at once.
        "EXPORTS_IN_REQUEST": _bool("EXPORTS_IN_REQUEST", not production),
        # Built export files are deleted this many hours after they were finished.
        "EXPORT_RETENTION_HOURS": float(os.environ.get("EXPORT_RETENTION_HOURS", "24")),
        # A worker owns a job this long; a job whose worker died is built again afterwards.
        "EXPORT_CLAIM_SECONDS": int(os.environ.get("EXPORT_CLAIM_SECONDS", "900")),
        "DEMO_ACCOUNTS_ALLOWED": env == "development",
        # Behind a reverse proxy (TLS ends there): how many proxies set X-Forwarded-For/-Proto/
        # -Host. 0 trusts no such header; never more than there really are.
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        # One uploaded document (at most 25 MB) and its form fields; larger requests get 413.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(26 * 1024 * 1024))),
    }
    if env == "testing":
        config.update(TESTING=True, SESSION_COOKIE_SECURE=False)
    config.update(overrides)

    if production:
        _check_production(config)
    elif not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _dev_secret_key(instance_path)
    return config


def _check_production(config: dict) -> None:
    key = config.get("SECRET_KEY") or ""
    if len(key) < 32:
        raise ConfigError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            '(for example: python -c "import secrets; print(secrets.token_hex(32))").'
        )
    if config["DEMO_ACCOUNTS_ALLOWED"]:
        raise ConfigError("Demo accounts cannot be enabled in production.")
    if not config["PORTAL_BASE_URL"].startswith("https://"):
        raise ConfigError("PORTAL_BASE_URL must be the portal's https:// address in production.")
