"""Used form keys (`web_submission` rows) do not pile up for ever (issue 16c).

A used key is kept only to refuse a repeat of its form; once older than any link or form key can
live, its own signature has expired and refuses the repeat, so the row is deleted when new keys
are written (a bounded batch per write, in the same statement).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from scheduler.config.limits import MAX_LINK_DAYS
from scheduler.store import db, throttle
from scheduler.store.models import WebSubmission
from scheduler.web.state import FORM_KEY_SECONDS
from tests import web_helpers
from tests.conftest import both_databases
from tests.web_helpers import form_of, link

web = web_helpers.web  # the fixture
NOW = dt.datetime(2011, 6, 1, 9, 0, tzinfo=dt.UTC)


def _keys(engine) -> set[str]:
    with db.session(engine) as s:
        return set(s.execute(sa.text("SELECT key FROM web_submission")).scalars())


def test_used_keys_are_kept_longer_than_any_link_or_form_key_lives():
    assert throttle.KEEP_FORM_KEYS >= dt.timedelta(days=MAX_LINK_DAYS)
    assert throttle.KEEP_FORM_KEYS >= dt.timedelta(seconds=FORM_KEY_SECONDS)


@both_databases
def test_writing_a_key_deletes_keys_older_than_the_longest_lifetime_and_keeps_recent_ones(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    keep = throttle.KEEP_FORM_KEYS
    ages = {"ancient": keep * 3, "just-too-old": keep + dt.timedelta(minutes=1),
            "just-young-enough": keep - dt.timedelta(minutes=1), "yesterday": dt.timedelta(days=1)}  # fmt: skip
    with db.session(engine) as s:
        s.add_all(WebSubmission(key=k, at=NOW - age) for k, age in ages.items())
        s.commit()
    with db.session(engine) as s:
        assert throttle.first_use(s, "new", NOW)
        s.commit()
    assert _keys(engine) == {"just-young-enough", "yesterday", "new"}
    with db.session(engine) as s:
        assert not throttle.first_use(s, "yesterday", NOW), "a recent key is still refused"
    engine.dispose()


@both_databases
def test_each_write_deletes_at_most_one_batch_so_a_backlog_never_makes_one_slow_request(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    old = NOW - throttle.KEEP_FORM_KEYS * 2
    with db.session(engine) as s:
        s.add_all(WebSubmission(key=f"old-{i}", at=old) for i in range(throttle.PRUNE_BATCH + 5))
        s.commit()
    with db.session(engine) as s:
        assert throttle.first_use(s, "first", NOW) and throttle.first_use(s, "second", NOW)
        s.commit()
    assert _keys(engine) == {"first", "second"}, "two writes cleared the backlog of a batch and five"
    engine.dispose()


@both_databases
def test_a_replayed_key_whose_row_was_pruned_is_still_refused_by_its_expired_signature(web):
    client, app, url = web
    old_form = form_of(client.get(link(app)).text, "progress")
    assert client.post(link(app), data={**old_form, "note": "first progress"}).status_code == 200
    engine = db.make_engine(url)
    assert old_form["form_key"] in _keys(engine)
    app.clock.advance(days=MAX_LINK_DAYS + 1)
    fresh = form_of(client.get(link(app)).text, "progress")  # a new link and key, a year on
    assert client.post(link(app), data={**fresh, "note": "a year on"}).status_code == 200
    assert old_form["form_key"] not in _keys(engine), "the old key's row was pruned by the new write"
    replay = client.post(link(app), data={**old_form, "note": "replayed"})  # on a fresh, valid link
    assert replay.status_code == 400 and "The form had expired" in replay.text
    with db.session(engine) as s:
        notes = list(s.execute(sa.text("SELECT note FROM action_event WHERE note IS NOT NULL ORDER BY id")).scalars())
    assert "replayed" not in notes and notes[-1] == "a year on", notes
    engine.dispose()
