"""Migration 0008 (the owner's RAG self-assessment on action events) keeps existing data."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from scheduler.store import db
from tests.conftest import both_databases

NOW = dt.datetime(2010, 1, 4, 9, 0)


@both_databases
def test_upgrade_from_0005_keeps_events_and_adds_an_empty_rag(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0005")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO owner (id, name, email, manager_id, active, updated_at) "
                             "VALUES ('o1', 'Owner', 'o1@example.org', NULL, true, :t)"), {"t": NOW})  # fmt: skip
        conn.execute(sa.text("INSERT INTO plan (id, title, report_date, escalation_contact, active, updated_at) "
                             "VALUES ('p', 'Plan', '2009-11-24', NULL, true, :t)"), {"t": NOW})  # fmt: skip
        conn.execute(sa.text("INSERT INTO action (plan_id, ref, title, owner_id, owner_since, config_due, due, "
                             "status, in_config, created_at, updated_at) VALUES ('p', 'A1', 'Do it', 'o1', "
                             "'2009-11-24', '2010-02-24', '2010-02-24', 'in_progress', true, :t, :t)"),
                     {"t": NOW})  # fmt: skip
        conn.execute(sa.text("INSERT INTO action_event (action_id, at, by, kind, note) VALUES "
                             "((SELECT id FROM action), :t, 'o1', 'progress', 'audit started')"), {"t": NOW})  # fmt: skip
    db.upgrade(engine)
    with engine.begin() as conn:
        row = conn.execute(sa.text("SELECT kind, note, rag FROM action_event")).one()
        assert tuple(row) == ("progress", "audit started", None)
        conn.execute(sa.text("UPDATE action_event SET rag = 'at_risk'"))
        assert conn.execute(sa.text("SELECT rag FROM action_event")).scalar() == "at_risk"
    assert db.current_revision(engine) == db.HEAD == "0010"
    engine.dispose()
