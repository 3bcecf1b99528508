"""Per-deployment settings from the environment (and `.env`, loaded by python-dotenv)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    config_dir: Path
    templates_dir: Path
    email_backend: str  # "smtp" | "file"
    outbox_dir: Path
    smtp_host: str | None
    smtp_port: int | None
    smtp_security: str  # "starttls" | "ssl" | "none"
    smtp_username: str | None
    smtp_password: str | None
    smtp_timeout: float
    mail_from: str
    log_format: str  # "text" | "json"

    def __repr__(self) -> str:  # never print the password
        return f"Settings(database_url={redact_url(self.database_url)!r}, backend={self.email_backend!r})"


class SettingsError(ValueError):
    """An environment setting is invalid; the message names it and the fix."""


def redact_url(url: str) -> str:
    """Return `url` with any password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable url>"


def _default_templates() -> Path:
    local = Path("templates/emails")
    return local if local.is_dir() else PACKAGE_ROOT / "templates" / "emails"


def load_settings(env_file: str | None = ".env") -> Settings:
    """Return Settings from os.environ, after loading `.env` (which never overrides the env)."""
    if env_file:
        load_dotenv(env_file, override=False)
    env = os.environ
    host = env.get("SMTP_HOST") or None
    backend = (env.get("EMAIL_BACKEND") or ("smtp" if host else "file")).lower()
    port = env.get("SMTP_PORT")
    if port and not port.isdigit():
        raise SettingsError(f"SMTP_PORT={port!r} is not a port number; e.g. SMTP_PORT=587")
    security = (env.get("SMTP_SECURITY") or "starttls").lower()
    if security not in ("starttls", "ssl", "none"):
        raise SettingsError(f"SMTP_SECURITY={security!r}: use starttls, ssl or none")
    if backend not in ("smtp", "file"):
        raise SettingsError(f"EMAIL_BACKEND={backend!r}: use smtp or file")
    return Settings(
        database_url=env.get("DATABASE_URL") or "sqlite:///data/reminders.db",
        config_dir=Path(env.get("REMINDERS_CONFIG_DIR") or "config"),
        templates_dir=Path(env.get("TEMPLATES_DIR") or _default_templates()),
        email_backend=backend,
        outbox_dir=Path(env.get("OUTBOX_DIR") or "outbox"),
        smtp_host=host,
        smtp_port=int(port) if port and port.isdigit() else None,
        smtp_security=security,
        smtp_username=env.get("SMTP_USERNAME") or None,
        smtp_password=env.get("SMTP_PASSWORD") or None,
        smtp_timeout=float(env.get("SMTP_TIMEOUT") or 30),
        mail_from=env.get("MAIL_FROM") or "Improvement plan reminders <reminders@example.org>",
        log_format=(env.get("LOG_FORMAT") or "text").lower(),
    )
