"""What one request (or a flood of them) can do to the web app (issue 16, findings 4, 5, 6 and 9):
no unauthenticated 500s, bodies capped before parsing, nothing blocking the event loop, metrics
cached, server-issued form keys, one request per action, limits kept in the database, and each
plan's own link lifetime for every kind of link."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import re

import pytest
import sqlalchemy as sa

from scheduler.web import actions, approvals, dashboard, server
from scheduler.web.guard import FORM_BODY_BYTES
from tests import web_helpers
from tests.conftest import snapshot
from tests.web_helpers import OWNER, START, form_of, link, make_site

web = web_helpers.web  # the fixture


def test_a_non_ascii_csrf_value_is_a_refusal_not_a_500(web):
    client, app, url = web
    fields = form_of(client.get(link(app)).text, "progress")
    before = snapshot(url)
    for forged in ("é" * 24, "\u202e", "\x00"):
        page = client.post(link(app), data={**fields, "csrf": forged, "note": "x"})
        assert page.status_code == 400 and "The form had expired" in page.text
    assert snapshot(url) == before


def test_a_500_page_carries_the_security_headers(web, monkeypatch):
    client, app, _ = web

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(actions, "_render", broken)
    page = client.get(link(app))
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY" and page.headers["referrer-policy"] == "no-referrer"


def _post_streamed(asgi, path: str, chunks: int, chunk_bytes: int, length: int | None):
    """POST `chunks` chunks of `chunk_bytes` to `path` straight through ASGI; return (status, chunks read)."""
    read, status = [0], []
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": headers, "http_version": "1.1", "scheme": "http", "server": ("t", 80), "client": ("c", 1),
             "root_path": ""}  # fmt: skip

    async def receive():
        read[0] += 1
        more = read[0] < chunks
        return {"type": "http.request", "body": b"note=" + b"x" * chunk_bytes, "more_body": more}

    async def send(event):
        if event["type"] == "http.response.start":
            status.append(event["status"])

    asyncio.run(asgi(scope, receive, send))
    return status[0], read[0]


def test_a_huge_body_is_refused_before_it_is_read_or_parsed(web):
    client, app, _ = web
    asgi = client.app
    for path in ("/renew", "/a/garbage", link(app)):
        status, read = _post_streamed(asgi, path, chunks=150, chunk_bytes=1 << 20, length=150 << 20)
        assert (status, read) == (413, 0), "Content-Length over the cap: refused unread"
        status, read = _post_streamed(asgi, path, chunks=150, chunk_bytes=1 << 20, length=None)
        assert status == 413 and read == 1, "no length: refused at the first chunk past the cap"
    assert FORM_BODY_BYTES <= 64 * 1024


def test_a_form_with_too_many_or_too_long_fields_is_refused(web):
    client, app, url = web
    fields = form_of(client.get(link(app)).text, "progress")
    before = snapshot(url)
    many = client.post(link(app), data={**fields, **{f"f{i}": "x" for i in range(20)}, "note": "x"})
    assert many.status_code == 400 and "could not be read" in many.text
    long = client.post(link(app), data={**fields, "note": "x" * 5000})
    assert long.status_code == 400
    assert snapshot(url) == before


@pytest.mark.parametrize("char", ["进", "Ω", "🙂"])
def test_a_full_length_note_in_any_script_is_read_and_recorded(web, char):
    """2,000 characters is the note's limit whatever the script: a browser sends a Chinese, Greek or
    emoji note percent-encoded at up to 12 bytes a character, and the form must still be read."""
    client, app, _ = web
    fields = form_of(client.get(link(app)).text, "progress")
    page = client.post(link(app), data={**fields, "note": char * 2000})
    assert page.status_code == 200 and "Progress recorded." in page.text, re.sub(r"<[^>]+>", " ", page.text)[:1500]
    assert char * 2000 in client.get(link(app)).text, "the whole note is in the history"


def test_no_handler_runs_database_or_mail_work_on_the_event_loop():
    gets = [actions.action_page, approvals.approval_page, dashboard.dashboard]
    assert not [f.__name__ for f in gets if inspect.iscoroutinefunction(f)], "GET handlers run in the thread pool"
    assert "to_thread.run_sync(ping, limiter=_HEALTH_THREADS)" in inspect.getsource(server.healthz)
    for post in (actions.action_post, actions.renew, approvals.approval_post, server.metrics_endpoint):
        source = inspect.getsource(post)
        assert "run_in_threadpool" in source and "session" not in source and "send" not in source, post.__name__


def test_metrics_are_read_from_the_database_once_per_cache_period(web, cli):
    client, app, _ = web
    cli("set-status", "SG2", "complete", "--by", "pqa")
    metrics = client.app.state.metrics
    ticks = [100.0]
    metrics.clock = lambda: ticks[0]
    texts = [client.get("/metrics").text for _ in range(10)]
    assert metrics.reads == 1 and len(set(texts)) == 1
    assert 'reminders_actions{plan="ofsted-2009",rag="complete"} 1.0' in texts[0]
    assert 'reminders_actions{plan="ofsted-2009",rag="on track"} 11.0' in texts[0]
    ticks[0] += 5.0
    client.get("/metrics")
    assert metrics.reads == 2


def test_a_form_key_not_issued_by_the_server_is_refused(web):
    client, app, url = web
    fields = form_of(client.get(link(app)).text, "progress")
    before = snapshot(url)
    for key in (f"mine-{i}" for i in range(5)):
        page = client.post(link(app), data={**fields, "form_key": key, "note": "again"})
        assert page.status_code == 400
    other_action = form_of(client.get(link(app, subject=sg_id(app, "SG2"), to="area-services-manager@example.org"))
                           .text, "progress")["form_key"]  # fmt: skip
    assert client.post(link(app), data={**fields, "form_key": other_action, "note": "x"}).status_code == 400
    assert snapshot(url) == before


def sg_id(app, ref):
    with app.session() as s:
        return s.execute(sa.text("SELECT id FROM action WHERE ref = :r"), {"r": ref}).scalar()


def test_the_fresh_link_limit_survives_a_restart(smtp_env, web, env):
    client, app, _ = web
    app.clock.set(START - dt.timedelta(days=61))
    old = link(app)
    app.clock.set(START)
    fields = form_of(client.get(old).text, "*")
    assert [client.post("/renew", data=fields).status_code for _ in range(3)] == [200, 200, 200]
    assert client.post("/renew", data=fields).status_code == 429
    restarted, app2 = make_site(env)  # a new process: nothing in memory carries over
    restarted.cookies = client.cookies
    assert restarted.post("/renew", data=fields).status_code == 429
    app2.engine.dispose()
    assert len([m for m in smtp_env.parsed() if OWNER in m[0]]) == 3


def test_every_kind_of_link_keeps_its_plan_s_own_lifetime(web, cli, config_dir):
    client, app, _ = web
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    plan.write_text(plan.read_text() + "policy:\n  link_valid_days: 5\n")
    fields = form_of(client.get(link(app)).text, "extend")
    client.post(link(app), data={**fields, "proposed_due": "2010-03-31", "reason": "late"})
    with app.session() as s:
        req = s.execute(sa.text("SELECT id FROM extension_request")).scalar()
    links = {"action": link(app), "approve": link(app, "approve", req, "head-of-safeguarding@example.org"),
             "dashboard": link(app, "dashboard", "ofsted-2009", "executive-director@example.org")}  # fmt: skip
    assert {k: client.get(v).status_code for k, v in links.items()} == dict.fromkeys(links, 200)
    app.clock.advance(days=6)
    assert {k: client.get(v).status_code for k, v in links.items()} == dict.fromkeys(links, 410)
