"""SMTP faults from a controllable server on 127.0.0.1: each ends in the right ledger state with one
log line per notice; nothing is lost, nothing is sent twice, nothing in doubt is resent by itself."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter

import pytest

from tests.conftest import both_databases, free_port


class Faulty:
    """aiosmtpd handler: `mode` decides what happens to the next messages."""

    def __init__(self):
        self.mode = "ok"
        self.accepted: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "451-rcpt":
            return "451 try again later"
        if self.mode == "drop-before-data":
            server.transport.close()
            return "250 OK"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "451-data":
            return "451 local error"
        self.accepted.append(envelope.content)  # the server has the message...
        if self.mode == "drop-after-data":
            server.transport.close()  # ...but the client never hears so
        return "250 accepted"


def _serve(handler, monkeypatch):
    """Run `handler` as a real SMTP server on a free port, point the product's settings at it and
    yield the handler; stop the server afterwards."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    for k, v in {"EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port),
                 "SMTP_SECURITY": "none", "SMTP_TIMEOUT": "5", "SMTP_SEND_DEADLINE": "3"}.items():  # fmt: skip
        monkeypatch.setenv(k, v)
    yield handler
    controller.stop()


@pytest.fixture
def faulty(env, monkeypatch):
    yield from _serve(Faulty(), monkeypatch)


def states(cli) -> dict:
    rows = json.loads(cli("notices", "--format", "json").output)
    return {(r["ref"], r["stage"]): (r["state"], r["attempts"], r["id"]) for r in rows if r["state"] != "superseded"}


def run(cli, when):
    return cli("run", "--once", "--now", when)


def test_a_drop_after_the_end_of_data_is_unknown_never_resent_until_an_admin_says(cli, faulty, monkeypatch):
    """The breaker: the first message's answer is lost after DATA, so it is `unknown` and the run stops
    delivering to that relay (one log line says why); the rest stay `pending` and the next run sends
    them normally; the one in doubt is never resent by itself."""
    monkeypatch.setenv("SMTP_CONNECTIONS", "1")
    cli("sync", "--now", "2009-11-24T08:00")
    faulty.mode = "drop-after-data"
    first = run(cli, "2009-11-24T09:00")
    assert first.exit_code == 1
    assert "in doubt (unknown: check, then `reminders resend`)" in first.output
    assert len(faulty.accepted) == 1, "the breaker stopped the run after the first message in doubt"
    got = states(cli)
    doubt = {k for k, (s, _, _) in got.items() if s == "unknown"}
    assert len(got) == 12 and {s for k, (s, _, _) in got.items() if k not in doubt} == {"pending"}
    assert f"{12 - len(doubt)} left for the next run" in first.output
    assert first.output.count("delivery stopped: breaker: the relay smtp:127.0.0.1:") == 2  # the log, the CLI
    n = len(doubt)
    assert f"! {n} notice(s) in doubt (may have arrived): check, then `reminders resend ID`" in cli("status").output
    ref, stage = sorted(doubt)[0]
    assert f"{ref} {stage} to " in cli("summary", "--now", "2009-11-25T10:00").output
    lines = [x for x in first.output.splitlines() if " notice plan=" in x]  # one log line per notice handled
    assert len(lines) == n and all("outcome=unknown" in x for x in lines)
    faulty.mode = "ok"
    second = run(cli, "2009-11-24T15:00")
    assert second.exit_code == 0 and f"{12 - n} recovered from an interrupted run" in second.output
    assert len(faulty.accepted) == 9, "the rest went; nothing in doubt is resent by itself"
    assert {k for k, (s, _, _) in states(cli).items() if s != "sent"} == doubt
    one = got[sorted(doubt)[0]][2]
    assert cli("resend", str(one), "--by", "pqa", "--now", "2009-11-24T15:20").exit_code == 0
    assert run(cli, "2009-11-24T15:30").exit_code in (0, 1)
    assert len(faulty.accepted) == 10 and states(cli)[sorted(doubt)[0]][0] == "sent"
    assert cli("resend", str(one)).exit_code == 2, "only unknown or failed notices"


