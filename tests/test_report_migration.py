"""Migration 0008 (the owner's RAG self-assessment on action events) keeps existing data."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from scheduler.store import db
from tests.conftest import both_databases, insert_action_before_upgrade

NOW = dt.datetime(2010, 1, 4, 9, 0)


@both_databases
def test_upgrade_from_0005_keeps_events_and_adds_an_empty_rag(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0005")
    with engine.begin() as conn:
        insert_action_before_upgrade(conn, "in_progress", NOW)
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
