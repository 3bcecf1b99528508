"""Render notices into email messages (PRODUCT.md §4).

`Renderer.render(notices, sender)` returns an `email.message.EmailMessage`: multipart text + HTML
(+ an ICS event for `assigned` notices), with Date, Message-ID, Auto-Submitted,
X-Reminder-Notices and threading headers. Templates are Jinja2 with StrictUndefined; the HTML
environment autoescapes, and header values are stripped of line breaks, so names, titles and
notes cannot inject headers or markup.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from scheduler.calendar_invite import due_date_event
from scheduler.settings import PACKAGE_ROOT

DEFAULT_TEMPLATES = PACKAGE_ROOT / "templates" / "emails"
# Long subjects are folded at 998 (RFC 5322's hard limit), not 78: the default folding moves
# a subject starting with "[" onto a continuation line, which some clients show with a space.
MAIL_POLICY = email.policy.default.clone(max_line_length=998)
KINDS = ("assigned", "extension", "reminder", "due", "overdue", "escalation")


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str

    def address(self) -> Address:
        return Address(display_name=one_line(self.name), addr_spec=self.email)


@dataclass(frozen=True)
class NoticeView:
    """Everything a template may show about one notice."""

    plan: str
    plan_title: str
    ref: str
    title: str
    response: str | None
    area: str | None
    stage: str
    kind: str  # one of KINDS
    to: Recipient
    cc: tuple[Recipient, ...]
    owner: Recipient
    owner_id: str
    due: dt.date
    original_due: dt.date
    revisions: tuple  # of (previous_due, revised_due, reason, approved_by)
    today: dt.date
    status: str
    owner_since: dt.date
    escalation_level: int | None
    overdue_number: int | None
    before_days: int | None
    ics_sequence: int = 0

    @property
    def days_left(self) -> int:
        return (self.due - self.today).days

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)

    @property
    def key(self) -> str:
        return f"{self.plan}/{self.ref}"


def kind_of(stage: str, extended: bool) -> str:
    """Map a stage name to its template kind."""
    head = stage.split(":", 1)[0]
    if head == "assigned":
        return "extension" if extended else "assigned"
    return {"before": "reminder"}.get(head, head)


def one_line(text: str) -> str:
    """Collapse whitespace, including CR/LF, so a value is safe in a header."""
    return re.sub(r"\s+", " ", text or "").strip()


def longdate(value: dt.date) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class TemplateProblem(Exception):
    """A template is missing or broken; the message names the file."""


class Renderer:
    def __init__(self, template_dir: Path | None = None, sender: str = "reminders@example.org"):
        dirs = [str(template_dir)] if template_dir and Path(template_dir) != DEFAULT_TEMPLATES else []
        loader = ChoiceLoader([FileSystemLoader(d) for d in dirs + [str(DEFAULT_TEMPLATES)]])
        self.text = Environment(loader=loader, undefined=StrictUndefined, autoescape=False,
                                keep_trailing_newline=True)  # fmt: skip
        self.html = Environment(loader=loader, undefined=StrictUndefined, autoescape=True)
        for env in (self.text, self.html):
            env.filters["longdate"] = longdate
            env.filters["plural"] = plural
        self.sender = sender
        self.domain = sender.rsplit("@", 1)[-1].strip(" >") or "reminders.invalid"

    def _render(self, env: Environment, name: str, **ctx) -> str:
        try:
            return env.get_template(name).render(**ctx)
        except TemplateError as exc:
            raise TemplateProblem(f"template {name}: {exc}") from exc

    def subject(self, notices: list[NoticeView]) -> str:
        name = f"{notices[0].kind}.subject.txt" if len(notices) == 1 else "digest.subject.txt"
        return one_line(self._render(self.text, name, n=notices[0], notices=notices))

    def bodies(self, notices: list[NoticeView]) -> tuple[str, str]:
        """Return (plain text, HTML) bodies for one message carrying `notices`."""
        text_sections = [self._render(self.text, f"{n.kind}.txt", n=n) for n in notices]
        html_sections = [Markup(self._render(self.html, f"{n.kind}.html", n=n)) for n in notices]
        to = notices[0].to
        text = self._render(self.text, "digest.txt", to=to, notices=notices, sections=text_sections)
        html = self._render(self.html, "digest.html", to=to, notices=notices, sections=html_sections)
        return text, html

    def thread_id(self, n: NoticeView) -> str:
        """A stable Message-ID-like id per action, so its notices thread together."""
        return f"<{re.sub(r'[^A-Za-z0-9.-]', '-', n.plan)}.{re.sub(r'[^A-Za-z0-9.-]', '-', n.ref)}@{self.domain}>"

    def render(self, notices: list[NoticeView], now: dt.datetime) -> EmailMessage:
        """Return the complete message for `notices` (all to the same recipient and cc)."""
        first = notices[0]
        msg = EmailMessage(policy=MAIL_POLICY)
        msg["Subject"] = self.subject(notices)
        msg["From"] = self.sender
        msg["To"] = first.to.address()
        cc = {c.email: c for n in notices for c in n.cc if c.email != first.to.email}
        if cc:
            msg["Cc"] = [c.address() for c in cc.values()]
        msg["Date"] = format_datetime(now.astimezone(dt.UTC))
        msg["Message-ID"] = make_msgid(idstring="reminder", domain=self.domain)
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
        msg["X-Reminder-Notices"] = ", ".join(f"{n.key}={n.stage}" for n in notices)
        threads = list(dict.fromkeys(self.thread_id(n) for n in notices))
        msg["In-Reply-To"] = threads[0]
        msg["References"] = " ".join(threads)
        text, html = self.bodies(notices)
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        for n in notices:
            if n.kind in ("assigned", "extension"):
                ics = due_date_event(n, self.domain, now)
                msg.add_attachment(ics, maintype="text", subtype="calendar",
                                   filename=f"{n.plan}-{n.ref}-due.ics", params={"method": "PUBLISH"})  # fmt: skip
        return msg