def test_the_breaker_leaves_at_most_one_message_in_doubt_per_connection(cli, faulty, monkeypatch):
    monkeypatch.setenv("SMTP_CONNECTIONS", "3")
    cli("sync", "--now", "2009-11-24T08:00")
    faulty.mode = "drop-after-data"
    first = run(cli, "2009-11-24T09:00")
    assert first.exit_code == 1 and "delivery stopped: breaker" in first.output
    assert 1 <= len(faulty.accepted) <= 3
    got = states(cli)
    assert {s for s, _, _ in got.values()} <= {"unknown", "pending"} and len(got) == 12
    faulty.mode = "ok"
    run(cli, "2009-11-24T15:00")
    assert len(faulty.accepted) == 9, "the others went with the next run, none twice"


@pytest.mark.parametrize("mode", ["drop-before-data", "451-rcpt", "451-data"])
def test_faults_before_the_server_has_the_message_are_retried_then_delivered_once(cli, faulty, mode):
    cli("sync", "--now", "2009-11-24T08:00")
    faulty.mode = mode
    first = run(cli, "2009-11-24T09:00")
    assert first.exit_code == 1 and "12 to retry" in first.output
    assert {(s, a) for s, a, _ in states(cli).values()} == {("retry", 1)}
    faulty.mode = "ok"
    assert run(cli, "2009-11-24T09:10").exit_code == 0  # not yet: the backoff is 15 minutes
    assert len(faulty.accepted) == 0
    assert run(cli, "2009-11-24T09:20").exit_code == 0
    assert {s for s, _, _ in states(cli).values()} == {"sent"}
    assert len(faulty.accepted) == 9


