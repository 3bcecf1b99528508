"""Email delivery: SMTP or a file outbox. Both raise `TransportError(permanent=...)`.

`send(msg)` returns the addresses the server refused (per recipient) as
{address: (code, text)}; a refusal of every recipient, or any other failure, raises.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from scheduler.engine.ports import TransportError
from scheduler.mail.smtp_client import Flattened, TrackingSMTP, TrackingSMTP_SSL, flatten

__all__ = ["TransportError", "FileTransport", "SmtpTransport", "MemoryTransport", "make_transport"]


def recipients_of(msg: EmailMessage) -> list[str]:
    return [addr for _, addr in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", [])) if addr]


class MemoryTransport:
    """Keeps every message in `sent` (for tests and dry runs); `fail` makes the next sends raise."""

    name = "memory"

    def __init__(self):
        self.sent: list[EmailMessage] = []
        self.fail: list[TransportError] = []  # raised by the next send() calls, in turn
        self.opened = 0

    def open(self) -> None:
        self.opened += 1

    def prepare(self, msg: EmailMessage) -> EmailMessage:
        return msg

    def send(self, msg: EmailMessage) -> dict:
        if self.fail:
            raise self.fail.pop(0)
        self.sent.append(msg)
        return {}

    def close(self) -> None:
        pass


class FileTransport:
    """Writes one .eml file per message into `directory`, atomically (temp file + rename)."""

    name = "file"

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def open(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportError(f"cannot create outbox {self.directory}: {exc}", permanent=False) from exc

    def prepare(self, msg: EmailMessage) -> EmailMessage:
        return msg

    def send(self, msg: EmailMessage) -> dict:
        msgid = msg["Message-ID"].strip("<>").replace("/", "_").replace("@", "_at_")
        stamp = parsedate_to_datetime(msg["Date"]).strftime("%Y%m%dT%H%M%S")
        name = f"{stamp}-{msgid}.eml"  # sorts by the message's Date
        try:
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as fh:
                fh.write(msg.as_bytes())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.directory / name)
        except OSError as exc:
            raise TransportError(f"cannot write to outbox {self.directory}: {exc}", permanent=False) from exc
        return {}

    def close(self) -> None:
        pass


class SmtpTransport:
    """One SMTP connection reused for a run; reconnects once if the server dropped an idle connection.

    A connection lost after the end of DATA is `unknown` (never retried); a message that takes
    longer than `deadline` seconds in all is cut off.
    """

    name = "smtp"

    def __init__(self, host, port=None, security="starttls", username=None, password=None, timeout=30.0,
                 deadline=60.0, connections: int = 1, max_per_minute: float | None = None):  # fmt: skip
        if security not in ("starttls", "ssl", "none"):
            raise ValueError(f"SMTP_SECURITY={security!r}: use starttls, ssl or none")
        self.host, self.security, self.timeout = host, security, timeout
        self.port = port or {"ssl": 465, "starttls": 587, "none": 25}[security]
        self.username, self._password = username, password
        self.deadline = deadline
        self.connections, self.max_per_minute = connections, max_per_minute  # SMTP_CONNECTIONS, ..._PER_MINUTE
        self.conn: TrackingSMTP | None = None

    @property
    def relay(self) -> str:
        """Return the name the relay's shared sending pace is kept under."""
        return f"smtp:{self.host}:{self.port}:{self.username or ''}"

    def fork(self) -> SmtpTransport:
        """Return another transport to the same relay (one more connection), not yet open."""
        return SmtpTransport(self.host, self.port, self.security, self.username, self._password, self.timeout,
                             self.deadline, self.connections, self.max_per_minute)  # fmt: skip

    def __repr__(self) -> str:  # the password never appears in logs or tracebacks
        return f"SmtpTransport({self.host}:{self.port}, {self.security}, user={self.username!r})"

    def open(self) -> None:
        context = ssl.create_default_context()  # certificate and host name verification on
        if self.security == "ssl":
            conn = TrackingSMTP_SSL(timeout=self.timeout, context=context)
        else:
            conn = TrackingSMTP(timeout=self.timeout)
        conn._host = self.host  # smtplib names the TLS server from it; set by __init__ only with a host
        try:
            self._connect(conn, context)
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportError(f"SMTP login as {self.username!r} refused: {exc.smtp_code}; check "
                                 "SMTP_USERNAME and SMTP_PASSWORD", permanent=True, config=True) from exc  # fmt: skip
        except smtplib.SMTPNotSupportedError as exc:
            raise TransportError(f"{self.host}:{self.port} does not offer STARTTLS; set SMTP_SECURITY=ssl (port "
                                 "465) or check SMTP_HOST/SMTP_PORT", permanent=True, config=True) from exc  # fmt: skip
        except ssl.SSLCertVerificationError as exc:
            raise TransportError(f"the certificate of {self.host} is not trusted: {exc.verify_message}; install "
                                 "the CA or fix SMTP_HOST", permanent=True, config=True) from exc  # fmt: skip
        except smtplib.SMTPResponseException as exc:
            raise TransportError(f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}", permanent=False,
                                 throttle=throttle(exc.smtp_code, _text(exc.smtp_error))) from exc  # fmt: skip
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(
                f"cannot connect to {self.host}:{self.port}: {exc}", permanent=False
            ) from exc
        self.conn = conn

    def _connect(self, conn, context) -> None:
        """Greet, secure and log in; a failure closes the connection (and its deadline thread)."""
        try:
            with conn.deadline(self.deadline):  # a server that trickles its greeting is cut off too
                conn.connect(self.host, self.port)
                if self.security == "starttls":
                    conn.starttls(context=context)
                if self.username:
                    conn.login(self.username, self._password or "")
            if conn.deadline_hit:
                raise OSError(f"the server took longer than {self.deadline:g} s to greet (SMTP_SEND_DEADLINE)")
        except BaseException:
            conn.close()
            raise

    def prepare(self, msg: EmailMessage) -> Flattened | EmailMessage:
        return flatten(msg)

    def send(self, msg: Flattened | EmailMessage) -> dict:
        for attempt in (1, 2):
            if self.conn is None:
                self.open()
            conn = self.conn
            try:
                with conn.deadline(self.deadline):
                    if isinstance(msg, Flattened):
                        refused = conn.sendmail(msg.sender, msg.recipients, msg.data)
                    else:
                        refused = conn.send_message(msg)
                return {addr: (code, _text(text)) for addr, (code, text) in refused.items()}
            except smtplib.SMTPRecipientsRefused as exc:
                codes = {addr: code for addr, (code, _t) in exc.recipients.items()}
                permanent = all(code >= 500 for code in codes.values())
                detail = ", ".join(f"{a}: {c}" for a, c in codes.items())
                paced = {throttle(c, _text(t)) for c, t in exc.recipients.values()}
                raise TransportError(f"all recipients refused ({detail})", permanent,
                                     throttle=paced.pop() if len(paced) == 1 else None) from exc  # fmt: skip
            except smtplib.SMTPResponseException as exc:
                self._reset()
                permanent = exc.smtp_code >= 500
                raise TransportError(f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}", permanent,
                                     throttle=throttle(exc.smtp_code, _text(exc.smtp_error))) from exc  # fmt: skip
            except OSError as exc:  # disconnected, timed out, cut at the deadline (smtplib's errors too)
                self.close()
                self._lost(conn, exc, last=attempt == 2)
        raise AssertionError("unreachable")

    def _lost(self, conn, exc: OSError, last: bool) -> None:
        """Raise the right TransportError for a lost connection, or return to reconnect once."""
        if conn.in_doubt:  # the server may have the message: never send it again by itself
            raise TransportError(f"connection lost after the message was sent, before the server answered: "
                                 f"{exc}", permanent=False, unknown=True) from exc  # fmt: skip
        if conn.deadline_hit:
            raise TransportError(f"SMTP took longer than {self.deadline:g} s (SMTP_SEND_DEADLINE)",
                                 permanent=False, broken=True) from exc  # fmt: skip
        if last or not isinstance(exc, smtplib.SMTPServerDisconnected):
            raise TransportError(f"SMTP error: {exc}", permanent=False, broken=True) from exc
        # an idle connection the server had closed: reconnect once (nothing was sent on it)

    def _reset(self) -> None:
        try:
            self.conn.rset()
        except Exception:
            self.close()

    def close(self) -> None:
        if self.conn is not None:
            conn, self.conn = self.conn, None
            try:
                conn.quit()
            except Exception:
                conn.close()


