"""Every kind of email as a phone shows it: rendered in a real browser (Debian's chromium, driven
by Playwright) at 375 px, nothing may be wider than the screen (no sideways scrolling), and at
800 px the message stays within its 640-px column (PRODUCT.md §4).

The messages are the real ones: the shipped campaign simulated with links on and one extension,
one message of each kind picked from the outbox (and the weekly summary), and the four emails the
web app triggers (approval request, decision, confirmation, fresh link) from the same Renderer. Set
REMINDERS_EMAIL_SCREENSHOTS=docs to write the screenshots the README shows.
"""

from __future__ import annotations

import email
import os
import re
import shutil
from email import policy
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"),
]

# The heading each kind's HTML section starts with (templates/emails/KIND.html).
HEADINGS = {"assigned": "New action for you:", "extension": "Due date revised:", "reminder": "Reminder:",
            "due": "Due today:", "overdue": "Overdue:", "escalation": "Escalated to you:", "escalated": "Escalated:"}  # fmt: skip


@pytest.fixture(scope="module")
def emails(tmp_path_factory) -> dict[str, str]:
    """kind -> the HTML part of one real message of that kind (and 'digest', 'summary')."""
    from click.testing import CliRunner

    from scheduler.cli import main
    from tests.conftest import SHIPPED_CONFIG

    tmp = tmp_path_factory.mktemp("layout")
    env = {"DATABASE_URL": f"sqlite:///{tmp / 'r.db'}", "REMINDERS_CONFIG_DIR": str(SHIPPED_CONFIG),
           "EMAIL_BACKEND": "file", "OUTBOX_DIR": str(tmp / "outbox"), "BASE_URL": "https://reminders.example.org",
           "SECRET_KEY": "layout-test-secret-0123456789abcdef"}  # fmt: skip
    runner = CliRunner(env=env)
    for args in (["sync", "--now", "2009-11-24T08:00"],
                 ["extend", "SG2", "--to", "2010-03-31", "--reason", "exemplar launch moved to March",
                  "--approved-by", "head-of-safeguarding", "--now", "2010-02-01T10:00"],
                 ["simulate", "--from", "2009-11-24", "--to", "2010-07-31", "--outbox", str(tmp / "sim")]):  # fmt: skip
        result = runner.invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    found: dict[str, str] = {}
    for path in sorted((tmp / "sim").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        html = msg.get_body(("html",)).get_content()
        many = len(msg["X-Reminder-Notices"].split(",")) > 1
        if many and "escalated to you" in msg["Subject"]:  # the richest: escalated to them and by them
            found["digest"] = html if "of yours escalated" in msg["Subject"] else found.get("digest", html)
        if not many:
            heading = re.search(r"<h2[^>]*>([^<]*)</h2>", html).group(1)
            kind = next(k for k, h in HEADINGS.items() if heading.startswith(h))
            found.setdefault(kind, html)
    summary = runner.invoke(main, ["summary", "--now", "2010-03-15T08:00", "--format", "html"])
    assert summary.exit_code == 0, summary.output
    found["summary"] = summary.output
    found.update(_web_emails())
    return found


WEB_KINDS = ("approval", "decision", "confirmed", "link", "verify", "verified", "returned")  # and verification (17)


def _web_emails() -> dict[str, str]:
    """The emails the web app triggers, rendered by the same Renderer from a notice view of SG1 (the
    web tests send them for real; here only their layout matters)."""
    import dataclasses
    import datetime as dt

    from scheduler.engine.links import Links
    from scheduler.engine.views import NoticeView, Recipient, RequestView
    from scheduler.mail.render import Renderer

    owner = Recipient("Independent Reviewing Officer Service Manager", "iro-service-manager@example.org")
    manager = Recipient("Head of Looked After Children's Services", "head-of-lac@example.org")
    request = RequestView(7, owner, manager, dt.date(2010, 2, 24), dt.date(2010, 3, 31),
                          "The case planning audit moved to March because two team managers left", "approved",
                          "Agreed; please send the audit to the administrator when done")  # fmt: skip
    base = NoticeView(plan="ofsted-2009", plan_title="Ofsted inspection of safeguarding and looked after children 2009",
                      ref="LAC1", title="Ensure that the initial case planning processes within contact referral and "
                      "assessment teams and transfer arrangements to area teams appropriately meet the needs of "
                      "children and young people newly looked after", response=None, area="Looked after children",
                      stage="", kind="", to=owner, cc=(), owner=owner, owner_id="iro-service-manager",
                      due=dt.date(2010, 3, 31), original_due=dt.date(2010, 2, 24),
                      revisions=((dt.date(2010, 2, 24), dt.date(2010, 3, 31), request.reason, manager.name),),
                      today=dt.date(2010, 2, 20), status="in_progress", owner_since=dt.date(2009, 11, 24),
                      escalation_level=None, overdue_number=None, before_days=None, action_id=9, request=request,
                      administrator=Recipient("Performance and Quality Assurance Manager", "pqa-manager@example.org"),
                      tz=dt.UTC)  # fmt: skip
    renderer = Renderer(links=Links("https://reminders.example.org", "layout-test-secret-0123456789abcdef"))
    admin = base.administrator
    detail = {"note": "All new referrals allocated; the January audit of all four teams is attached",
              "submitted_by": owner.name, "since": dt.datetime(2010, 2, 19, 15, 30, tzinfo=dt.UTC), "days_waiting": 1,
              "evidence": [{"name": "lac1-case-planning-audit-january-2010-all-four-teams.pdf",
                            "what": "application/pdf, 412 KB", "sha256": "ab" * 32},
                           {"name": "https://intranet.example.org/children/audits/2010/lac1", "what": "link",
                            "sha256": None}],
              "by": admin.name, "at": dt.datetime(2010, 2, 20, 9, 30, tzinfo=dt.UTC),
              "reason": "The audit covers one team only; attach the audits of all four teams"}  # fmt: skip
    views = {"verify": dataclasses.replace(base, stage="verify:1", kind="verify", to=admin, request=None,
                                           status="awaiting_verification", verification=detail),
             "verified": dataclasses.replace(base, stage="verified:1", kind="verified", request=None,
                                             status="complete", verification=detail),
             "returned": dataclasses.replace(base, stage="returned:1", kind="returned", request=None,
                                             verification=detail),
             "approval": dataclasses.replace(base, stage="approval:7", kind="approval", to=manager,
                                             due=dt.date(2010, 2, 24), revisions=()),
             "decision": dataclasses.replace(base, stage="decision:7", kind="decision"),
             "confirmed": dataclasses.replace(base, stage="confirmed:12", kind="confirmed", status="complete"),
             "link": dataclasses.replace(base, stage="link:1", kind="link")}  # fmt: skip
    now = dt.datetime(2010, 2, 20, 10, 0, tzinfo=dt.UTC)
    return {k: renderer.render([v], now).get_body(("html",)).get_content() for k, v in views.items()}


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python (pip install playwright)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def test_one_email_of_every_kind_was_found(emails):
    assert set(emails) == {*HEADINGS, "digest", "summary", *WEB_KINDS}


@pytest.mark.parametrize("kind", [*HEADINGS, "digest", "summary", *WEB_KINDS])
def test_email_fits_a_375_px_phone_without_sideways_scrolling(emails, browser, kind, tmp_path):
    page = browser.new_page(viewport={"width": 375, "height": 700})
    page.set_content(emails[kind])
    width = page.evaluate("document.documentElement.scrollWidth")
    widest = page.evaluate("""() => Math.max(...[...document.querySelectorAll('body *')]
                                   .map(e => e.getBoundingClientRect().right))""")  # fmt: skip
    shot = tmp_path / f"email-{kind}-375.png"
    page.screenshot(path=str(shot), full_page=True)
    _keep(shot, kind)
    page.set_viewport_size({"width": 800, "height": 700})
    card = page.evaluate("document.querySelector('body > table table').getBoundingClientRect().width")
    page.close()
    assert width <= 375, f"{kind}: {width} px wide on a 375-px screen (see {shot})"
    assert widest <= 375.5, f"{kind}: an element ends at {widest} px"
    assert card <= 640, f"{kind}: the message is {card} px wide at 800 px (max 640)"


def _keep(shot: Path, kind: str) -> None:
    """Copy the screenshots the README shows into REMINDERS_EMAIL_SCREENSHOTS (e.g. docs)."""
    target = os.environ.get("REMINDERS_EMAIL_SCREENSHOTS")
    if target and kind in ("digest", "reminder", "approval"):
        shutil.copy(shot, Path(target) / shot.name)


def test_summary_titles_keep_most_of_a_phones_width(emails, browser):
    """At 375 px the 'All actions' titles get most of the width: a third column (the RAG, never
    wrapping) once squeezed them to a word a line, broken mid-word ('accommodati / on')."""
    page = browser.new_page(viewport={"width": 375, "height": 700})
    page.set_content(emails["summary"])
    widths = page.evaluate("""() => {
        const h = [...document.querySelectorAll('h3')].find(e => e.textContent === 'All actions');
        const table = h.nextElementSibling;
        return [...table.querySelectorAll('tr')].slice(1).map(r => r.cells[0].getBoundingClientRect().width);
    }""")  # fmt: skip
    page.close()
    assert widths and min(widths) >= 200, widths
