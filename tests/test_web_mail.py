"""The emails the web app triggers are ledger notices (issue 16, findings 8 and 6): rendered from the
templates in the usual layout, named, threaded, with Reply-To; sent at once when the mail server
answers, queued and retried by the daemon when it does not (and the page says so); and a slow mail
server never holds up the event loop (`/healthz` answers meanwhile)."""

from __future__ import annotations

import asyncio
import re
import threading

import httpx
import sqlalchemy as sa

from tests import web_helpers
from tests.conftest import free_port
from tests.web_helpers import MANAGER, OWNER, form_of, link, make_site

web = web_helpers.web  # the fixture


def _notices(app, like: str):
    with app.session() as s:
        rows = s.execute(sa.text("SELECT stage, recipient, state, track FROM notice WHERE stage LIKE :p"), {"p": like})
        return [tuple(r) for r in rows]


def test_an_approval_request_is_a_named_threaded_notice_in_the_usual_layout(smtp_env, web):
    client, app, _ = web
    fields = form_of(client.get(link(app)).text, "extend")
    asked = client.post(link(app), data={**fields, "proposed_due": "2010-03-31", "reason": "exemplar late"})
    assert f"Head of Safeguarding ({MANAGER}) has been emailed to approve it." in asked.text
    (stage, rcpt, state, track), = _notices(app, "approval:%")
    assert (rcpt, state, track) == (MANAGER, "sent", "web")
    (rcpts, msg), = smtp_env.parsed()
    assert rcpts == [MANAGER] and msg["To"] == f"Head of Safeguarding <{MANAGER}>"
    assert msg["Reply-To"] == "Performance and Quality Assurance Manager <pqa-manager@example.org>"
    assert msg["In-Reply-To"] == "<ofsted-2009.SG1@example.org>" and msg["X-Reminder-Notices"] == f"ofsted-2009/SG1={stage}"
    assert msg["Subject"].startswith("[ofsted-2009] For you to decide: Contact Centre Manager asks for SG1 to move to Wed 31 Mar 2010")
    html = msg.get_body(("html",)).get_content()
    assert "Dear Head of Safeguarding," in html and "Contact Centre Manager asks to move the due date" in html
    assert 'role="presentation"' in html, "inside the digest layout every notice uses"
    text = msg.get_body(("plain",)).get_content()
    assert re.search(r"http://reminders\.test/x/\S+", text), "the approve link"


def test_with_the_mail_server_refusing_the_page_says_queued_and_the_daemon_sends_it_later(smtp_env, web, cli):
    client, app, _ = web
    smtp_env.refuse[MANAGER] = [451]
    fields = form_of(client.get(link(app)).text, "extend")
    asked = client.post(link(app), data={**fields, "proposed_due": "2010-03-31", "reason": "exemplar late"})
    assert "is queued and will be sent as soon as it does" in asked.text and "has been emailed" not in asked.text
    assert [n[2] for n in _notices(app, "approval:%")] == ["retry"]
    assert smtp_env.messages == []
    assert cli("run", "--once", "--now", "2009-11-24T12:00").exit_code == 0  # the daemon's retry
    assert [n[2] for n in _notices(app, "approval:%")] == ["sent"]
    notices = [m["X-Reminder-Notices"] for r, m in smtp_env.parsed() if r == [MANAGER]]
    assert len(notices) == 1 and "ofsted-2009/SG1=approval:1" in notices[0], "a section of the day's digest"


def test_a_fresh_link_and_a_confirmation_are_notices_too(smtp_env, web):
    client, app, _ = web
    fields = form_of(client.get(link(app)).text, "complete")
    done = client.post(link(app), data={**fields, "note": "All allocated"})
    assert "Sent for verification" in done.text and "A confirmation is on its way" in done.text
    assert [(n[1], n[2]) for n in _notices(app, "confirmed:%")] == [(OWNER, "sent")]
    (rcpts, msg), = smtp_env.parsed()
    ics = [p.get_content() for p in msg.iter_attachments()][0]
    assert "METHOD:CANCEL" in ics and msg["Subject"].startswith("[ofsted-2009] SG1 sent for verification")


def test_a_slow_mail_server_does_not_hold_up_healthz(smtp_env, web, env, monkeypatch):
    import uvicorn

    monkeypatch.setenv("SMTP_TIMEOUT", "60")  # the mail server holds the message until released
    client, app = make_site(env)
    entered, release = threading.Event(), threading.Event()
    original = smtp_env.handle_DATA

    async def slow_data(server, session, envelope):
        entered.set()
        await asyncio.get_running_loop().run_in_executor(None, release.wait, 30)
        return await original(server, session, envelope)

    smtp_env.handle_DATA = slow_data
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="warning"))
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for(lambda: server.started)
        browser = httpx.Client(base_url=base, timeout=30)
        url = link(app)
        fields = form_of(browser.get(url).text, "complete")
        result = {}
        poster = threading.Thread(target=lambda: result.update(
            page=browser.post(url, data={**fields, "note": "done"}).text))  # fmt: skip
        poster.start()
        assert entered.wait(10), "the confirmation reached the mail server"
        health = httpx.get(f"{base}/healthz", timeout=5)
        assert health.status_code == 200 and not result, "healthz answered while the mail was still in flight"
        release.set()
        poster.join(30)
        assert "A confirmation is on its way" in result["page"]
    finally:
        release.set()
        server.should_exit = True
        runner.join(10)
        app.engine.dispose()


def _wait_for(condition, tries: int = 200) -> bool:
    event = threading.Event()
    for _ in range(tries):
        if condition():
            return True
        event.wait(0.05)
    return False


def test_a_queued_confirmation_is_still_sent_once_the_action_is_complete(smtp_env, web, cli):
    client, app, _ = web
    smtp_env.refuse[OWNER] = [451]
    fields = form_of(client.get(link(app)).text, "complete")
    done = client.post(link(app), data={**fields, "note": "All allocated"})
    assert "The confirmation email: the mail server did not answer, so it is queued" in done.text
    assert [n[2] for n in _notices(app, "confirmed:%")] == ["retry"]
    assert cli("run", "--once", "--now", "2009-11-24T12:00").exit_code == 0
    assert [n[2] for n in _notices(app, "confirmed:%")] == ["sent"], "a web notice is not cancelled by the completion"
    sent = [m["X-Reminder-Notices"] for r, m in smtp_env.parsed() if r == [OWNER]]
    assert any("ofsted-2009/SG1=confirmed:" in s for s in sent) and not any("SG1=assigned" in s for s in sent)