def slow_server(behaviour) -> int:
    """A raw TCP server on 127.0.0.1 that runs `behaviour(conn)` per connection; returns its port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)

    def serve():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=behaviour, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return sock.getsockname()[1]


def trickle(conn):
    try:
        for ch in b"220 slowly, very slowly" * 50:  # one byte every 0.2 s: each read inside the timeout
            conn.send(bytes([ch]))
            time.sleep(0.2)
    except OSError:
        pass


def tarpit(conn):
    time.sleep(30)  # accepts, says nothing


@pytest.mark.parametrize("behaviour", [trickle, tarpit], ids=["trickling", "tarpit"])
def test_a_slow_server_is_cut_off_at_the_deadline_and_retried(cli, env, monkeypatch, behaviour):
    port = slow_server(behaviour)
    for k, v in {"EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                 "SMTP_SECURITY": "none", "SMTP_TIMEOUT": "1", "SMTP_SEND_DEADLINE": "2"}.items():  # fmt: skip
        monkeypatch.setenv(k, v)
    cli("sync", "--now", "2009-11-24T08:00")
    started = time.monotonic()
    result = run(cli, "2009-11-24T09:00")
    assert time.monotonic() - started < 10, "bounded by the deadline, not the server"
    assert result.exit_code == 1 and "12 to retry" in result.output
    assert {s for s, _, _ in states(cli).values()} == {"retry"}


def test_refused_connection_is_retried(cli, env, monkeypatch):
    for k, v in {"EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(free_port()),
                 "SMTP_SECURITY": "none"}.items():  # fmt: skip
        monkeypatch.setenv(k, v)
    cli("sync", "--now", "2009-11-24T08:00")
    result = run(cli, "2009-11-24T09:00")
    assert result.exit_code == 1 and "12 to retry" in result.output


def test_a_server_without_starttls_is_a_configuration_error_that_burns_no_retries(cli, faulty, monkeypatch):
    monkeypatch.setenv("SMTP_SECURITY", "starttls")
    cli("sync", "--now", "2009-11-24T08:00")
    result = run(cli, "2009-11-24T09:00")
    assert result.exit_code == 1
    assert "delivery stopped: 127.0.0.1:" in result.output and "does not offer STARTTLS; set SMTP_SECURITY" in (
        result.output)  # fmt: skip
    assert {(s, a) for s, a, _ in states(cli).values()} == {("retry", 0)}


def test_421_at_the_greeting_is_retried(cli, env, monkeypatch):
    def busy(conn):
        conn.send(b"421 too busy, try later\r\n")
        conn.close()

    port = slow_server(busy)
    for k, v in {"EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                 "SMTP_SECURITY": "none"}.items():  # fmt: skip
        monkeypatch.setenv(k, v)
    cli("sync", "--now", "2009-11-24T08:00")
    result = run(cli, "2009-11-24T09:00")
    assert result.exit_code == 1 and "12 to retry" in result.output
    assert {(s, a) for s, a, _ in states(cli).values()} == {("retry", 1)}


def test_sqlite_locked_past_the_busy_timeout_stops_the_run_cleanly(cli, env, monkeypatch):
    import sqlite3

    from scheduler.store import db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.5)
    cli("sync", "--now", "2009-11-24T08:00")
    blocker = sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        stopped = run(cli, "2009-11-24T09:00")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert stopped.exit_code == 1
    assert "the database is busy: another process held a write lock for over 0.5 s; try again" in stopped.output
    done = run(cli, "2009-11-24T09:00")
    assert done.exit_code == 0 and "12 notice(s) sent in 9 message(s)" in done.output
    assert {s for s, _, _ in states(cli).values()} == {"sent"}


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_backend_terminated_mid_run_loses_and_doubles_nothing(cli, env, smtp_server, db_url):
    import datetime as dt

    import sqlalchemy as sa

    from scheduler.app import App
    from scheduler.clock import FixedClock
    from scheduler.config.settings import load_settings
    from scheduler.engine.pipeline import run_once
    from scheduler.mail.transport import SmtpTransport
    from scheduler.store import db

    cli("sync", "--now", "2009-11-24T08:00")
    victim = db.make_engine(db_url + "&application_name=reminders-victim")
    admin = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")

    class Killer(SmtpTransport):
        sent = 0

        def send(self, msg):
            refused = super().send(msg)
            Killer.sent += 1
            if Killer.sent == 3:  # the database goes away between a send and its record
                with admin.connect() as conn:
                    conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         "WHERE application_name = 'reminders-victim'"))  # fmt: skip
            return refused

    app = App(load_settings(None), None, FixedClock(dt.datetime.now(dt.UTC)))
    now = dt.datetime(2009, 11, 24, 9, 0, tzinfo=dt.UTC)
    try:  # the pool reconnects (pre-ping) for the next transaction, or the run stops with the error
        run_once(victim, app.config, app.renderer, Killer("127.0.0.1", smtp_server.controller.port, "none"), now)
    except sa.exc.DBAPIError:
        pass
    assert Killer.sent >= 3, "the backend was terminated mid-run"
    victim.dispose()
    again = run(cli, "2009-11-24T09:30")
    assert again.exit_code in (0, 1), again.output
    copies = Counter(n.strip() for _, m in smtp_server.parsed() for n in m["X-Reminder-Notices"].split(","))
    got = states(cli)
    unknown = [k for k, (s, _, _) in got.items() if s == "unknown"]
    assert set(s for s, _, _ in got.values()) <= {"sent", "unknown"} and len(unknown) <= 1
    assert max(copies.values()) == 1, "never two copies"
    assert sum(copies.values()) == 12 - sum(1 for k in unknown if copies[f"ofsted-2009/{k[0]}={k[1]}"] == 0)
    admin.dispose()


def test_the_deadline_watchdog_cuts_only_a_block_that_overruns():
    """One watchdog thread per connection: a block that ends in time is never cut, an overrunning
    one is, an earlier deadline armed while the thread sleeps wakes it, and stop() ends it."""
    import threading
    import time

    from scheduler.mail.smtp_client import Watchdog

    cuts = []
    dog = Watchdog(lambda: cuts.append(time.monotonic()))
    before = set(threading.enumerate())
    for _ in range(200):  # messages that finish in time: no cut, one thread
        dog.arm(5)
        dog.disarm()
    assert cuts == [] and set(threading.enumerate()) - before == {dog._thread}
    dog.arm(30)  # the thread now sleeps until +30 s ...
    dog.disarm()
    started = time.monotonic()
    dog.arm(0.05)  # ... and an earlier deadline must wake it
    for _ in range(100):
        if cuts:
            break
        time.sleep(0.02)
    assert len(cuts) == 1 and 0.04 <= cuts[0] - started < 1.5
    dog.stop()
    dog._thread.join(timeout=2)
    assert not dog._thread.is_alive()


def test_a_connection_that_fails_to_open_leaves_no_deadline_thread_behind():
    import threading

    from scheduler.mail.transport import SmtpTransport, TransportError

    before = {t for t in threading.enumerate() if t.name == "smtp-deadline"}
    transport = SmtpTransport("127.0.0.1", free_port(), "none", timeout=2, deadline=5)
    for _ in range(3):
        with pytest.raises(TransportError, match="cannot connect"):
            transport.open()
    for _ in range(50):
        left = {t for t in threading.enumerate() if t.name == "smtp-deadline"} - before
        if not left:
            break
        threading.Event().wait(0.02)
    assert left == set()


class Throttling:
    """aiosmtpd handler of a hosted relay's limits: `too_many` answers 432 4.3.2 to a connection
    opened while `too_many` others are open (Exchange Online counts concurrent connections; one that
    said QUIT no longer counts); `mail_answers` are answered to the next MAIL FROMs in turn (None:
    accept). `most_open` is the most connections it let send at once."""

    def __init__(self):
        self.accepted: list[tuple] = []  # (peer, content)
        self.open: list = []  # peers with a connection open, in the order they came
        self.peers: list = []  # every peer that ever sent MAIL
        self.too_many: int | None = None
        self.mail_answers: list = []
        self.most_open = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if session.peer not in self.peers:
            self.peers.append(session.peer)
        if session.peer not in self.open:
            self.open.append(session.peer)
        if self.too_many is not None and self.open.index(session.peer) >= self.too_many:
            return "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending"
        self.most_open = max(self.most_open, min(len(self.open), self.too_many or len(self.open)))
        answer = self.mail_answers.pop(0) if self.mail_answers else None
        if answer:
            return answer
        envelope.mail_from = address
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        if session.peer in self.open:
            self.open.remove(session.peer)
        return "221 Bye"

    async def handle_DATA(self, server, session, envelope):
        self.accepted.append((session.peer, envelope.content))
        return "250 accepted"


@pytest.fixture
def relay(env, monkeypatch):
    yield from _serve(Throttling(), monkeypatch)


def test_432_too_many_connections_drops_one_and_the_others_deliver_everything_once(cli, relay, monkeypatch):
    monkeypatch.setenv("SMTP_CONNECTIONS", "3")
    relay.too_many = 2
    cli("sync", "--now", "2009-11-24T08:00")
    result = run(cli, "2009-11-24T09:00")
    assert result.exit_code == 0 and "12 notice(s) sent in 9 message(s)" in result.output, result.output
    assert len(relay.accepted) == 9 and len({c for _, c in relay.accepted}) == 9, "each message once"
    assert relay.most_open == 2 and len(relay.peers) >= 3, "the third connection was refused, the others went on"
    assert {(s, a) for s, a, _ in states(cli).values()} == {("sent", 1)}, "the 432 burned no attempt"


def test_421_rate_limit_slows_the_pace_and_burns_no_attempt(cli, relay, monkeypatch):
    from scheduler.engine import pacing

    monkeypatch.setattr(pacing, "FIRST_GAP", 0.01)  # the pace after a "slow down", kept short here
    monkeypatch.setenv("SMTP_CONNECTIONS", "1")
    relay.mail_answers = [None, "421 4.7.0 Too many messages, rate limit exceeded", None]
    cli("sync", "--now", "2009-11-24T08:00")
    result = run(cli, "2009-11-24T09:00")
    assert result.exit_code == 0 and "12 notice(s) sent in 9 message(s)" in result.output
    assert "the relay asked to slow down 1 time(s)" in result.output
    assert len(relay.accepted) == 9
    assert {(s, a) for s, a, _ in states(cli).values()} == {("sent", 1)}


def test_554_daily_limit_stops_the_run_leaving_the_rest_pending_not_failed(cli, relay, monkeypatch):
    monkeypatch.setenv("SMTP_CONNECTIONS", "1")
    quota = "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"
    relay.mail_answers = [None, None, None, quota, quota]
    cli("sync", "--now", "2009-11-24T08:00")
    result = run(cli, "2009-11-24T09:00")
    assert len(relay.accepted) == 3
    assert "delivery stopped: the relay is not accepting more now (SMTP 554 5.2.0" in result.output
    got = states(cli)
    waiting = {k for k, (s, a, _) in got.items() if (s, a) == ("pending", 0)}
    assert waiting and {s for k, (s, _, _) in got.items() if k not in waiting} == {"sent"}
    assert f"{len(waiting)} left for the next run" in result.output and "0 failed" in result.output
    relay.mail_answers = []
    assert run(cli, "2009-11-24T15:00").exit_code == 0
    assert len(relay.accepted) == 9 and {s for s, _, _ in states(cli).values()} == {"sent"}


def test_a_pace_that_cannot_finish_before_the_run_deadline_leaves_the_rest_and_says_how_many(cli, relay,
                                                                                           monkeypatch):  # fmt: skip
    for k, v in {"SMTP_CONNECTIONS": "2", "SMTP_MAX_PER_MINUTE": "1", "RUN_DEADLINE": "5"}.items():
        monkeypatch.setenv(k, v)
    cli("sync", "--now", "2009-11-24T08:00")
    result = run(cli, "2009-11-24T09:00")
    assert len(relay.accepted) == 1, "the next slot is a minute away, after the run's deadline"
    got = states(cli)
    left = sum(1 for s, a, _ in got.values() if (s, a) == ("pending", 0))
    assert left == 12 - sum(1 for s, _, _ in got.values() if s == "sent") and left >= 8
    assert f"{left} left for the next run; delivery stopped: at 1 a minute (SMTP_MAX_PER_MINUTE=1)" in result.output


def test_connections_share_the_work_and_keep_each_recipients_messages_on_one_connection(cli, relay, config_dir,
                                                                                         monkeypatch):  # fmt: skip
    policy = config_dir / "policy.yaml"
    policy.write_text(policy.read_text().replace("digest: true", "digest: false"))
    monkeypatch.setenv("SMTP_CONNECTIONS", "3")
    cli("sync", "--now", "2009-11-24T08:00")
    assert run(cli, "2009-11-24T09:00").exit_code == 0
    assert len(relay.accepted) == 12 and len({p for p, _ in relay.accepted}) == 3
    by_recipient: dict = {}
    for peer, content in relay.accepted:
        to = next(x for x in content.decode().splitlines() if x.startswith("To: "))
        by_recipient.setdefault(to, set()).add(peer)
    assert max(len(p) for p in by_recipient.values()) == 1 and len(by_recipient) < 12


@both_databases
def test_two_runners_reserving_slots_in_one_pace_never_come_closer_than_the_limit(db_url):
    from scheduler.engine.pacing import Pace
    from scheduler.store import db

    engine = db.make_engine(db_url)
    db.upgrade(engine)
    a, b = (Pace(engine, "smtp:relay", 120, float("inf")) for _ in range(2))  # two replicas, 0.5 s apart
    slots = sorted(p._take() for p in [a, b] * 6)
    engine.dispose()
    assert all(later - earlier >= 0.5 - 1e-6 for earlier, later in zip(slots, slots[1:], strict=False))
