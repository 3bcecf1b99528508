"""The owner's and approver's pages read as people expect (PRODUCT.md §4): the action's history
in plain words without stage names or Message-IDs, the evidence link a link, and after an
approval the new due date, not the old one."""

from __future__ import annotations

import re

from tests import web_helpers
from tests.web_helpers import MANAGER, form_of, link

web = web_helpers.web  # the fixture


def _history(html: str) -> str:
    return re.search(r'<ul class="history">(.*?)</ul>', html, re.S).group(1)


def test_history_on_the_action_page_is_in_plain_words(smtp_env, web, cli):
    client, app, _ = web
    assert cli("run", "--once", "--now", "2010-02-17T09:00").exit_code == 0  # SG1's before:7 (catch-up)
    fields = form_of(client.get(link(app)).text, "progress")
    client.post(link(app), data={**fields, "note": "half done"})
    history = _history(client.get(link(app)).text)
    assert "Reminder sent: due in 7 days" in history
    assert "Marked in progress by Contact Centre Manager (on the web page): half done" in history
    assert "Added to the plan" in history
    for jargon in ("before:", "superseded", "in_progress", "-&gt;", "notice:", "@example.org>", "&lt;"):
        assert jargon not in history, jargon
    assert not re.search(r"\d{4}-\d\d-\d\d", history), "dates as people read them"


def test_the_completed_page_shows_the_evidence_as_a_link(smtp_env, web):
    client, app, _ = web
    fields = form_of(client.get(link(app)).text, "complete")
    evidence = "https://intranet.example.org/audit?id=1&x=2"
    done = client.post(link(app), data={**fields, "note": "All allocated", "evidence": evidence})
    assert done.status_code == 200
    href = '<a href="https://intranet.example.org/audit?id=1&amp;x=2" rel="noopener noreferrer">'
    assert f"<dt>Evidence</dt><dd>{href}" in done.text
    assert href in _history(done.text)


def test_evidence_text_cannot_smuggle_markup(web):
    from scheduler.web.pages import linkify

    html = str(linkify('see https://x.example.org/a"onmouseover=alert(1) and <b>bold</b>'))
    assert html == ('see <a href="https://x.example.org/a" rel="noopener noreferrer">https://x.example.org/a</a>'
                    "&#34;onmouseover=alert(1) and &lt;b&gt;bold&lt;/b&gt;")


def test_after_approval_the_page_shows_the_new_due_date(smtp_env, web):
    client, app, _ = web
    fields = form_of(client.get(link(app)).text, "extend")
    client.post(link(app), data={**fields, "proposed_due": "2010-03-31", "reason": "exemplar late"})
    (rcpts, msg), = smtp_env.parsed()
    assert rcpts == [MANAGER]
    approve = re.search(r"http://reminders\.test(/x/\S+)", msg.get_body(("plain",)).get_content())[1]
    page = client.get(approve)
    assert "<dt>Due now</dt><dd>Wednesday 24 February 2010</dd>" in page.text
    assert "waiting for your decision" in page.text and "GMT by Contact Centre Manager" in page.text
    done = client.post(approve, data={**form_of(page.text, "*"), "decision": "approve", "note": "fine"})
    assert "<dt>Due now</dt><dd>Wednesday 31 March 2010 (was Wednesday 24 February 2010)</dd>" in done.text
    owner_page = client.get(link(app)).text
    assert "Wednesday 31 March 2010" in owner_page
    moved = "Due date moved from 24 Feb 2010 to 31 Mar 2010: exemplar late (approved by Head of Safeguarding)"
    assert moved in owner_page