def throttle(code: int, text: str) -> str | None:
    """Return how a relay's answer asks us to pace ourselves (None: an ordinary answer).

    `432 4.3.2` too many connections at once; `421 4.7.x` or any 4xx saying "rate limit" / "too
    many messages": slow down; `554 5.2.0` the daily sending quota is used up (Exchange Online).
    """
    lower = text.lower()
    if code == 432 or (400 <= code < 500 and "4.3.2" in text and "concurrent" in lower):
        return "connections"
    if (code == 421 and "4.7." in text) or (400 <= code < 500 and ("rate limit" in lower or "too many" in lower)):
        return "rate"
    if code == 554 and "5.2.0" in text:
        return "daily"
    return None


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class OutboxNotWritable(ValueError):
    """The file backend's folder cannot be written: a setting to fix before anything is claimed."""


def writable_outbox(directory: Path) -> Path:
    """Return `directory`, created if needed, or raise OutboxNotWritable saying why."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".probe-"):
            pass
    except OSError as exc:
        raise OutboxNotWritable(f"OUTBOX_DIR={str(directory)!r}: cannot write there ({exc.strerror or exc}); "
                                "point it at a folder this user may write to") from None  # fmt: skip
    return directory


def make_transport(settings, outbox: Path | None = None):
    """Return the transport the settings ask for (`outbox` forces the file backend); raise
    OutboxNotWritable when the file backend's folder cannot be written."""
    if outbox is not None or settings.email_backend == "file":
        return FileTransport(writable_outbox(Path(outbox or settings.outbox_dir)))
    return SmtpTransport(settings.smtp_host, settings.smtp_port, settings.smtp_security,
                         settings.smtp_username, settings.password(), settings.smtp_timeout,
                         settings.smtp_send_deadline, settings.smtp_connections,
                         settings.smtp_max_per_minute)  # fmt: skip
