"""Alembic migrations on SQLite and PostgreSQL: from empty, and from each earlier revision with data."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from scheduler.store import db
from tests.conftest import both_databases, insert_action_before_upgrade

pytestmark = both_databases  # these tests are about the database

NOW = dt.datetime(2010, 1, 4, 9, 0)


def test_upgrade_from_empty(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision() == db.HEAD == "0010"  # HEAD: the fast path
    tables = set(sa.inspect(engine).get_table_names())
    assert {
        "owner",
        "plan",
        "action",
        "action_event",
        "due_revision",
        "notice",
        "heartbeat",
        "service_event",
        "extension_request",
        "web_submission",
        "run_lease",
        "plan_notice",
        "send_pace",
    } <= tables
    db.upgrade(engine)  # idempotent
    engine.dispose()


def test_upgrade_from_0001_keeps_data(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO owner (id, name, email, manager_id, active, updated_at) "
                             "VALUES ('o1', 'Owner', 'o1@example.org', NULL, true, :t)"), {"t": NOW})  # fmt: skip
        conn.execute(sa.text("INSERT INTO plan (id, title, report_date, escalation_contact, active, updated_at) "
                             "VALUES ('p', 'Plan', '2009-11-24', NULL, true, :t)"), {"t": NOW})  # fmt: skip
        conn.execute(
            sa.text(
                "INSERT INTO action (plan_id, ref, title, owner_id, owner_since, config_due, due, status, "
                "in_config, created_at, updated_at) VALUES ('p', 'A1', 'Do it', 'o1', '2009-11-24', "
                "'2010-02-24', '2010-03-31', 'in_progress', true, :t, :t)"
            ),  # fmt: skip
            {"t": NOW},
        )
    db.upgrade(engine, "0002")
    with engine.begin() as conn:
        action_id = conn.execute(sa.text("SELECT id FROM action")).scalar()
        conn.execute(
            sa.text(
                "INSERT INTO notice (action_id, due_date, stage, track, recipient, send_day, state, attempts, "
                "created_at, updated_at) VALUES (:a, '2010-03-31', 'before:28', 'owner', 'o1@example.org', "
                "'2010-03-03', 'sent', 1, :t, :t)"
            ),  # fmt: skip
            {"a": action_id, "t": NOW},
        )
    db.upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT ref, status, due, next_notice_on FROM action")).one()
        assert (row.ref, row.status, str(row.due), row.next_notice_on) == (
            "A1",
            "in_progress",
            "2010-03-31",
            None,
        )
        assert conn.execute(sa.text("SELECT stage FROM notice")).scalar() == "before:28"
        assert conn.execute(sa.text("SELECT count(*) FROM heartbeat")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM rate_event")).scalar() == 0  # 0006 on data from 0005
    engine.dispose()


def test_ledger_key_is_unique(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    insert = sa.text(
        "INSERT INTO notice (action_id, due_date, stage, track, recipient, send_day, state, attempts, created_at, "
        "updated_at) VALUES (:a, '2010-03-31', 'due', 'owner', 'o1@example.org', '2010-03-31', 'sent', 1, :t, :t)"
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO owner VALUES ('o1', 'O', 'o1@example.org', NULL, true, :t)"), {"t": NOW}
        )
        conn.execute(sa.text("INSERT INTO plan VALUES ('p', 'P', '2009-11-24', NULL, true, :t)"), {"t": NOW})
        conn.execute(
            sa.text(
                "INSERT INTO action (plan_id, ref, title, owner_id, owner_since, config_due, due, status, "
                "in_config, created_at, updated_at) VALUES ('p', 'A1', 'T', 'o1', '2009-11-24', '2010-02-24', "
                "'2010-03-31', 'open', true, :t, :t)"
            ),  # fmt: skip
            {"t": NOW},
        )
        action_id = conn.execute(sa.text("SELECT id FROM action")).scalar()
        conn.execute(insert, {"a": action_id, "t": NOW})
    try:
        with engine.begin() as conn:
            conn.execute(insert, {"a": action_id, "t": NOW})
        raise AssertionError("a second ledger row for the same key was accepted")
    except sa.exc.IntegrityError:
        pass
    engine.dispose()


_REQUEST = sa.text(
    "INSERT INTO extension_request (action_id, due_date, proposed_due, reason, requested_by, approver, state, "
    "created_at) VALUES (:a, '2010-02-24', :to, 'late', 'o1@example.org', 'm@example.org', :state, :t)"
)


def test_0006_keeps_the_first_of_two_pending_requests_and_then_allows_only_one(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0005")
    with engine.begin() as conn:  # two pending for one action: what the check-then-insert race left
        action_id = insert_action_before_upgrade(conn)
        for to, state in (("2010-03-31", "declined"), ("2010-04-30", "pending"), ("2010-05-31", "pending")):
            conn.execute(_REQUEST, {"a": action_id, "to": to, "state": state, "t": NOW})
    db.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT proposed_due, state, decided_note FROM extension_request ORDER BY id"))
        assert [(str(r[0]), r[1], r[2]) for r in rows] == [
            ("2010-03-31", "declined", None),
            ("2010-04-30", "pending", None),
            ("2010-05-31", "withdrawn", "withdrawn: another request for this action was already pending"),
        ]
    with engine.begin() as conn:  # a decided request beside the pending one is fine...
        conn.execute(_REQUEST, {"a": action_id, "to": "2010-06-30", "state": "approved", "t": NOW})
    try:  # ...a second pending one is not
        with engine.begin() as conn:
            conn.execute(_REQUEST, {"a": action_id, "to": "2010-07-31", "state": "pending", "t": NOW})
        raise AssertionError("a second pending request for one action was accepted")
    except sa.exc.IntegrityError:
        pass
    engine.dispose()


def test_event_kinds_are_plain_text_in_the_database_and_typed_when_read(db_url):
    import pytest
    from sqlmodel import select

    from scheduler.store.models import ActionEvent
    from scheduler.store.states import EventKind

    engine = db.make_engine(db_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        action_id = insert_action_before_upgrade(conn)
    with db.session(engine) as s:
        s.add(ActionEvent(action_id=action_id, at=NOW.replace(tzinfo=dt.UTC), by="t", kind=EventKind.NOTE))
        s.commit()
        assert s.execute(sa.text("SELECT kind FROM action_event")).scalar() == "note", "no schema change"
        s.expunge_all()
        (kind,) = s.exec(select(ActionEvent.kind)).all()
        assert type(kind) is EventKind and kind == EventKind.NOTE
        s.add(ActionEvent(action_id=action_id, at=NOW.replace(tzinfo=dt.UTC), by="t", kind="not-a-kind"))
        with pytest.raises(Exception, match="not-a-kind"):  # an unlisted kind fails loudly, never stored
            s.commit()


def test_upgrade_from_0005_keeps_the_ledger_and_adds_plan_level_notices(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0005")
    with engine.begin() as conn:
        insert_action_before_upgrade(conn)
        conn.execute(sa.text("INSERT INTO notice (action_id, due_date, stage, track, recipient, send_day, state, "
                             "attempts, created_at, updated_at) SELECT id, due, 'assigned', 'owner', "
                             "'o1@example.org', '2009-11-24', 'sent', 1, :t, :t FROM action"), {"t": NOW})  # fmt: skip
    db.upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT stage, state FROM notice")).one() == ("assigned", "sent")
        insert = ("INSERT INTO plan_notice (plan_id, stage, recipient, state, attempts, created_at, updated_at) "
                  "VALUES ('p', 'summary:2010-01-04', 'o1@example.org', 'pending', 0, :t, :t)")
        conn.execute(sa.text(insert), {"t": NOW})
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # exactly once per (plan, stage, recipient)
        conn.execute(sa.text(insert), {"t": NOW})
    engine.dispose()
