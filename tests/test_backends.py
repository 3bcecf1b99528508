"""Contract tests: every transport (in-memory, file outbox, SMTP to a real aiosmtpd server) and every
leader lock (SQLite file lock, PostgreSQL advisory lock) behaves as its Protocol says."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest

from scheduler.engine.ports import Transport, TransportError
from scheduler.mail.render import Renderer
from scheduler.mail.transport import FileTransport, MemoryTransport, SmtpTransport
from scheduler.store import db
from scheduler.store.leader import LeaderLock, make_lock
from tests.conftest import both_databases, free_port

NOW = dt.datetime(2010, 2, 24, 9, 0, tzinfo=dt.UTC)


class Backend:
    """A transport and a way to read back what it accepted."""

    def __init__(self, transport, delivered):
        self.transport, self.delivered = transport, delivered


@pytest.fixture(params=["memory", "file", "smtp"])
def backend(request, tmp_path, smtp_server):
    if request.param == "memory":
        t = MemoryTransport()
        return Backend(t, lambda: [m["Message-ID"] for m in t.sent])
    if request.param == "file":
        t = FileTransport(tmp_path / "outbox")

        def read():
            files = sorted((tmp_path / "outbox").glob("*.eml"))
            return [email.message_from_bytes(f.read_bytes(), policy=policy.default)["Message-ID"] for f in files]

        return Backend(t, read)
    t = SmtpTransport("127.0.0.1", smtp_server.controller.port, "none", timeout=5)
    return Backend(t, lambda: [m["Message-ID"] for _, m in smtp_server.parsed()])


def message(to="owner@example.org"):
    return Renderer().test_message(to, NOW)


def test_every_transport_implements_the_protocol(backend):
    assert isinstance(backend.transport, Transport)
    assert backend.transport.name in ("memory", "file", "smtp")


def test_each_message_handed_over_is_delivered_once(backend):
    msgs = [message(f"owner{i}@example.org") for i in range(3)]
    backend.transport.open()
    try:
        refused = [backend.transport.send(m) for m in msgs]
    finally:
        backend.transport.close()
    assert refused == [{}, {}, {}]
    assert sorted(backend.delivered()) == sorted(m["Message-ID"] for m in msgs)


def test_failures_are_transport_errors_that_say_whether_to_retry(tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the outbox should be")
    memory = MemoryTransport()
    memory.fail.append(TransportError("451 try later", permanent=False))
    cases = [
        (FileTransport(blocked), False),
        (SmtpTransport("127.0.0.1", free_port(), "none", timeout=2), False),  # nobody listening
        (memory, False),
    ]
    for transport, permanent in cases:
        with pytest.raises(TransportError) as caught:
            transport.open()
            transport.send(message())
        transport.close()
        assert caught.value.permanent is permanent, transport


@both_databases
def test_every_leader_lock_admits_one_holder_and_frees_on_release(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    first, second = make_lock(engine, db_url), make_lock(engine, db_url)
    try:
        assert isinstance(first, LeaderLock)
        assert first.try_acquire() and first.holds()
        assert not second.try_acquire() and not second.holds()
        first.release()
        assert not first.holds()
        assert second.try_acquire() and second.holds()
        assert first.exclusive is db_url.startswith("sqlite")
    finally:
        first.release()
        second.release()
        engine.dispose()
