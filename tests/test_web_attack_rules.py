"""Who may do what, attacked again after issue 16 (issue 16b): the requester never approves in any
combination of manager, escalation contact and administrator, nor after an address change; a
closed action refuses a form kept open; and a new owner is never stuck behind a request nobody
can decide any more, or told something untrue about a date."""

from __future__ import annotations

import sqlalchemy as sa

from tests import web_helpers
from tests.conftest import snapshot
from tests.web_helpers import MANAGER, OWNER, form_of, link

web = web_helpers.web  # the fixture


def _rows(app, sql):
    with app.session() as s:
        return [tuple(r) for r in s.execute(sa.text(sql))]


def _ask(client, app):
    fields = form_of(client.get(link(app)).text, "extend")
    assert client.post(link(app), data={**fields, "proposed_due": "2010-03-31", "reason": "late"}).status_code == 200
    return _rows(app, "SELECT id FROM extension_request")[0][0]


def test_nobody_approves_their_own_request_in_any_owner_manager_contact_administrator_combination():
    """Every combination of who the manager, the escalation contact and the administrator are (nobody,
    the owner, the owner's mailbox under another id, someone else): the approver is never the owner's
    address, and is the first of manager, contact, administrator who is someone else."""
    import itertools
    from types import SimpleNamespace as NS

    from scheduler.config.approvers import approver_of

    def person(pid, email, manager=None):
        return NS(id=pid, email=email, manager=manager, name=pid)

    people = {"me": "Owner@Example.org", "alias": "owner@example.org", "a": "a@example.org", "b": "b@example.org"}
    for manager, contact, admin in itertools.product([None, *people], repeat=3):
        owners = {pid: person(pid, email) for pid, email in people.items()}
        owners["me"] = person("me", people["me"], manager)
        config = NS(owners=owners, plans={"p": NS(escalation_contact=contact, administrator=admin)})
        got = approver_of(config, "p", "me", "owner@example.org")
        others = [who for who in (manager, contact, admin) if who in ("a", "b")]
        assert (got.id if got else None) == (others[0] if others else None), (manager, contact, admin)


def test_a_proposed_date_past_the_last_supported_one_says_so_rather_than_after_the_due_date(web):
    client, app, url = web
    fields = form_of(client.get(link(app)).text, "extend")
    before = snapshot(url)
    page = client.post(link(app), data={**fields, "proposed_due": "9999-12-31", "reason": "forever"})
    assert page.status_code == 400 and "on or before" in page.text and "31 December 2100" in page.text
    assert snapshot(url) == before


def test_a_manager_s_note_form_kept_open_is_refused_once_the_action_is_complete(web, cli):
    client, app, url = web
    fields = form_of(client.get(link(app, to=MANAGER)).text, "note")
    assert cli("set-status", "SG1", "complete", "--by", "pqa").exit_code == 0
    before = snapshot(url)
    page = client.post(link(app, to=MANAGER), data={**fields, "note": "chased again"})
    assert page.status_code == 400 and "is complete, so it can no longer be changed" in page.text
    assert 'value="note"' not in page.text, "and the page no longer offers the form"
    assert snapshot(url) == before


def test_an_approver_who_becomes_the_owner_s_mailbox_cannot_approve_the_pending_request(web, cli, config_dir):
    """The owner's address changes to the approver's after the request (a shared mailbox now): the
    approver would be approving their own request, so deciding finds it lapsed and changes nothing."""
    client, app, _ = web
    approve = link(app, "approve", _ask(client, app), MANAGER)
    fields = form_of(client.get(approve).text, "*")
    owners = config_dir / "owners.yaml"
    owners.write_text(owners.read_text().replace(f"email: {OWNER}", f"email: {MANAGER}"))
    assert cli("sync", "--now", "2009-11-25T08:00").exit_code == 0
    page = client.post(approve, data={**fields, "decision": "approve"})
    assert "withdrawn" in page.text.lower() and "Approved" not in page.text, page.text[:300]
    assert _rows(app, "SELECT state FROM extension_request") == [("withdrawn",)]
    assert _rows(app, "SELECT count(*) FROM due_revision") == [(0,)]


def test_a_request_nobody_decided_before_the_approval_link_expired_does_not_block_asking_again(web):
    """A new owner's dead end: the approver's link expired (410, no fresh one for approval links) while
    the request stayed pending, and the owner's page hid the form ("one request at a time"). A request
    older than its plan's link_valid_days lapses: the owner can ask again and a new approver email goes."""
    client, app, _ = web
    approve = link(app, "approve", _ask(client, app), MANAGER)
    app.clock.advance(days=61)  # the shipped plans' links work for 60 days
    assert client.get(approve).status_code == 410
    page = client.get(link(app)).text  # the owner's link is new (from a fresh email)
    assert 'value="extend"' in page, "the owner can ask again"
    fields = form_of(page, "extend")
    again = client.post(link(app), data={**fields, "proposed_due": "2010-04-30", "reason": "still late"})
    assert again.status_code == 200 and "has been emailed to approve it" in again.text
    assert _rows(app, "SELECT state, decided_note FROM extension_request ORDER BY id") == [
        ("withdrawn", "withdrawn: it was not decided within 60 days (its approval link has expired)"),
        ("pending", None),
    ]
    assert len(_rows(app, "SELECT id FROM notice WHERE stage LIKE 'approval:%'")) == 2


def _waiting_on_dashboard(client, app) -> str:
    page = client.get(link(app, "dashboard", "ofsted-2009", "executive-director@example.org")).text
    return page.split("Extension requests waiting for approval</h2>")[1].split("</ul>")[0].strip()


def test_a_request_past_its_lapse_time_is_not_counted_as_pending_anywhere_until_a_fresh_one_is(web, cli):
    """A request nobody decided within the plan's link_valid_days (60) lapses: read on day 61, before
    any sync withdraws it, the dashboard, /metrics, `reminders status` and the summary count it as
    waiting for nobody, and reading writes no row; the owner's fresh request is counted again."""
    client, app, url = web
    ticks = [0.0]
    client.app.state.metrics.clock = lambda: ticks[0]  # every scrape below reads afresh
    _ask(client, app)
    assert "waiting for head-of-safeguarding" in _waiting_on_dashboard(client, app), "fresh: shown"
    assert "reminders_extension_requests_pending 1.0" in client.get("/metrics").text
    app.clock.advance(days=61)
    later = app.clock.now().strftime("%Y-%m-%dT%H:%M")
    before = snapshot(url)
    assert _waiting_on_dashboard(client, app) == "<ul><li>none</li>"
    ticks[0] += 60
    assert "reminders_extension_requests_pending 0.0" in client.get("/metrics").text
    assert snapshot(url) == before, "the web handlers read the lapse; they write no row"
    assert "asked for" not in cli("status", "--wide", "--now", later).output
    assert "awaiting approval" not in cli("summary", "--now", later).output
    fields = form_of(client.get(link(app)).text, "extend")
    assert client.post(link(app), data={**fields, "proposed_due": "2010-04-30", "reason": "later"}).status_code == 200
    assert "30 Apr 2010" in _waiting_on_dashboard(client, app)
    ticks[0] += 60
    assert "reminders_extension_requests_pending 1.0" in client.get("/metrics").text
    assert "asked for 30 Apr" in cli("status", "--wide", "--now", later).output
    assert "awaiting approval" in cli("summary", "--now", later).output
