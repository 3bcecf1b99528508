"""Render notices into email messages (PRODUCT.md §4), and the one message builder.

`Renderer.render(notices, now)` returns an `email.message.EmailMessage`: multipart text + HTML
(+ an ICS event for `assigned` notices), with Date, Message-ID, Auto-Submitted,
X-Reminder-Notices and threading headers. `summary_message` and `test_message` use the same
builder (`new_message`). Templates are Jinja2 with StrictUndefined, compiled once per Renderer;
the HTML environment autoescapes, and header values are stripped of line breaks, so names,
titles and notes cannot inject headers or markup.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from scheduler.config.files import shipped_templates
from scheduler.config.humandates import daydate, longdate, shortdate, when
from scheduler.config.text import one_line, shorten
from scheduler.engine.ports import TemplateProblem
from scheduler.engine.views import NoticeView, Recipient
from scheduler.mail.digest import digest_counts, group_by_action, happened, plural
from scheduler.mail.headers import MAIL_POLICY, alternative
from scheduler.mail.headers import address as header_address
from scheduler.mail.ics import cancel_event, due_date_event

DEFAULT_TEMPLATES = shipped_templates("emails")

__all__ = ["Renderer", "TemplateProblem", "MAIL_POLICY", "one_line", "shorten", "longdate", "plural"]


def wrap_text(text: str, width: int = 72) -> str:
    """Return plain text with every line over `width` wrapped at word boundaries; continuation
    lines keep the line's indent, or hang under an indented `  Label:  ` or `  - ` prefix. The
    prefix is an indent, not a word: a bullet or label never stands alone on its line, and a
    word longer than the line (a URL) stays whole, after it."""
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        label = re.match(r"^(\s+[A-Z][\w ]{0,14}:\s+|\s*- )(?=\S)", line)
        prefix = label.group(1) if label else re.match(r"^\s*", line).group(0)
        indent = " " * len(prefix) if label else prefix
        out.append(textwrap.fill(line[len(prefix):], width, initial_indent=prefix, subsequent_indent=indent,
                                 break_long_words=False, break_on_hyphens=False))  # fmt: skip
    return "\n".join(out)


def advice_key(n: NoticeView) -> tuple:
    """Return what a notice's "What to do next" advice depends on: its kind and the people it names
    (owner, where evidence goes, who it was escalated to). Equal keys: "as for SG1 above" is true."""

    def mail(r: Recipient | None) -> str:
        return r.email.lower() if r else ""

    # a new-action or extension notice's advice names the action's own date ("complete it by ...")
    dated = n.due if n.kind in ("assigned", "extension") else None
    return n.kind, mail(n.owner), mail(n.reply_to), mail(n.escalated_to), n.admin_owns, dated


def reply_targets(notices: list[NoticeView]) -> list[tuple[Recipient, str]]:
    """Return [(person, role words)] that replies to a message about `notices` reach: the plan
    administrator, or for an action the administrator owns its verifier ("who verifies SG3"), so
    evidence never goes back to the owner. The verifier reading about it gets the administrator (PRODUCT.md
    §4: every email carries Reply-To, the administrator), who records a decision sent by reply."""
    out: dict[str, tuple[Recipient, list[str] | None]] = {}
    for n in notices:
        r = n.reply_to
        if r is not None and r is not n.administrator and r.email.lower() == n.to.email.lower():
            r = n.administrator  # the verifier reading about it: replies reach the administrator, as every email's do (§4)
        if r is None:
            continue
        if r is n.administrator:
            out[r.email.lower()] = (r, None)
        else:
            person, refs = out.setdefault(r.email.lower(), (r, []))
            if refs is not None and n.ref not in refs:
                refs.append(n.ref)
    return [(r, "the plan administrator" if refs is None else "who verifies " + " and ".join(refs))
            for r, refs in out.values()]  # fmt: skip


def address(r: Recipient) -> str:
    """Return the header address of a recipient, its name made safe for a header."""
    return header_address(r.name, r.email)


class Renderer:
    """Renders messages from the shipped templates, overridden file by file by `template_dir`."""

    def __init__(self, template_dir: Path | None = None, sender: str = "reminders@example.org", links=None):
        dirs = [str(template_dir)] if template_dir and Path(template_dir) != DEFAULT_TEMPLATES else []
        loader = ChoiceLoader([FileSystemLoader(d) for d in dirs + [str(DEFAULT_TEMPLATES)]])
        self.text = Environment(loader=loader, undefined=StrictUndefined, autoescape=False,
                                keep_trailing_newline=True)  # fmt: skip
        self.html = Environment(loader=loader, undefined=StrictUndefined, autoescape=True)
        for env in (self.text, self.html):
            env.filters["longdate"] = longdate
            env.filters["shortdate"] = shortdate
            env.filters["daydate"] = daydate
            env.filters["when"] = when
            env.filters["plural"] = plural
            env.filters["short"] = shorten
            env.filters["fromiso"] = dt.date.fromisoformat  # a review date inside a stage name
        self.sender = sender
        self.links = links  # engine.links.Links when BASE_URL is set: emails carry signed links
        self.domain = sender.rsplit("@", 1)[-1].strip(" >") or "reminders.invalid"

    def template(self, env: Environment, name: str, **ctx) -> str:
        """Return template `name` rendered with `ctx`; TemplateProblem names a broken file."""
        try:
            return env.get_template(name).render(**ctx)
        except TemplateError as exc:
            raise TemplateProblem(f"template {name}: {exc}") from exc

    def subject(self, notices: list[NoticeView]) -> str:
        """Return the one-line subject of a message carrying `notices`."""
        name = f"{notices[0].kind}.subject.txt" if len(notices) == 1 else "digest.subject.txt"
        plans = sorted({n.plan for n in notices})
        return one_line(self.template(self.text, name, n=notices[0], notices=notices, plans=plans,
                                      counts=digest_counts(notices)))  # fmt: skip

    def bodies(self, notices: list[NoticeView], subject: str = "") -> tuple[str, str]:
        """Return (plain text, HTML) bodies for one message carrying `notices`: a list of what is
        inside (for more than one), one line per action, then a compact section per notice, an
        action's notices together ("Also about SG1" on the second); advice already given for an
        earlier notice of the same kind naming the same people is not repeated ("as for SG1 above")."""
        groups = group_by_action(notices)
        ordered = [n for g in groups for n in g]
        plan_titles = list(dict.fromkeys(n.plan_title for n in ordered))
        ctx, labels = [], []
        first_of: dict[tuple, str] = {}
        for i, group in enumerate(groups, 1):
            for j, n in enumerate(group):
                # The intro names the plan, so sections leave out the Plan row.
                key = advice_key(n)
                ctx.append({"n": n, "link": self.action_link(n), "same_as": first_of.get(key), "show_plan": False})
                first_of.setdefault(key, n.ref)
                labels.append(f"Also about {n.ref}" if j else f"{i} of {len(groups)}" if len(groups) > 1 else "")
        text_sections = [self.template(self.text, f"{c['n'].kind}.txt", **c).rstrip("\n") for c in ctx]
        html_sections = [Markup(self.template(self.html, f"{c['n'].kind}.html", **c)) for c in ctx]
        common = {"to": ordered[0].to, "notices": ordered, "admin": next((n.administrator for n in ordered
                  if n.administrator), None), "replies": reply_targets(ordered),
                  "lines": [happened(n) for n in ordered], "labels": labels,
                  "items": [{"n": g[0], "lines": [happened(n) for n in g]} for g in groups],
                  "plan_titles": plan_titles, "subject": subject}  # fmt: skip
        text = self.template(self.text, "digest.txt", sections=text_sections, **common)
        html = self.template(self.html, "digest.html", sections=html_sections, **common)
        return wrap_text(text), html

    def action_link(self, n: NoticeView) -> str | None:
        """Return the signed link to the action's page for this notice's recipient (None without BASE_URL)."""
        if self.links is None or n.action_id is None:
            return None
        if n.kind == "approval" and n.request is not None:  # the approver decides on the request's page
            return self.links.url("approve", n.request.id, n.to.email)
        return self.links.url("action", n.action_id, n.to.email)

    def thread_id(self, n: NoticeView) -> str:
        """Return a stable Message-ID-like id per action, so its notices thread together."""
        return f"<{re.sub(r'[^A-Za-z0-9.-]', '-', n.plan)}.{re.sub(r'[^A-Za-z0-9.-]', '-', n.ref)}@{self.domain}>"

    def list_id(self, plan: str) -> str:
        """Return the plan's List-Id (RFC 2919), e.g. ofsted-2009.reminders.example.org."""
        return f"{re.sub(r'[^A-Za-z0-9-]', '-', plan).strip('-').lower()}.{self.domain}"

    def new_message(self, kind: str, subject: str, to, now: dt.datetime, tz=None) -> EmailMessage:
        """Return a message with the headers every email of ours carries (no body yet); its Date
        is in `tz` (the plan's zone: mail clients convert it, and outbox file names read local)."""
        msg = EmailMessage(policy=MAIL_POLICY)
        msg["Subject"] = one_line(subject)
        msg["From"] = self.sender
        msg["To"] = to
        msg["Date"] = format_datetime(now.astimezone(tz or dt.UTC))
        msg["Message-ID"] = make_msgid(idstring=kind, domain=self.domain)
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
        return msg

    def render(self, notices: list[NoticeView], now: dt.datetime) -> EmailMessage:
        """Return the complete message for `notices` (all to the same recipient and cc)."""
        first = notices[0]
        msg = self.new_message("reminder", self.subject(notices), address(first.to), now, first.tz)
        cc = {c.email: c for n in notices for c in n.cc if c.email != first.to.email}
        if cc:
            msg["Cc"] = ", ".join(address(c) for c in cc.values())
        replies = reply_targets(notices)
        if replies:
            msg["Reply-To"] = ", ".join(address(r) for r, _ in replies)
        phrase = re.sub(r'[<>"\\]', "", one_line(first.plan_title))
        msg["List-Id"] = f"{phrase} <{self.list_id(first.plan)}>"
        msg["X-Reminder-Notices"] = ", ".join(f"{n.key}={n.stage}" for n in notices)
        threads = list(dict.fromkeys(self.thread_id(n) for n in notices))
        msg["In-Reply-To"] = threads[0]
        msg["References"] = " ".join(threads)
        text, html = self.bodies(notices, msg["Subject"])
        alternative(msg, text, html)
        for n in notices:
            if n.kind in ("assigned", "extension"):
                ics = due_date_event(n, self.domain, now)
                msg.add_attachment(ics, maintype="text", subtype="calendar",
                                   filename=f"{n.plan}-{n.ref}-due.ics", params={"method": "PUBLISH"})  # fmt: skip
            elif n.kind == "confirmed":  # completion recorded: the due date leaves the owner's calendar
                ics = cancel_event(n.plan, n.ref, n.title, n.due, self.domain, now, n.ics_sequence + 1)
                msg.add_attachment(ics, maintype="text", subtype="calendar",
                                   filename=f"{n.plan}-{n.ref}-cancel.ics", params={"method": "CANCEL"})  # fmt: skip
        return msg

    def summary_message(self, subject: str, to: list[str], text: str, html: str, now: dt.datetime,
                        tz=None) -> EmailMessage:  # fmt: skip
        """Return the weekly management summary email (dated in `tz`, the plan's zone)."""
        msg = self.new_message("summary", subject, ", ".join(to), now, tz)
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        return msg

    def test_message(self, to: str, now: dt.datetime) -> EmailMessage:
        """Return the `send-test` message."""
        msg = self.new_message("test", "Improvement plan reminders: test message", to, now)
        msg.set_content("This is a test from the improvement plan reminder service. Delivery works.")
        return msg
