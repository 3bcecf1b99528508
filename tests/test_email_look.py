"""What an email says agrees with itself (PRODUCT.md §4): a digest's subject and body count the
same actions, an action completed in time is never "overdue", a bullet never stands alone before
a long link, and the summary's text part has the HTML part's sections."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import re
from email import policy

from scheduler.engine.views import NoticeView, Recipient
from scheduler.mail.render import Renderer, wrap_text

ADMIN = Recipient("Performance and Quality Assurance Manager", "pqa-manager@example.org")
HEAD = Recipient("Head of Safeguarding", "head-of-safeguarding@example.org")
ASM = Recipient("Area Social Care Services Manager", "area-services-manager@example.org")
NOW = dt.datetime(2010, 3, 4, 9, 0, tzinfo=dt.UTC)
LONG_URL = ("https://intranet.example.org/documents/safeguarding/contact-centre/"
            "allocation-audit-january-2010-final-version.pdf")  # fmt: skip


def view(ref="SG2", kind="escalated", **kw) -> NoticeView:
    """A notice to ASM about their action `ref`, due 24 Feb 2010, read on 4 Mar 2010."""
    base = dict(plan="ofsted-2009", plan_title="Ofsted inspection 2009", ref=ref, title="Improve assessments",
                response=None, area="Safeguarding", stage="escalation:1", kind=kind, to=ASM, cc=(), owner=ASM,
                owner_id="asm", due=dt.date(2010, 2, 24), original_due=dt.date(2010, 2, 24), revisions=(),
                today=dt.date(2010, 3, 4), status="open", owner_since=dt.date(2009, 11, 24),
                escalation_level=1, overdue_number=None, before_days=None, administrator=ADMIN, tz=dt.UTC,
                escalated_to=HEAD if kind == "escalated" else None, action_id=None)  # fmt: skip
    base.update(kw)
    return NoticeView(**base)


def progress(ref: str, **kw) -> NoticeView:
    return view(ref, "progress", stage="progress:2010-03-16:1", escalation_level=None, **kw)


def parts(msg) -> tuple[str, str]:
    text = msg.get_body(("plain",)).get_content()
    return text, msg.get_body(("html",)).get_content()


def test_an_escalation_and_a_progress_request_for_one_action_are_one_action_in_subject_and_body():
    msg = Renderer().render([view("SG1"), progress("SG1")], NOW)
    assert msg["Subject"].startswith("[ofsted-2009] 1 action for you: ")
    text, html = parts(msg)
    flat = " ".join(text.split())
    assert "This email is about 1 action in Ofsted inspection 2009:" in flat
    assert "about 2 actions" not in flat and "about 2 actions" not in html
    assert "This email is about 1 action in" in html
    # the list of contents names SG1 once, with both things that happened
    assert len(re.findall(r"^  - SG1:", text, re.M)) == 1
    assert re.search(r"- SG1: 8 days overdue, escalated to Head of Safeguarding; also progress update asked for "
                     r"the review on Tue 16 Mar 2010; due Wed 24 Feb 2010", flat)  # fmt: skip
    # its second section says it is about the same action, not numbered as another one
    assert "[Also about SG1] PROGRESS UPDATE" in flat and "[2 of 2]" not in flat
    assert "Also about SG1:" in html


def test_three_notices_about_two_actions_say_two_actions_everywhere():
    msg = Renderer().render([view("SG2"), progress("SG6"), progress("SG2")], NOW)
    assert msg["Subject"].startswith("[ofsted-2009] 2 actions for you: ")
    text, html = parts(msg)
    flat = " ".join(text.split())
    assert "This email is about 2 actions in" in flat and "This email is about 2 actions in" in html
    assert "[1 of 2] ESCALATED" in flat and "[Also about SG2] PROGRESS UPDATE" in flat
    assert "[2 of 2] PROGRESS UPDATE: ofsted-2009/SG6" in flat
    # an action's notices are together, in the order of its first one
    assert flat.index("[Also about SG2]") < flat.index("[2 of 2]")


def verify_view(**kw) -> NoticeView:
    v = {"note": "audit attached", "submitted_by": "Area Social Care Services Manager",
         "since": dt.datetime(2010, 2, 12, 10, 0, tzinfo=dt.UTC), "days_waiting": 20, "by": None, "at": None,
         "reason": None, "evidence": [{"name": LONG_URL, "what": "link", "sha256": None}]}  # fmt: skip
    return view("SG2", "verify", stage="verify:1", to=ADMIN, status="awaiting_verification", verification=v,
                escalation_level=None, verifier=ADMIN, **kw)  # fmt: skip


def test_an_action_completed_early_and_awaiting_verification_is_not_shown_overdue():
    text, html = parts(Renderer().render([verify_view(completed_on=dt.date(2010, 2, 12))], NOW))
    flat = " ".join(text.split())
    assert "Due: Wednesday 24 February 2010, completed 12 days before its due date" in flat
    assert "overdue" not in flat and "overdue" not in html
    assert "completed 12 days before its due date" in html and "#b00020" not in html


def test_an_action_completed_late_says_how_late_and_verified_says_it_too():
    late = verify_view(completed_on=dt.date(2010, 2, 27))
    flat = " ".join(parts(Renderer().render([late], NOW))[0].split())
    assert "Due: Wednesday 24 February 2010, completed 3 days after its due date" in flat
    done = dataclasses.replace(late, kind="verified", stage="verified:1", status="complete", to=ASM,
                               completed_on=dt.date(2010, 2, 24))  # fmt: skip
    assert "completed on its due date" in " ".join(parts(Renderer().render([done], NOW))[0].split())


def test_a_long_evidence_link_keeps_its_bullet_on_its_line_and_is_never_broken():
    text, _ = parts(Renderer().render([verify_view(completed_on=dt.date(2010, 2, 12))], NOW))
    lines = text.splitlines()
    assert f"    - {LONG_URL}" in lines, "the bullet and the URL on one line, the URL whole"
    assert not [x for x in lines if x.strip() in ("-", "- ")], "a bullet alone on its line"
    assert wrap_text(f"  Evidence:  {LONG_URL} (link)").splitlines()[0] == f"  Evidence:  {LONG_URL}"


def headings(text: str, html: str) -> tuple[list[str], list[str]]:
    """Return the section headings of a summary's text part (a line over indented items, without its
    "since ..." period) and of its HTML part (its h3s)."""
    lines = text.splitlines()
    found = [re.sub(r" since .*$", "", x) for x, after in zip(lines, lines[1:], strict=False)
             if x and not x.startswith(" ") and after.startswith("  - ")]  # fmt: skip
    return found, [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h3[^>]*>(.*?)</h3>", html)]


def test_the_summary_text_and_html_parts_have_the_same_sections_under_the_same_headings(cli, tmp_path):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    assert cli("set-status", "SG4", "in_progress", "--now", "2010-02-01T10:00").exit_code == 0
    assert cli("set-status", "SG1", "awaiting_verification", "--by", "contact-centre-manager", "--note",
               "all referrals allocated", "--now", "2010-02-12T10:00").exit_code == 0  # fmt: skip
    assert cli("summary", "--send", "--now", "2010-03-04T08:00").exit_code == 0
    (path, *_) = sorted((tmp_path / "outbox").glob("*.summary_at_*.eml"))
    text, html = parts(email.message_from_bytes(path.read_bytes(), policy=policy.default))
    in_text, in_html = headings(text, html)
    assert "In progress:" not in text
    assert in_text == in_html
    assert {"Overdue", "All actions", "Awaiting verification by the administrator"} <= set(in_text)
    assert re.search(r"^  - SG4 \(in progress, ", text, re.M)


def test_the_verify_email_of_a_run_says_the_action_was_completed_early(cli, tmp_path):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    assert cli("set-status", "SG1", "awaiting_verification", "--by", "contact-centre-manager", "--note",
               "all referrals allocated", "--now", "2010-02-12T10:00").exit_code == 0  # fmt: skip
    assert cli("run", "--once", "--now", "2010-03-04T09:00").exit_code == 0  # SG1 was due 24 Feb
    msgs = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "outbox").glob("*.eml")]
    (msg,) = [m for m in msgs if "ofsted-2009/SG1=verify:" in (m["X-Reminder-Notices"] or "")]
    text, html = parts(msg)
    section = " ".join(text.split("TO VERIFY: ")[1].split("What to do next")[0].split())
    assert "Due: Wednesday 24 February 2010, completed 12 days before its due date" in section
    assert "overdue" not in section
