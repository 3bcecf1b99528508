"""The web app in-process (Starlette's test client): every route with valid, expired, tampered and
wrong-purpose links, CSRF missing, double submit, GET-has-no-effect, approval, dashboard, metrics."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa

from tests import web_helpers
from tests.conftest import snapshot
from tests.web_helpers import BASE, KEY, MANAGER, OWNER, START, form_of, link, status_of

web = web_helpers.web  # the fixture


def test_get_shows_the_action_and_changes_nothing(web):
    client, app, url = web
    before = snapshot(url)
    page = client.get(link(app))
    assert page.status_code == 200
    assert "SG1: Ensure that new referrals are allocated" in page.text and "Mark complete" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert snapshot(url) == before, "a GET (a mail scanner's prefetch) changes nothing"


def test_complete_once_with_csrf_records_via_web_and_confirms(smtp_env, web):
    client, app, url = web
    page = client.get(link(app))
    fields = form_of(page.text, "complete")
    done = client.post(link(app), data={**fields, "note": "All allocated", "evidence": "https://intranet/audit"})
    assert done.status_code == 200 and "Sent for verification" in done.text
    assert status_of(app) == "awaiting_verification"  # the administrator checks it (issue 17)
    again = client.post(link(app), data={**fields, "note": "All allocated"})
    assert "Already recorded; nothing more was changed." in again.text
    with app.session() as s:
        events = s.execute(sa.text("SELECT by, kind, to_value FROM action_event WHERE kind = 'status'")).all()
    assert [tuple(e) for e in events] == [(f"{OWNER} (via web)", "status", "awaiting_verification")]
    (rcpts, msg), = smtp_env.parsed()
    assert rcpts == [OWNER] and "sent for verification" in msg["Subject"]
    assert msg["Reply-To"] and msg["In-Reply-To"] == "<ofsted-2009.SG1@example.org>", "threads with the action's notices"
    ics = [p.get_content() for p in msg.iter_attachments()][0]
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics and "UID:ofsted-2009.SG1.due@example.org" in ics


def test_post_without_csrf_or_note_changes_nothing(web):
    client, app, url = web
    fields = form_of(client.get(link(app)).text, "complete")
    before = snapshot(url)
    no_csrf = client.post(link(app), data={**fields, "csrf": "forged", "note": "x"})
    assert no_csrf.status_code == 400 and "The form had expired" in no_csrf.text
    no_note = client.post(link(app), data={**fields, "note": "  "})
    assert no_note.status_code == 400 and "The note is required to complete ofsted-2009/SG1; say what was done." in no_note.text
    bad_evidence = client.post(link(app), data={**fields, "note": "x", "evidence": "javascript:alert(1)"})
    assert bad_evidence.status_code == 400 and "must start with https://" in bad_evidence.text
    assert snapshot(url) == before


@pytest.mark.parametrize(
    ("make", "status", "text"),
    [
        (lambda app: link(app)[:-3] + "abc", 400, "This link cannot be used"),  # tampered
        (lambda app: link(app, "dashboard", "ofsted-2009").replace("/d/", "/a/"), 400, "for something else"),
        (lambda app: "/a/not-a-token", 400, "not valid"),
        (lambda app: link(app, to="lscb-chair@example.org"), 403, "no longer works for you"),  # not the owner
    ],
)
def test_bad_links_get_a_clear_page(web, make, status, text):
    client, app, _ = web
    page = client.get(make(app))
    assert page.status_code == status and text in page.text
    assert "Traceback" not in page.text


def test_expired_link_offers_a_fresh_one_to_the_address_on_record_only(smtp_env, web):
    client, app, _ = web
    app.clock.set(START - dt.timedelta(days=61))
    old = link(app)
    app.clock.set(START)
    page = client.get(old)
    assert page.status_code == 410 and "Email me a fresh link" in page.text
    fields = form_of(page.text, "*")
    sent = client.post("/renew", data=fields)
    assert "A fresh link is on its way" in sent.text
    (rcpts, msg), = smtp_env.parsed()
    assert rcpts == [OWNER]
    fresh = re.search(r"http://reminders\.test(/a/\S+)", msg.get_body(("plain",)).get_content())[1]
    assert client.get(fresh).status_code == 200
    for _ in range(2):
        client.post("/renew", data=fields)
    assert client.post("/renew", data=fields).status_code == 429, "rate-limited per address"


def test_progress_then_extension_request_approved_by_the_manager(smtp_env, web, cli):
    client, app, url = web
    fields = form_of(client.get(link(app)).text, "progress")
    assert "Progress recorded." in client.post(link(app), data={**fields, "note": "half done"}).text
    assert status_of(app) == "in_progress"
    fields = form_of(client.get(link(app)).text, "extend")
    asked = client.post(link(app), data={**fields, "proposed_due": "2010-03-31", "reason": "exemplar late"})
    assert f"({MANAGER}) has been emailed to approve it" in asked.text
    now = START.strftime("%Y-%m-%dT%H:%M")  # the web's clock: a request lapses after link_valid_days
    rows = {r["ref"]: r for r in json.loads(cli("status", "--json", "--now", now).output)}
    assert rows["SG1"]["pending_extension"] == {"to": "2010-03-31", "approver": MANAGER, "reason": "exemplar late"}
    out = cli("status", "--wide", "--now", now).output
    assert "in progress (asked for 31 Mar 2010)" in out, out
    summary = cli("summary", "--now", now).output
    assert f"SG1: due 24 Feb 2010 -> 31 Mar 2010; exemplar late; waiting for {MANAGER}" in summary
    (rcpts, msg), = smtp_env.parsed()
    assert rcpts == [MANAGER]
    approve = re.search(r"http://reminders\.test(/x/\S+)", msg.get_body(("plain",)).get_content())[1]
    before = snapshot(url)
    page = client.get(approve)
    assert page.status_code == 200 and "Approve Wednesday 31 March 2010" in page.text
    assert snapshot(url) == before, "the approval page's GET changes nothing"
    fields = form_of(page.text, "*")
    done = client.post(approve, data={**fields, "decision": "approve", "note": "fine"})
    assert "Approved: ofsted-2009/SG1 is now due Wednesday 31 March 2010" in done.text
    assert "Already decided" in client.post(approve, data={**fields, "decision": "decline"}).text
    with app.session() as s:
        due, config_due = s.execute(sa.text("SELECT due, config_due FROM action WHERE ref = 'SG1'")).one()
    assert str(due) == "2010-03-31" and str(config_due) == "2010-02-24"
    told = smtp_env.parsed()[-1]
    assert told[0] == [OWNER] and "More time agreed" in told[1]["Subject"]


def test_a_reassigned_owner_s_link_stops_working(web, cli, config_dir):
    client, app, _ = web
    old = link(app)
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    plan.write_text(plan.read_text().replace("owner: contact-centre-manager", "owner: area-services-manager", 1))
    assert cli("sync", "--now", "2010-01-12T09:00").exit_code == 0
    app.config = app.load_config()
    assert client.get(old).status_code == 403


def test_dashboard_healthz_and_metrics(web, cli):
    client, app, _ = web
    cli("set-status", "SG2", "complete", "--by", "pqa")
    page = client.get(link(app, "dashboard", "ofsted-2009", "executive-director@example.org"))
    assert page.status_code == 200 and "Ofsted inspection of safeguarding" in page.text and "By owner" in page.text
    assert "<form" not in page.text, "read-only"
    assert client.get("/healthz").json() == {"ok": True, "database": "reachable"}
    text = client.get("/metrics").text
    assert 'reminders_actions{plan="ofsted-2009",rag="complete"} 1.0' in text
    assert "reminders_retries_pending 0.0" in text and "reminders_leader_alive 0.0" in text
    assert client.get("/nowhere").status_code == 404


def test_emails_carry_signed_links_only_with_base_url(cli, monkeypatch, env, tmp_path):
    cli("sync", "--now", "2009-11-24T08:00")
    monkeypatch.setenv("BASE_URL", BASE)
    monkeypatch.setenv("SECRET_KEY", KEY)
    assert cli("run", "--once", "--now", "2009-11-24T09:00").exit_code == 0
    texts = [p.read_text() for p in (tmp_path / "outbox").glob("*.eml")]
    assert texts and all(f"{BASE}/a/" in t for t in texts)
    link_missing = cli("web-link", "--plan", "ofsted-2009", "--for", "x@example.org")
    assert link_missing.exit_code == 0 and link_missing.output.startswith(f"{BASE}/d/")
    monkeypatch.delenv("BASE_URL")
    refused = cli("web-link", "--plan", "ofsted-2009", "--for", "x@example.org")
    assert refused.exit_code == 2 and "BASE_URL is not set" in refused.output
