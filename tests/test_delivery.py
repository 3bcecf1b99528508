"""Delivery through a real SMTP server (aiosmtpd on 127.0.0.1) with the clock frozen around runs."""

from __future__ import annotations

import json

import pytest
from aiosmtpd.controller import Controller
from freezegun import freeze_time

from tests.conftest import both_databases
from tests.test_config_errors import PLAN, edit


def run_at(cli, when: str):
    """`reminders run --once` with the clock frozen at `when` (UTC) and --now the same instant."""
    with freeze_time(when):
        return cli("run", "--once", "--now", when + "+00:00")


def notices(msg) -> list[str]:
    return [x.strip() for x in msg["X-Reminder-Notices"].split(",")]


def test_assigned_notices_arrive_with_headers_parts_ics(cli, smtp_env):
    cli("sync", "--now", "2009-11-24T08:00")
    result = run_at(cli, "2009-11-24T09:00:00")
    assert result.exit_code == 0, result.output
    assert "12 notice(s) sent in 9 message(s)" in result.output  # owners of 2 actions get one digest
    got = smtp_env.parsed()
    assert len(got) == 9
    by_to = {rcpts[0]: msg for rcpts, msg in got}
    pqa = by_to["pqa-manager@example.org"]
    assert notices(pqa) == ["ofsted-2009/SG3=assigned", "ofsted-2009/SG4=assigned"]
    assert pqa["Auto-Submitted"] == "auto-generated"
    assert pqa["To"] == "Performance and Quality Assurance Manager <pqa-manager@example.org>"
    assert pqa["Date"] == "Tue, 24 Nov 2009 09:00:00 +0000"
    assert pqa["Message-ID"].startswith("<") and pqa["Message-ID"].endswith("@example.org>")
    assert len({m["Message-ID"] for _, m in got}) == 9
    assert pqa["References"] == "<ofsted-2009.SG3@example.org> <ofsted-2009.SG4@example.org>"
    text = pqa.get_body(("plain",)).get_content()
    html = pqa.get_body(("html",)).get_content()
    assert "NEW ACTION: you are the owner of ofsted-2009/SG3, due Wednesday 24 February 2010." in " ".join(text.split())
    assert "Due:     Wednesday 24 February 2010, 92 days left" in text and "Due:     Monday 24 May 2010" in text
    assert "<strong>Wednesday 24 February 2010</strong>" in html
    icses = [p.get_content() for p in pqa.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(icses) == 2
    assert "DTSTART;VALUE=DATE:20100224" in icses[0] and "UID:ofsted-2009.SG3.due@example.org" in icses[0]
    assert "SEQUENCE:0" in icses[0]


def test_notices_of_one_action_thread_together(cli, smtp_env):
    cli("sync", "--now", "2009-11-24T08:00")
    run_at(cli, "2009-11-24T09:00:00")
    run_at(cli, "2010-01-27T09:00:00")
    msgs = [m for _, m in smtp_env.parsed() if "ofsted-2009/SG1=" in m["X-Reminder-Notices"]]
    assert [notices(m) for m in msgs] == [["ofsted-2009/SG1=assigned"], ["ofsted-2009/SG1=before:28"]]
    assert {m["In-Reply-To"] for m in msgs} == {"<ofsted-2009.SG1@example.org>"}


def test_escalation_goes_to_the_manager_and_the_owner_gets_a_copy_one_email_each(cli, smtp_env):
    cli("sync", "--now", "2009-11-24T08:00")
    run_at(cli, "2010-03-02T09:00:00")  # catch-up: one overdue notice per action
    smtp_env.messages.clear()
    result = run_at(cli, "2010-03-03T09:00:00")
    assert result.exit_code == 0, result.output
    by_rcpt = {}
    for rcpts, m in smtp_env.parsed():
        assert len(rcpts) == 1 and m["Cc"] is None, "no cc: everyone gets their own email"
        assert rcpts[0] not in by_rcpt, f"two emails to {rcpts[0]} in one run"
        by_rcpt[rcpts[0]] = m
    manager = by_rcpt["head-of-safeguarding@example.org"]
    assert notices(manager) == [f"ofsted-2009/{r}=escalation:1" for r in ("SG1", "SG2", "SG3")]
    assert manager["Subject"] == "[ofsted-2009] 3 overdue actions escalated to you"
    text = " ".join(manager.get_body(("plain",)).get_content().split())
    assert "ESCALATED TO YOU: ofsted-2009/SG1, owned by Contact Centre Manager, is 7 days overdue." in text
    owner = by_rcpt["contact-centre-manager@example.org"]
    assert notices(owner) == ["ofsted-2009/SG1=escalation:1"]
    assert owner["Subject"].startswith("[ofsted-2009] SG1 escalated to Head of Safeguarding: Ensure that new")
    text = " ".join(owner.get_body(("plain",)).get_content().split())
    assert "was escalated to Head of Safeguarding today" in text
    assert "If it is still open on Wednesday 17 March 2010, it will be escalated to Executive Director" in text
    assert len(by_rcpt) == 2 + 5  # two managers, five owners


def test_downtime_catch_up_sends_at_most_one_per_action_per_track(cli, smtp_env):
    cli("sync", "--now", "2009-11-24T08:00")
    run_at(cli, "2010-02-15T09:00:00")  # catch up to before:14 for the 3-month actions
    smtp_env.messages.clear()
    # Down from 16 Feb to 12 Mar: before:7, before:1, due, overdue:1..3 and escalation:1 were missed.
    result = run_at(cli, "2010-03-12T09:00:00")
    assert result.exit_code == 0
    seen = [n for _, m in smtp_env.parsed() for n in notices(m)]
    assert sorted(seen) == sorted(  # the manager's and the owner's copy of each
        2 * [f"ofsted-2009/{r}=escalation:1" for r in ("SG1", "SG2", "SG3", "LAC1", "LAC2")]
    )
    smtp_env.messages.clear()
    assert "0 notice(s) sent" in run_at(cli, "2010-03-12T15:00:00").output  # a second run: nothing


@both_databases
def test_completion_recorded_just_before_a_run_stops_the_email(cli, smtp_env):
    cli("sync", "--now", "2009-11-24T08:00")
    run_at(cli, "2010-02-22T09:00:00")
    smtp_env.messages.clear()
    assert cli("set-status", "SG1", "complete", "--now", "2010-02-23T08:59").exit_code == 0
    run_at(cli, "2010-02-23T09:00:00")
    seen = [n for _, m in smtp_env.parsed() for n in notices(m)]
    assert "ofsted-2009/SG2=before:1" in seen
    assert not [n for n in seen if n.startswith("ofsted-2009/SG1=")]


def test_extension_starts_fresh_stages_and_repeats_none(cli, smtp_env):
    cli("sync", "--now", "2009-11-24T08:00")
    run_at(cli, "2010-02-10T09:00:00")  # SG2 got before:14 for 24 Feb
    r = cli("extend", "SG2", "--to", "2010-03-31", "--reason", "exemplar launch moved",
            "--approved-by", "head-of-safeguarding", "--now", "2010-02-11T10:00")  # fmt: skip
    assert r.exit_code == 0, r.output
    smtp_env.messages.clear()
    run_at(cli, "2010-02-12T09:00:00")
    sg2 = [m for _, m in smtp_env.parsed() if "ofsted-2009/SG2=" in m["X-Reminder-Notices"]]
    assert [notices(m) for m in sg2] == [["ofsted-2009/SG2=assigned"]]  # the extension notice
    text = " ".join(sg2[0].get_body(("plain",)).get_content().split())
    assert "DUE DATE REVISED: ofsted-2009/SG2 is now due on Wednesday 31 March 2010." in text
    assert (
        "revised from 24 Feb 2010 to 31 Mar 2010: exemplar launch moved (agreed by Head of Safeguarding)" in text
    )
    ics = [p.get_content() for p in sg2[0].iter_attachments()][0]
    assert "SEQUENCE:1" in ics and "DTSTART;VALUE=DATE:20100331" in ics
    forecast = json.loads(cli("forecast", "--from", "2010-02-13", "--to", "2010-04-01", "--json").output)
    sg2_stages = [(e["date"], e["stage"]) for e in forecast if e["ref"] == "SG2"]
    assert sg2_stages == [("2010-03-03", "before:28"), ("2010-03-17", "before:14"), ("2010-03-24", "before:7"),
                          ("2010-03-30", "before:1"), ("2010-03-31", "due"), ("2010-04-01", "overdue:1")]  # fmt: skip


def test_451_then_delivered_on_the_next_run(cli, smtp_env):
    cli("sync", "--now", "2009-11-24T08:00")
    smtp_env.refuse["contact-centre-manager@example.org"] = [451]
    first = run_at(cli, "2009-11-24T09:00:00")
    assert first.exit_code == 1
    assert "11 notice(s) sent in 8 message(s), 0 superseded, 1 to retry, 0 failed" in first.output
    second = run_at(cli, "2009-11-25T09:00:00")
    assert "1 notice(s) sent in 1 message(s)" in second.output, second.output
    got = [n for _, m in smtp_env.parsed() for n in notices(m)]
    assert got.count("ofsted-2009/SG1=assigned") == 1
    assert len(got) == 12


@both_databases
def test_550_for_the_manager_fails_their_notice_and_the_owner_still_gets_the_copy(cli, smtp_env, db_url):
    cli("sync", "--now", "2009-11-24T08:00")
    run_at(cli, "2010-03-02T09:00:00")
    smtp_env.messages.clear()
    # escalation:1 of LAC1/LAC2 goes to head-of-lac (one digest), the owners get copies: refuse the manager.
    smtp_env.refuse["head-of-lac@example.org"] = [550]
    result = run_at(cli, "2010-03-03T09:00:00")
    assert result.exit_code == 1
    assert "2 failed" in result.output
    delivered = {r[0]: m for r, m in smtp_env.parsed()}
    assert "head-of-lac@example.org" not in delivered
    assert notices(delivered["iro-service-manager@example.org"]) == ["ofsted-2009/LAC1=escalation:1"]
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        failed = conn.execute(
            sa.text("SELECT stage, recipient, last_error FROM notice WHERE state = 'failed'")
        ).all()
    engine.dispose()
    assert sorted((f.stage, f.recipient) for f in failed) == 2 * [("escalation:1", "head-of-lac@example.org")]
    assert all(f.last_error.startswith("all recipients refused (head-of-lac@example.org: 550)") for f in failed)
    smtp_env.messages.clear()
    run_at(cli, "2010-03-04T09:00:00")
    assert not [m for _, m in smtp_env.parsed() if "escalation:1" in m["X-Reminder-Notices"]]


@both_databases
def test_server_down_is_retried_not_lost_not_doubled(cli, smtp_env):
    cli("sync", "--now", "2009-11-24T08:00")
    smtp_env.controller.stop()
    down = run_at(cli, "2009-11-24T09:00:00")
    assert down.exit_code == 1
    assert "0 notice(s) sent in 0 message(s), 0 superseded, 12 to retry" in down.output
    port = smtp_env.controller.port
    smtp_env.controller = Controller(smtp_env, hostname="127.0.0.1", port=port)  # the server is back
    smtp_env.controller.start()
    up = run_at(cli, "2009-11-24T10:00:00")
    assert "12 notice(s) sent in 9 message(s)" in up.output, up.output
    again = run_at(cli, "2009-11-25T10:00:00")
    assert "0 notice(s) sent" in again.output
    got = [n for _, m in smtp_env.parsed() for n in notices(m)]
    assert len(got) == len(set(got)) == 12


def test_header_and_html_injection_is_impossible(cli, smtp_env, config_dir):
    edit(config_dir, PLAN, "title: Ensure that all care leavers are living in accommodation that is safe",
         'title: "Safe <script>alert(1)</script> homes\\r\\nBcc: attacker@evil.example"')  # fmt: skip
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    run_at(cli, "2010-02-25T09:00:00")
    lac2 = [(r, m) for r, m in smtp_env.parsed() if "ofsted-2009/LAC2=" in m["X-Reminder-Notices"]]
    assert lac2
    rcpts, msg = lac2[0]
    assert "attacker@evil.example" not in rcpts and msg["Bcc"] is None
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\n" not in msg["Subject"]


@both_databases
@pytest.mark.slow
def test_whole_campaign_through_smtp_matches_the_forecast(cli, smtp_env, db_url, config_dir):
    """Every run instant from the report date to 31 Aug 2010, delivered by SMTP: what arrives is
    exactly the forecast, notice for notice, recipient for recipient."""
    import datetime as dt
    from collections import Counter
    from email.utils import getaddresses

    from scheduler.config.load import load_config
    from scheduler.engine.campaign import days, run_instants
    from scheduler.engine.pipeline import run_once
    from scheduler.mail.render import Renderer
    from scheduler.mail.transport import SmtpTransport
    from scheduler.store import db

    forecast = json.loads(cli("forecast", "--from", "2009-11-24", "--to", "2010-08-31", "--json").output)
    assert cli("sync", "--now", "2009-11-24T00:00").exit_code == 0
    config, engine = load_config(config_dir), db.make_engine(db_url)
    transport = SmtpTransport("127.0.0.1", smtp_env.controller.port, "none", timeout=5)
    for day in days(dt.date(2009, 11, 24), dt.date(2010, 8, 31)):
        for instant in run_instants(config, day):
            with freeze_time(instant):
                run_once(engine, config, Renderer(), transport, instant)
    engine.dispose()
    got = Counter()
    for rcpts, msg in smtp_env.parsed():
        day = dt.datetime.strptime(msg["Date"], "%a, %d %b %Y %H:%M:%S %z").date().isoformat()
        cc = sorted(a for _, a in getaddresses([msg["Cc"]])) if msg["Cc"] else []
        to = getaddresses([msg["To"]])[0][1]
        assert sorted(rcpts) == sorted([to, *cc])
        for item in notices(msg):
            key, stage = item.split("=")
            got[(day, key, stage, to, tuple(cc))] += 1
    want = Counter(
        (e["date"], f"{e['plan']}/{e['ref']}", e["stage"], e["to"], tuple(sorted(e["cc"]))) for e in forecast
    )
    assert got == want
    assert sum(got.values()) == 149 and set(got.values()) == {1}
    # One email per person per run; the campaign that sent 271 emails before digests by recipient
    # and capped overdue repeats now sends 128.
    per_run = Counter((m["Date"], getaddresses([m["To"]])[0][1]) for _, m in smtp_env.parsed())
    assert set(per_run.values()) == {1}
    assert len(smtp_env.messages) == 128


def test_a_newer_notice_replaces_one_still_waiting_for_a_retry(cli, smtp_env, db_url):
    import sqlalchemy as sa

    cli("sync", "--now", "2009-11-24T08:00")
    smtp_env.refuse["contact-centre-manager@example.org"] = [451]
    assert "1 to retry" in run_at(cli, "2009-11-24T09:00:00").output  # SG1's `assigned` waits
    smtp_env.messages.clear()
    later = run_at(cli, "2010-01-27T09:00:00")  # before:28 is due: it goes, the old notice does not
    assert later.exit_code == 0, later.output
    sent = [n for _, m in smtp_env.parsed() for n in notices(m) if n.startswith("ofsted-2009/SG1=")]
    assert sent == ["ofsted-2009/SG1=before:28"]
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        state, error = conn.execute(sa.text(
            "SELECT n.state, n.last_error FROM notice n JOIN action a ON a.id = n.action_id "
            "WHERE a.ref = 'SG1' AND n.stage = 'assigned'")).one()  # fmt: skip
    engine.dispose()
    assert (state, error) == ("superseded", "a later notice was sent")


@both_databases
def test_a_claim_batch_that_meets_another_runners_rows_is_redone_action_by_action(cli, config_dir, db_url,
                                                                                  monkeypatch):  # fmt: skip
    """Claims are written a batch of actions per transaction. When one action's row was claimed by
    another runner between our read and our write (the unique key fails), only that action loses:
    the batch is rolled back and redone one action at a time."""
    import datetime as dt

    import sqlalchemy as sa

    from scheduler.config.load import load_config
    from scheduler.engine import ledger as ledger_mod
    from scheduler.store import db

    cli("sync", "--now", "2009-11-24T08:00")
    config, engine = load_config(config_dir), db.make_engine(db_url)
    now = dt.datetime(2009, 11, 24, 9, 0, tzinfo=dt.UTC)
    sql = ledger_mod.SqlLedger(engine, config)
    ids = sql.select(now)
    assert len(ids) == 12
    with engine.begin() as conn:  # "another runner" claimed the second action's notice first
        conn.execute(sa.text("INSERT INTO notice (action_id, due_date, stage, track, recipient, send_day, state, "
                             "attempts, claimed_by, created_at, updated_at) SELECT id, due, 'assigned', 'assigned', "
                             "'x', :d, 'pending', 0, 'other', :t, :t FROM action WHERE id = :id"),
                     {"d": now.date(), "t": now.replace(tzinfo=None), "id": ids[1]})  # fmt: skip
        conn.execute(sa.text("UPDATE notice SET recipient = (SELECT o.email FROM owner o JOIN action a "
                             "ON a.owner_id = o.id WHERE a.id = :id) WHERE claimed_by = 'other'"), {"id": ids[1]})  # fmt: skip
    real_done = ledger_mod.ledger_done
    monkeypatch.setattr(ledger_mod, "ledger_done", lambda s, aids: {} if ids[1] in aids and len(aids) > 1
                        else real_done(s, aids))  # the batch read missed it (it came in just after)  # fmt: skip
    claims = sql.claim_many(ids, now, "run-1")
    assert [len(c.send) for c in claims] == [1, 0] + [1] * 10
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT claimed_by, count(*) FROM notice GROUP BY claimed_by")).all()
    engine.dispose()
    assert sorted(rows) == [("other", 1), ("run-1", 11)]


def test_a_completion_between_claim_and_hand_over_stops_that_notice_and_trims_the_digest(cli, config_dir, db_url):
    """The run claimed every notice; while its first message was on the wire an owner completed one
    action of a later digest. That notice is recorded superseded at the hand-over and the digest goes
    without it (re-rendered), carrying the recipient's other action."""
    import datetime as dt

    import sqlalchemy as sa

    from scheduler.config.load import load_config
    from scheduler.engine.pipeline import run_once
    from scheduler.mail.render import Renderer
    from scheduler.mail.transport import MemoryTransport
    from scheduler.store import db, operations, queries

    cli("sync", "--now", "2009-11-24T08:00")
    config, engine = load_config(config_dir), db.make_engine(db_url)
    now = dt.datetime(2009, 11, 24, 9, 0, tzinfo=dt.UTC)
    closed = {}

    class CompletingTransport(MemoryTransport):
        def send(self, msg):
            if not closed:  # first message: complete one action of a later digest of two or more
                first_to = msg["To"]
                with engine.connect() as conn:
                    to, action_id = conn.execute(sa.text(
                        "SELECT recipient, min(action_id) FROM notice WHERE state = 'pending' "
                        "GROUP BY recipient HAVING count(*) > 1")).first()  # fmt: skip
                assert to not in first_to
                with db.session(engine) as s:
                    action = s.get(queries.Action, action_id)
                    operations.set_status(s, action, "complete", None, "owner via web", now)
                    closed.update(to=to, ref=action.ref)
                    s.commit()
            return super().send(msg)

    transport = CompletingTransport()
    report = run_once(engine, config, Renderer(), transport, now)
    cancelled = [o for o in report.outcomes if o["outcome"] == "cancelled"]
    assert [(o["ref"], o["recipient"]) for o in cancelled] == [(closed["ref"], closed["to"])]
    (digest,) = [m for m in transport.sent if closed["to"] in m["To"]]
    inside = digest["X-Reminder-Notices"]
    assert f"/{closed['ref']}=" not in inside and inside.count("=assigned") >= 1
    with engine.connect() as conn:
        state, error = conn.execute(sa.text("SELECT n.state, n.last_error FROM notice n JOIN action a ON "
                                            "a.id = n.action_id WHERE a.ref = :r"), {"r": closed["ref"]}).one()  # fmt: skip
    engine.dispose()
    assert (state, error) == ("superseded", queries.CLOSED_SINCE_CLAIM)
    assert report.count("sent") == 11


def test_deliver_now_sends_already_claimed_notices_once_through_the_same_hand_over(cli, config_dir, db_url):
    """The path the web app uses for a notice it has just queued: claimed rows go out now, are
    recorded sent, and a second call sends nothing (they are no longer waiting)."""
    import datetime as dt

    from scheduler.config.load import load_config
    from scheduler.engine.ledger import SqlLedger
    from scheduler.engine.pipeline import deliver_now
    from scheduler.mail.render import Renderer
    from scheduler.mail.transport import MemoryTransport
    from scheduler.store import db

    cli("sync", "--now", "2009-11-24T08:00")
    config, engine = load_config(config_dir), db.make_engine(db_url)
    now = dt.datetime(2009, 11, 24, 9, 0, tzinfo=dt.UTC)
    ledger = SqlLedger(engine, config)
    (claim,) = ledger.claim_many(ledger.select(now)[:1], now, "web-1")
    ids = [nid for nid, _ in claim.send]
    transport = MemoryTransport()
    report = deliver_now(engine, config, Renderer(), transport, ids, now)
    assert report.count("sent") == len(ids) == 1 and len(transport.sent) == 1
    again = deliver_now(engine, config, Renderer(), transport, ids, now)
    engine.dispose()
    assert again.count("sent") == 0 and len(transport.sent) == 1
