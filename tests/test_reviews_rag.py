"""The owner's RAG self-assessment with a progress note: stored on the event, quoted by the report
(an on-target action self-assessed at risk is an exception), refused when it makes no sense."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlmodel import select

from scheduler.app import App
from scheduler.clock import FixedClock
from scheduler.store.models import ActionEvent
from scheduler.store.operations import InputError, resolve_ref
from scheduler.store.review_progress import record_review_progress

AT = dt.datetime(2010, 3, 10, 11, 0, tzinfo=dt.UTC)


@pytest.fixture
def app(cli):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    return App.from_env(None, FixedClock(AT))


def record(app, ref, rag, note):
    with app.session() as s:
        event = record_review_progress(s, resolve_ref(s, ref), rag, note, "owner@example.org", AT)
        s.commit()
        return event.kind, event.rag


def test_progress_with_a_rag_is_one_event_and_an_open_action_becomes_in_progress(app):
    assert record(app, "SG4", "At risk", "consultation with young people delayed to April") == ("status", "at_risk")
    assert record(app, "SG4", "off track", "no venue for the April sessions") == ("progress", "off_track")
    with app.session() as s:
        action = resolve_ref(s, "SG4")
        rags = [e.rag for e in s.exec(select(ActionEvent).where(ActionEvent.action_id == action.id))]
        assert (action.status, rags[-2:]) == ("in_progress", ["at_risk", "off_track"])


def test_report_quotes_the_rag_and_lists_an_on_target_action_at_risk_as_an_exception(app, cli):
    record(app, "SG5", "at_risk", "two of three area meetings running")
    record(app, "SG6", "on_track", "procedures launched")
    out = cli("report", "--plan", "ofsted-2009", "--as-of", "2010-03-15", "--now", "2010-03-15T18:00", "--format", "csv")
    rows = {r["ref"]: r for r in csv.DictReader(io.StringIO(out.output))}
    assert (rows["SG5"]["self_assessment"], rows["SG5"]["category"]) == ("At risk", "On target")
    assert (rows["SG5"]["latest_note"], rows["SG5"]["note_date"]) == ("two of three area meetings running", "2010-03-10")
    assert rows["SG6"]["self_assessment"] == "On track"
    html = cli("report", "--plan", "ofsted-2009", "--as-of", "2010-03-15", "--now", "2010-03-15T18:00").output
    exceptions = html.split("<h2>Exceptions</h2>")[1].split("<h2>All actions</h2>")[0]
    assert "SG5: Ensure that performance management" in exceptions and "self-assessment: At risk" in exceptions
    assert "SG6:" not in exceptions


@pytest.mark.parametrize(
    "ref, rag, note, message",
    [
        ("SG4", "amber", "x", "self-assessment 'amber': choose one of: on track, at risk, off track"),
        ("SG4", "on_track", "  ", "say what has been done and what is left (the note is required)"),
        ("SG1", "on_track", "done", "ofsted-2009/SG1 is complete; progress is recorded on open or in-progress"),
    ],
)
def test_bad_progress_is_refused_and_writes_nothing(app, cli, ref, rag, note, message):
    assert cli("set-status", "SG1", "complete", "--now", "2010-03-01T10:00").exit_code == 0
    with app.session() as s:
        before = len(s.exec(select(ActionEvent)).all())
        with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
            record_review_progress(s, resolve_ref(s, ref), rag, note, "o", AT)
        s.rollback()
    with app.session() as s:
        assert len(s.exec(select(ActionEvent)).all()) == before
