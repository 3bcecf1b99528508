"""An action's history as its owner reads it on the action page: sentences, not stage names,
states or Message-IDs (PRODUCT.md §4; the admin CLI keeps the raw trail)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduler.engine.plainwords import event_words, notice_words, who

NAMES = {"contact-centre-manager": "Contact Centre Manager", "contact-centre-manager@example.org": "Contact Centre Manager",
         "head-of-safeguarding": "Head of Safeguarding", "pqa": "pqa"}  # fmt: skip
DUE, D = dt.date(2010, 2, 24), dt.date


@pytest.mark.parametrize(("stage", "state", "sent_on", "words"), [
    ("before:7", "sent", D(2010, 2, 17), "Reminder sent: due in 7 days"),
    ("before:1", "sent", D(2010, 2, 23), "Reminder sent: due tomorrow"),
    ("due", "sent", DUE, "Reminder sent: due today"),
    ("overdue:1", "sent", D(2010, 2, 25), "Overdue reminder sent: 1 day overdue"),
    ("overdue:2", "retry", D(2010, 3, 4), "Overdue reminder sent: 8 days overdue (queued: will be retried)"),
    ("escalation:1", "sent", D(2010, 3, 3), "Escalated to Head of Safeguarding"),
    ("escalation:2", "unknown", D(2010, 3, 17), "Escalated to Head of Safeguarding (may not have arrived)"),
    ("assigned", "sent", D(2009, 11, 24), "Told Head of Safeguarding the action is theirs, due 24 Feb 2010"),
    ("progress:2010-01-12:1", "sent", D(2009, 12, 29), "Asked for a progress update before the review on 12 Jan 2010"),
    ("verify:1", "failed", D(2010, 3, 1), "Head of Safeguarding asked to verify the completion (could not be delivered)"),
])  # fmt: skip
def test_each_notice_reads_as_a_sentence(stage, state, sent_on, words):
    assert notice_words(stage, state, DUE, sent_on, "Head of Safeguarding") == words


def test_superseded_notices_and_the_owners_escalation_copy_are_left_out():
    assert notice_words("before:28", "superseded", DUE, D(2010, 1, 27), "x") is None
    assert notice_words("escalation:1", "sent", DUE, D(2010, 3, 3), "Contact Centre Manager", copy=True) is None


@pytest.mark.parametrize(("event", "words"), [
    (("status", "open", "in_progress", None, "contact-centre-manager@example.org (via web)"),
     "Marked in progress by Contact Centre Manager (on the web page)"),
    (("status", "in_progress", "awaiting_verification", "audit attached", "contact-centre-manager"),
     "Marked complete by Contact Centre Manager; waiting for verification: audit attached"),
    (("status", "awaiting_verification", "in_progress", "no evidence", "pqa"), "Returned by pqa, not verified yet: no evidence"),
    (("status", "open", "complete", None, "pqa"), "Marked complete by pqa"),
    (("extension_request", "2010-02-24", "2010-03-31", "launch moved", "contact-centre-manager@example.org (via web)"),
     "Asked for more time until 31 Mar 2010 by Contact Centre Manager (on the web page): launch moved"),
    (("extension", "2010-02-24", "2010-03-31", "launch moved (approved by head-of-safeguarding)", "pqa"),
     "Due date moved from 24 Feb 2010 to 31 Mar 2010: launch moved (approved by Head of Safeguarding)"),
    (("extension_decided", None, "declined", "not this time", "head-of-safeguarding@example.org (via web)"),
     "Request for more time declined by head-of-safeguarding@example.org (on the web page): not this time"),
    (("note", None, None, "chased on 3 March", "head-of-safeguarding"),
     "Follow-up noted by Head of Safeguarding: chased on 3 March"),
    (("owner", "head-of-safeguarding", "contact-centre-manager", "assigned on 2010-01-04", "sync"),
     "Owner changed from Head of Safeguarding to Contact Centre Manager"),
    (("created", None, "open", "owner x, due 2010-02-24", "sync"), "Added to the plan"),
    (("changed", None, None, "config fields: title", "sync"), None),
])  # fmt: skip
def test_each_event_reads_as_a_sentence(event, words):
    assert event_words(*event, NAMES) == words


def test_the_sync_is_the_reminder_service():
    assert who("sync", NAMES) == "the reminder service" and who("someone", NAMES) == "someone"


def test_owner_history_of_a_real_action_has_no_jargon(cli, env):
    from scheduler.config.load import load_config
    from scheduler.engine.plainwords import names_of, owner_history
    from scheduler.store import db, operations

    cli("sync", "--now", "2009-11-24T08:00")
    for when in ("2009-11-24T09:00", "2010-02-17T09:00", "2010-03-03T09:00"):
        assert cli("run", "--once", "--now", when).exit_code == 0
    cli("set-status", "SG1", "in_progress", "--by", "contact-centre-manager", "--now", "2010-03-03T11:00")
    config = load_config(env["REMINDERS_CONFIG_DIR"])
    engine = db.make_engine(env["DATABASE_URL"])
    with db.session(engine) as s:
        action = operations.resolve_ref(s, "SG1")
        lines = owner_history(s, action, ZoneInfo("Europe/London"), names_of(config))
    engine.dispose()
    texts = [t for _, t in lines]
    assert texts[0] == "Marked in progress by Contact Centre Manager"
    assert "Escalated to Head of Safeguarding" in texts
    assert "Reminder sent: due in 7 days" in texts
    assert texts[-1] == "Added to the plan"
    blob = " ".join(texts)
    for jargon in ("before:", "escalation:", "superseded", "in_progress", "->", "@", "notice"):
        assert jargon not in blob, jargon
