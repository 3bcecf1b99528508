"""What the action page says to whoever opens it (found by rendering the owners' and managers' pages):
an administrator or verifier the action does not escalate to gets a read-only page (and the server
refuses their follow-up), a completion is timed against its due date (never "overdue" when done in
time), the owner sees why their work was returned, and the dashboard's "By owner" headers fit a phone."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from tests import web_helpers
from tests.conftest import snapshot
from tests.web_helpers import MANAGER, form_of, link, status_of

web = web_helpers.web  # the fixture
ADMIN = "pqa-manager@example.org"  # SG1's administrator and verifier; SG1 does not escalate to them
ED = "executive-director@example.org"  # the plan's escalation contact


def _due(app) -> dt.date:
    with app.session() as s:
        return dt.date.fromisoformat(str(s.execute(sa.text("SELECT due FROM action WHERE ref = 'SG1'")).scalar()))


def _at(app, day: dt.date, hour: int = 10) -> None:
    app.clock.set(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt.UTC))


def _complete(client, app, note="All referrals allocated within 24 hours") -> None:
    fields = form_of(client.get(link(app)).text, "complete")
    done = client.post(link(app), data={**fields, "note": note})
    assert done.status_code == 200, done.text[-600:]
    assert status_of(app) == "awaiting_verification"


def _return(client, app, reason: str) -> None:
    fields = form_of(client.get(link(app, to=ADMIN)).text, "return")
    back = client.post(link(app, to=ADMIN), data={**fields, "reason": reason})
    assert back.status_code == 200, back.text[-600:]


def _time(page: str) -> str:
    return re.sub(r"<[^>]+>", "", re.search(r"<dt>Time</dt>(.*?)</dd>", page, re.S).group(1)).strip()


def test_an_administrator_it_does_not_escalate_to_gets_a_read_only_page_and_a_follow_up_is_refused(web):
    client, app, url = web
    _complete(client, app)
    _return(client, app, "the audit covers one team only")
    page = client.get(link(app, to=ADMIN)).text
    assert "escalated to you" not in page and "escalates to you" not in page
    assert "Record a follow-up" not in page and 'value="note"' not in page
    assert "You see this action as its verifier: its status, evidence and history." in page
    assert "Only its owner can mark it complete or report progress." in page
    manager = client.get(link(app, to=MANAGER)).text  # the owner's manager still follows it up
    assert "Record a follow-up" in manager and "It escalates to you if it falls behind" in manager
    fields = form_of(manager, "note")
    before = snapshot(url)
    refused = client.post(link(app, to=ADMIN), data={**fields, "note": "chased on 3 March"})
    assert refused.status_code == 403 and "can record a follow-up; nothing was saved" in refused.text
    assert snapshot(url) == before
    done = client.post(link(app, to=MANAGER), data={**form_of(manager, "note"), "note": "chased on 3 March"})
    assert done.status_code == 200 and "Note recorded" in done.text


def test_after_verifying_the_verifier_reads_a_neutral_page_not_escalated_to_you(web):
    client, app, _ = web
    _complete(client, app)
    fields = form_of(client.get(link(app, to=ADMIN)).text, "verify")
    assert client.post(link(app, to=ADMIN), data=fields).status_code == 200
    page = client.get(link(app, to=ADMIN)).text
    assert status_of(app) == "complete" and "escalated to you" not in page and "Record a follow-up" not in page
    assert "You see this action as its verifier" in page


def test_a_completion_made_early_is_timed_against_its_due_date_never_overdue(web):
    client, app, _ = web
    due = _due(app)
    _at(app, due - dt.timedelta(days=12))
    _complete(client, app)
    _at(app, due + dt.timedelta(days=10))  # waiting past the due date: not the owner's lateness
    page = client.get(link(app, to=ADMIN)).text
    assert _time(page) == "completed 12 days before its due date; waiting for verification 22 days"
    assert "overdue" not in _time(page)
    fields = form_of(page, "verify")
    assert client.post(link(app, to=ADMIN), data=fields).status_code == 200
    assert _time(client.get(link(app)).text) == "completed 12 days before its due date"


def test_a_completion_made_late_says_how_late(web):
    client, app, _ = web
    due = _due(app)
    _at(app, due + dt.timedelta(days=3))
    _complete(client, app)
    assert _time(client.get(link(app, to=ADMIN)).text) == ("completed 3 days after its due date; "
                                                           "waiting for verification since today")  # fmt: skip
    _at(app, due + dt.timedelta(days=4))
    assert _time(client.get(link(app)).text).endswith("waiting for verification 1 day")


def test_the_owner_sees_who_returned_their_work_when_and_why_until_they_complete_it_again(web):
    client, app, _ = web
    _at(app, dt.date(2010, 2, 10), hour=11)
    _complete(client, app)
    _return(client, app, "attach the audits of all four teams")
    page = client.get(link(app)).text
    callout = re.search(r'<section class="returned">(.*?)</section>', page, re.S)
    assert callout is not None and page.index('class="returned"') < page.index("Mark complete")
    assert ("Performance and Quality Assurance Manager returned it on Wednesday 10 February 2010 at 11:00 GMT, "
            "not verified yet: <q>attach the audits of all four teams</q>") in callout.group(1)  # fmt: skip
    _complete(client, app, note="All four audits attached")
    assert 'class="returned"' not in client.get(link(app)).text


def test_the_by_owner_headers_are_short_with_their_full_names_in_a_legend(web):
    client, app, _ = web
    page = client.get(app.links.url("dashboard", "ofsted-2009", ED).removeprefix(web_helpers.BASE)).text
    table = page[page.index("<h2>By owner</h2>"):]
    heads = re.findall(r"<th>(.*?)</th>", table.split("</tr>", 1)[0])
    assert heads[-1] == '<abbr title="awaiting verification">To verify</abbr>'
    assert all(len(re.sub(r"<[^>]+>", "", h)) <= 9 for h in heads)
    assert "To verify: awaiting verification" in table and '<div class="scroll"><table class="by-owner">' in table
