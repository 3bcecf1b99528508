"""Per-deployment settings from the environment (and `.env`, loaded by python-dotenv).

`load_settings()` returns a validated `Settings` or raises `SettingsError` naming every bad
variable at once, each with the allowed values. pydantic-settings reads and converts; the
rules that span variables (SMTP backend needs a host, links need a secret) are checked here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///data/reminders.db"
DEFAULT_MAIL_FROM = "Improvement plan reminders <reminders@example.org>"

# The allowed values of each variable, for error messages.
HINTS = {
    "DATABASE_URL": "use sqlite:///path/to/file.db (e.g. sqlite:///data/reminders.db) or "
                    "postgresql+psycopg://user:password@host:5432/dbname (postgresql:// and postgres:// "
                    "are read as the same)",
    "TEMPLATES_DIR": "a folder of email templates that exists (leave unset for the shipped ones)",
    "SMTP_HOST": "the mail server's host name, e.g. SMTP_HOST=smtp.office365.com",
    "SMTP_USERNAME": "the login name at the mail server, on one line",
    "SMTP_PASSWORD": "the password at the mail server, on one line",
    "EMAIL_BACKEND": "use smtp or file",
    "SMTP_PORT": "a port number from 1 to 65535, e.g. SMTP_PORT=587",
    "SMTP_SECURITY": "use starttls, ssl or none",
    "SMTP_TIMEOUT": "seconds, a number above 0 and at most 600, e.g. SMTP_TIMEOUT=30",
    "SMTP_SEND_DEADLINE": "seconds one message may take in all, above 0 and at most 3600 (default 60)",
    "RUN_DEADLINE": "seconds a run may deliver for, above 0 and at most 86400 (default 1800)",
    "SMTP_CONNECTIONS": "parallel connections to the relay, a whole number from 1 to 20 (default 3; "
                        "Exchange Online allows 3)",
    "SMTP_MAX_PER_MINUTE": "the relay's limit in messages a minute, a number above 0 (e.g. 30 for Exchange "
                           "Online); leave unset for none",
    "MAIL_FROM": "one address, e.g. MAIL_FROM='Reminders <reminders@council.example.org>'",
    "LOG_FORMAT": "use text or json",
    "BASE_URL": "the web app's public address, e.g. BASE_URL=https://reminders.council.example.org",
    "EVIDENCE_MAX_MB": "megabytes per evidence file, a whole number from 1 to 1024 (default 20)",
    "EVIDENCE_MAX_FILES": "files per submission, a whole number from 1 to 100 (default 10)",
    "SECRET_KEY": "a random string of at least 32 characters: make one with "
    "`python -c \"import secrets; print(secrets.token_urlsafe(32))\"` and put it in .env",
}
# pydantic's error types, said plainly.
PLAIN = {
    "int_parsing": "not a whole number",
    "float_parsing": "not a number",
    "literal_error": "not an allowed value",
    "less_than_equal": "out of range",
    "greater_than_equal": "out of range",
    "greater_than": "out of range",
}
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")

class SettingsError(ValueError):
    """One or more environment settings are invalid; the message names each and its fix."""

class Settings(BaseSettings):
    """The deployment's settings; field names are the variables' names in lower case."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True, populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias=AliasChoices("DATABASE_URL"))
    config_dir: Path = Field(Path("config"), validation_alias=AliasChoices("REMINDERS_CONFIG_DIR"))
    templates_dir: Path | None = Field(None, validation_alias=AliasChoices("TEMPLATES_DIR"))
    email_backend: Literal["smtp", "file"] | None = Field(None, validation_alias=AliasChoices("EMAIL_BACKEND"))
    outbox_dir: Path = Field(Path("outbox"), validation_alias=AliasChoices("OUTBOX_DIR"))
    cache_dir: Path | None = Field(None, validation_alias=AliasChoices("REMINDERS_CACHE_DIR"))
    smtp_host: str | None = Field(None, validation_alias=AliasChoices("SMTP_HOST"))
    smtp_port: int | None = Field(None, ge=1, le=65535, validation_alias=AliasChoices("SMTP_PORT"))
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", validation_alias=AliasChoices("SMTP_SECURITY")
    )
    smtp_username: str | None = Field(None, validation_alias=AliasChoices("SMTP_USERNAME"))
    smtp_password: SecretStr | None = Field(None, validation_alias=AliasChoices("SMTP_PASSWORD"))
    smtp_timeout: float = Field(30.0, gt=0, le=600, validation_alias=AliasChoices("SMTP_TIMEOUT"))
    smtp_send_deadline: float = Field(60.0, gt=0, le=3600, validation_alias=AliasChoices("SMTP_SEND_DEADLINE"))
    run_deadline: float = Field(1800.0, gt=0, le=86400, validation_alias=AliasChoices("RUN_DEADLINE"))
    smtp_connections: int = Field(3, ge=1, le=20, validation_alias=AliasChoices("SMTP_CONNECTIONS"))
    smtp_max_per_minute: float | None = Field(None, gt=0, le=100000,
                                              validation_alias=AliasChoices("SMTP_MAX_PER_MINUTE"))  # fmt: skip
    mail_from: str = Field(DEFAULT_MAIL_FROM, validation_alias=AliasChoices("MAIL_FROM"))
    log_format: Literal["text", "json"] = Field("text", validation_alias=AliasChoices("LOG_FORMAT"))
    base_url: str | None = Field(None, validation_alias=AliasChoices("BASE_URL"))
    secret_key: SecretStr | None = Field(None, validation_alias=AliasChoices("SECRET_KEY"))
    evidence_max_mb: int = Field(20, ge=1, le=1024, validation_alias=AliasChoices("EVIDENCE_MAX_MB"))
    evidence_max_files: int = Field(10, ge=1, le=100, validation_alias=AliasChoices("EVIDENCE_MAX_FILES"))

    @field_validator("email_backend", "smtp_security", "log_format", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("smtp_host", "smtp_username", "smtp_password", "base_url", "database_url", mode="before")
    @classmethod
    def _one_line(cls, value):
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise ValueError("contains a control character (a line break?): it would end up in a protocol line")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # Read the scheme by hand: `validate` must not import SQLAlchemy just to check a setting.
        scheme, sep, rest = value.partition("://")
        if not sep or not re.match(r"^[a-z][a-z0-9+]*$", scheme) or not rest:
            raise ValueError("is not a database URL")
        if scheme in ("sqlite", "sqlite+pysqlite"):
            return value
        if scheme in ("postgres", "postgresql", "postgresql+psycopg"):  # psycopg 3 is the driver shipped
            return f"postgresql+psycopg://{rest}"
        raise ValueError(f"{scheme.split('+')[0]!r} is not a supported database")

    @field_validator("templates_dir")
    @classmethod
    def _templates_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError("no such folder")
        return value

    @field_validator("mail_from")
    @classmethod
    def _one_address(cls, value: str) -> str:
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("contains a control character (a line break?)")
        from email.utils import getaddresses

        found = getaddresses([value])
        if len(found) != 1 or not ADDRESS.match(found[0][1]):
            raise ValueError("is not exactly one email address")
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("is not an http(s) address")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _together(self):
        if self.email_backend is None:
            object.__setattr__(self, "email_backend", "smtp" if self.smtp_host else "file")
        if self.email_backend == "smtp" and not self.smtp_host:
            raise ValueError("EMAIL_BACKEND=smtp needs SMTP_HOST (the mail server's name)")
        if self.base_url and (self.secret_key is None or len(self.secret_key.get_secret_value()) < 16):
            raise ValueError("BASE_URL is set, so SECRET_KEY is required (at least 16 characters; "
                             + HINTS["SECRET_KEY"] + ")")  # fmt: skip
        return self

    def password(self) -> str | None:
        """Return the SMTP password (only `SmtpTransport.open` calls this)."""
        return self.smtp_password.get_secret_value() if self.smtp_password else None

    def __repr__(self) -> str:  # never print the password
        return f"Settings(database_url={redact_url(self.database_url)!r}, backend={self.email_backend!r})"

    __str__ = __repr__

# Every SECRET_KEY value a shipped example shows (compose.yaml, .env.example): anyone can read them, so
# a link signed with one can be forged. tests/test_web_setup.py keeps this list equal to the files.
EXAMPLE_SECRETS = frozenset({"local-trial-secret-change-me", "CHANGE_ME_run_openssl_rand_hex_32",
                             "change-me-to-the-output-of-the-command-above"})  # fmt: skip
MIN_SECRET_CHARS = 32


def secret_key_problem(settings: Settings) -> str | None:
    """Return why SECRET_KEY must not sign links (too short, or a value from a shipped example), else None."""
    key = settings.secret_key.get_secret_value() if settings.secret_key else ""
    if key in EXAMPLE_SECRETS:
        why = "is the example value shipped in compose.yaml / .env.example, so anyone can forge links with it"
    elif len(key) < MIN_SECRET_CHARS:
        why = f"is {'not set' if not key else f'only {len(key)} characters'}; links need at least {MIN_SECRET_CHARS}"
    else:
        return None
    return f"SECRET_KEY {why}; {HINTS['SECRET_KEY']}"


def redact_url(url: str) -> str:
    """Return `url` with any password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable url>"

def _describe(error: dict) -> str:
    loc = error.get("loc") or ()
    aliases = {f.validation_alias.choices[0] for f in Settings.model_fields.values()}
    name = next((k for k in loc if k in aliases), "")
    value = error.get("input")
    message = PLAIN.get(error.get("type", ""), str(error.get("msg", "invalid")).removeprefix("Value error, "))
    if not name:  # a rule across variables: its message names them
        return message
    shown = "***" if name in ("SMTP_PASSWORD", "SECRET_KEY") else repr(value)
    if name == "DATABASE_URL" and isinstance(value, str):
        shown = repr(redact_url(value)) if "://" in value else shown
    return f"{name}={shown}: {message}; {HINTS.get(name, 'see .env.example')}"

def load_settings(env_file: str | None = ".env") -> Settings:
    """Return Settings from os.environ, after loading `.env` (which never overrides the env)."""
    if env_file:
        from dotenv import load_dotenv

        load_dotenv(env_file, override=False)
    try:
        return Settings()
    except ValidationError as exc:
        problems = [_describe(e) for e in exc.errors(include_url=False)]
        head = f"{len(problems)} bad setting{'s' if len(problems) != 1 else ''} in the environment:"
        raise SettingsError("\n".join([head] + [f"  - {p}" for p in problems])) from None
