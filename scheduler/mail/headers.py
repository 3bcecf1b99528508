"""The email policy our messages are built with, and header values made safe for it.

Python's default policy parses every header value it is given into a structured object, about
0.1 ms each; a reminder has a dozen headers and a run sends a thousand messages. The values
below are ones we compose ourselves (addresses through `formataddr`, one line, ASCII or
RFC 2047-encoded), so the policy stores such a value as given, and parses only what it must:
anything with a non-ASCII character or a line break. Such a value is also read back as the
string it is, not parsed on every read (the generator reads Content-Type several times).
"""

from __future__ import annotations

from email import quoprimime
from email.generator import _make_boundary
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage, MIMEPart
from email.policy import EmailPolicy
from email.utils import formataddr

from scheduler.config.text import one_line

# Headers we set whose value is never read back as a structured object while building.
AS_GIVEN = frozenset({"subject", "from", "to", "cc", "reply-to", "date", "message-id", "auto-submitted",
                      "x-auto-response-suppress", "list-id", "x-reminder-notices", "in-reply-to",
                      "references", "mime-version", "content-type", "content-transfer-encoding"})  # fmt: skip


class CachedRegistry(HeaderRegistry):
    """The standard header registry; it builds each header class once instead of per header."""

    def __init__(self):
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        if key not in self._classes:
            self._classes[key] = super().__getitem__(name)
        return self._classes[key]


class MailPolicy(EmailPolicy):
    """`email.policy.default`, storing our own one-line ASCII header values as given."""

    def header_store_parse(self, name, value):
        if (type(value) is str and name.lower() in AS_GIVEN and value.isascii()
                and "\n" not in value and "\r" not in value):  # fmt: skip
            return (name, value)
        return super().header_store_parse(name, value)

    def header_fetch_parse(self, name, value):
        # Read back as the plain string it was stored as: the generator reads Content-Type several
        # times per message and the envelope needs From/To, and the string methods they use
        # (get_content_type, get_boundary, getaddresses) need no parsed header object.
        if type(value) is str and name.lower() in AS_GIVEN:
            return value
        return super().header_fetch_parse(name, value)


# Long subjects are folded at 998 (RFC 5322's hard limit), not 78: the default folding moves
# a subject starting with "[" onto a continuation line, which some clients show with a space.
MAIL_POLICY = MailPolicy(max_line_length=998, header_factory=CachedRegistry())


def address(name: str, email: str) -> str:
    """Return `Name <email>` for a header: the name on one line, quoted or RFC 2047-encoded as needed."""
    return formataddr((one_line(name), email), charset="utf-8")


def text_part(body: str, subtype: str) -> MIMEPart:
    """Return a text/`subtype` UTF-8 part, as `set_content` would make it, headers set as given.

    The transfer encoding is the email package's own choice for our policy: 7bit for short ASCII
    lines, 8bit for short lines otherwise, quoted-printable when a line is too long for SMTP.
    """
    lines = body.splitlines()
    normal = "\n".join(lines) + "\n"
    if max((len(x) for x in lines), default=0) <= MAIL_POLICY.max_line_length:
        cte = "7bit" if normal.isascii() else "8bit"
    else:
        latin = normal.encode("utf-8").decode("latin-1")  # one char per UTF-8 byte, as QP encodes bytes
        cte, normal = "quoted-printable", quoprimime.body_encode(latin, MAIL_POLICY.max_line_length)
    part = MIMEPart(policy=MAIL_POLICY)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = cte
    part.set_payload(normal.encode("utf-8").decode("ascii", "surrogateescape") if cte == "8bit" else normal)
    return part


def alternative(msg: EmailMessage, text: str, html: str) -> None:
    """Make `msg` multipart/alternative with a plain text and an HTML part (what set_content and
    add_alternative produce, without re-parsing the MIME headers each builds)."""
    msg["MIME-Version"] = "1.0"
    msg["Content-Type"] = f'multipart/alternative; boundary="{_make_boundary()}"'
    msg.set_payload([text_part(text, "plain"), text_part(html, "html")])
