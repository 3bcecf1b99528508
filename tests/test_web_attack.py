"""The web app attacked again after issue 16 (issue 16b): what was found open, each as a test.

Two requests at once must act as if one came after the other: on PostgreSQL (read committed)
nothing serialised them, so two tabs completed an action twice (two confirmation emails), two
approvals moved the due date twice, and a double click with one form key was a 500. The race
tests make both requests pass the check before either writes (a rendezvous inside the check),
so they fail every time the requests are not serialised (rate limits too). Links whose subject
is not a plain number, and bodies that trickle in, are refused with a clear page rather than a 500
or a connection held open for ever; an edited config is never re-read on the event loop; a script
with a leaked link cannot flood the history.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from scheduler.store import extensions, operations, throttle
from scheduler.web import guard
from tests import web_helpers
from tests.conftest import both_databases, snapshot
from tests.web_helpers import MANAGER, OWNER, form_of, link, status_of

web = web_helpers.web  # the fixture


def _rendezvous(monkeypatch, module, name, parties=2, timeout=1.0):
    """Make `module.name` wait (at most `timeout` s) until `parties` threads are inside it: requests
    that are not serialised all pass the check before any writes; serialised ones wait in vain once."""
    barrier, original = threading.Barrier(parties, timeout=timeout), getattr(module, name)

    def waiting(*args, **kwargs):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the others are held by a lock (the fix): go on alone
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, waiting)


def _at_once(client, posts):
    """POST every (path, data) at the same time; return the responses in order."""
    with ThreadPoolExecutor(len(posts)) as pool:
        return list(pool.map(lambda p: client.post(p[0], data=p[1]), posts))


def _rows(app, sql):
    with app.session() as s:
        return [tuple(r) for r in s.execute(sa.text(sql))]


@both_databases
def test_two_tabs_completing_at_once_record_one_completion_and_send_one_confirmation(web, monkeypatch):
    client, app, _ = web
    tabs = [form_of(client.get(link(app)).text, "complete") for _ in range(2)]  # two form keys
    _rendezvous(monkeypatch, operations, "refuse_closed")
    pages = _at_once(client, [(link(app), {**tab, "note": f"done in tab {i}"}) for i, tab in enumerate(tabs)])
    assert sorted(p.status_code for p in pages) == [200, 400], [p.status_code for p in pages]
    assert status_of(app) == "awaiting_verification"  # the administrator checks it (issue 17)
    assert len(_rows(app, "SELECT id FROM action_event WHERE kind = 'status'")) == 1
    assert len(_rows(app, "SELECT id FROM notice WHERE stage LIKE 'confirmed:%'")) == 1, "one confirmation"


@both_databases
def test_a_double_click_with_one_form_key_is_recorded_once_and_never_a_500(web, monkeypatch):
    client, app, _ = web
    fields = form_of(client.get(link(app)).text, "progress")
    _rendezvous(monkeypatch, throttle, "first_use")
    pages = _at_once(client, [(link(app), {**fields, "note": "made progress"})] * 2)
    assert sorted(p.status_code for p in pages) == [200, 200], [p.status_code for p in pages]
    assert sorted("Already recorded" in p.text for p in pages) == [False, True]
    assert len(_rows(app, "SELECT id FROM action_event WHERE note = 'made progress'")) == 1


def _ask(client, app):
    fields = form_of(client.get(link(app)).text, "extend")
    assert client.post(link(app), data={**fields, "proposed_due": "2010-03-31", "reason": "late"}).status_code == 200
    return _rows(app, "SELECT id FROM extension_request")[0][0]


@both_databases
def test_two_approvals_at_once_move_the_due_date_once(web, monkeypatch):
    client, app, _ = web
    approve = link(app, "approve", _ask(client, app), MANAGER)
    tabs = [form_of(client.get(approve).text, "*") for _ in range(2)]
    _rendezvous(monkeypatch, extensions, "lapsed")
    pages = _at_once(client, [(approve, {**tab, "decision": "approve"}) for tab in tabs])
    assert sorted("Already decided (approved)" in p.text for p in pages) == [False, True]
    assert len(_rows(app, "SELECT id FROM due_revision")) == 1
    assert len(_rows(app, "SELECT id FROM notice WHERE stage LIKE 'decision:%'")) == 1, "the owner told once"


def test_a_link_whose_subject_is_not_a_plain_number_is_refused_not_a_500_nor_another_action(web):
    client, app, url = web
    before = snapshot(url)
    for subject in ("\u00b2", "\u0661", "9" * 40, "-1", " 1"):  # superscript two, Arabic-Indic one, huge
        for purpose, to in (("action", OWNER), ("approve", MANAGER)):
            page = client.get(link(app, purpose, subject, to))
            assert page.status_code in (403, 404) and "This link cannot be used" in page.text, (subject, purpose)
    assert snapshot(url) == before


def _trickle(asgi, path: str, every: float, chunks: int):
    """POST a body that arrives one byte every `every` seconds; return (status, bytes read)."""
    read, status = [0], []
    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"9000")],
             "http_version": "1.1", "scheme": "http", "server": ("t", 80), "client": ("c", 1), "root_path": ""}  # fmt: skip

    async def receive():
        await asyncio.sleep(every)
        read[0] += 1
        return {"type": "http.request", "body": b"a", "more_body": read[0] < chunks}

    async def send(event):
        if event["type"] == "http.response.start":
            status.append(event["status"])

    asyncio.run(asgi(scope, receive, send))
    return status[0], read[0]


def test_a_body_that_trickles_in_is_cut_off_at_the_body_deadline(web, monkeypatch):
    client, app, _ = web
    monkeypatch.setattr(guard, "BODY_SECONDS", 0.2)
    monkeypatch.setattr(guard, "BODY_BYTES_PER_S", 1e12)  # the deadline is BODY_SECONDS alone
    status, read = _trickle(client.app, link(app), every=0.05, chunks=1000)
    assert status == 408 and read < 10, (status, read)
    status, _ = _trickle(client.app, "/renew", every=0.01, chunks=3)  # a slow but finished body is served
    assert status == 400


@both_databases
def test_two_extension_requests_at_once_leave_one_pending_and_refuse_the_other_clearly(env, cli, monkeypatch):
    """Without the web's row lock (a CLI or another caller), the database itself keeps one pending
    request per action: the loser gets the same clear message as a request made afterwards."""
    import datetime as dt

    from scheduler.app import App
    from scheduler.clock import ManualClock
    from scheduler.config.settings import load_settings
    from scheduler.store.models import Action
    from scheduler.store.operations import InputError
    from tests.web_helpers import START

    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    app = App(load_settings(None), None, ManualClock(START))
    _rendezvous(monkeypatch, extensions, "pending_for")

    def ask(proposed):
        with app.session() as s:
            action = s.exec(sa.select(Action).where(Action.ref == "SG1")).scalar_one()
            try:
                extensions.request_extension(s, app.config, action, OWNER, proposed, "late", START)
            except InputError as exc:
                s.rollback()
                return str(exc)
            s.commit()
            return "asked"

    with ThreadPoolExecutor(2) as pool:
        said = list(pool.map(ask, (dt.date(2010, 3, 31), dt.date(2010, 4, 30))))
    assert sorted(said)[1] == "asked" and "is already waiting for" in sorted(said)[0], said
    assert [r[0] for r in _rows(app, "SELECT state FROM extension_request")] == ["pending"]
    app.engine.dispose()


@both_databases
def test_fresh_links_asked_for_at_once_keep_the_limit_of_three_an_hour(web, monkeypatch):
    import datetime as dt

    from tests.web_helpers import START

    client, app, _ = web
    app.clock.set(START - dt.timedelta(days=61))
    old = link(app)
    app.clock.set(START)
    fields = form_of(client.get(old).text, "*")
    assert [client.post("/renew", data=fields).status_code for _ in range(2)] == [200, 200]
    _rendezvous(monkeypatch, throttle, "allow")  # the third and a fourth at the same moment
    pages = _at_once(client, [("/renew", fields)] * 2)
    assert sorted(p.status_code for p in pages) == [200, 429], [p.status_code for p in pages]
    assert len(_rows(app, "SELECT id FROM notice WHERE stage LIKE 'link:%'")) == 3


def test_a_config_edit_is_never_re_read_on_the_event_loop_even_by_an_unauthenticated_post(web, config_dir):
    """A POST checks its link on the event loop (before reading the body); re-reading an edited config
    there (2.3 s for 20,000 actions) froze every request, /healthz included, for anyone who POSTs
    garbage right after an edit. The re-read happens in the thread pool, on the next page."""
    client, app, _ = web
    where = []
    original = app.load_config

    def recording(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            where.append("event loop")
        except RuntimeError:
            where.append("thread pool")
        return original(*args, **kwargs)

    app.load_config = recording
    owners = config_dir / "owners.yaml"
    owners.write_text(owners.read_text() + "# edited\n")
    for path in ("/a/garbage", "/x/garbage", link(app)):
        client.post(path, data={"note": "x"})
    assert client.get(link(app)).status_code == 200
    assert where and set(where) == {"thread pool"}, where


def test_a_script_fetching_a_fresh_form_key_each_time_cannot_flood_the_history(web):
    """Server-issued form keys stop made-up keys, not a script that GETs the page before each POST
    (a leaked link): changes are limited per address (throttle.LIMITS["change"]), in the database."""
    client, app, _ = web
    limit, _window = throttle.LIMITS["change"]
    pages = []
    for i in range(limit + 2):
        fields = form_of(client.get(link(app)).text, "progress")
        pages.append(client.post(link(app), data={**fields, "note": f"step {i}"}))
    assert [p.status_code for p in pages] == [200] * limit + [429, 429]
    assert "Too many changes" in pages[-1].text
    assert len(_rows(app, "SELECT id FROM action_event WHERE note LIKE 'step %'")) == limit
    app.clock.advance(hours=1, minutes=1)
    fields = form_of(client.get(link(app)).text, "progress")
    assert client.post(link(app), data={**fields, "note": "an hour later"}).status_code == 200
