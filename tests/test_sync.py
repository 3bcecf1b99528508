"""Sync against a real SQLite file: idempotent, preserves status/history, withdraws, reassigns."""

from __future__ import annotations

import json

from tests.conftest import both_databases, snapshot
from tests.test_config_errors import PLAN, edit

pytestmark = both_databases  # these tests are about the database


def status_json(cli, *extra):
    result = cli("status", "--json", *extra)
    assert result.exit_code == 0, result.output
    return {row["ref"]: row for row in json.loads(result.output)}


def test_shipped_plan_due_dates_and_owners(cli):
    assert cli("validate").exit_code == 0
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    rows = status_json(cli, "--now", "2010-03-15")
    assert len(rows) == 12
    three = {"SG1", "SG2", "SG3", "LAC1", "LAC2"}
    for ref, row in rows.items():
        assert row["due"] == ("2010-02-24" if ref in three else "2010-05-24"), ref
        assert row["owner_email"].endswith("@example.org")
    assert rows["SG1"]["owner"] == "contact-centre-manager"
    assert rows["LAC5"]["owner"] == "sixteen-plus-manager"
    assert rows["SG1"]["rag"] == "overdue" and rows["SG1"]["days_left"] == -19
    assert rows["SG4"]["rag"] == "on track" and rows["SG4"]["days_left"] == 70
    assert status_json(cli, "--now", "2010-05-10")["SG4"]["rag"] == "due soon"  # 14 days left
    assert status_json(cli, "--now", "2010-05-09")["SG4"]["rag"] == "on track"  # 15 days left


def test_sync_is_idempotent(cli, db_url):
    first = cli("sync", "--now", "2009-11-24T08:00")
    assert "sync: 24 change(s)" in first.output
    before = snapshot(db_url)
    second = cli("sync", "--now", "2009-12-01T08:00")
    assert second.exit_code == 0
    assert second.output.strip() == "sync: no changes"
    assert snapshot(db_url) == before


def test_sync_preserves_status_history_and_extensions(cli, config_dir):
    cli("sync", "--now", "2009-11-24T08:00")
    assert cli("set-status", "SG1", "complete", "--note", "all allocated", "--by", "pqa",
               "--now", "2010-01-10T10:00").exit_code == 0  # fmt: skip
    assert cli("extend", "SG4", "--to", "2010-07-30", "--reason", "survey delayed",
               "--approved-by", "executive-director", "--by", "pqa", "--now", "2010-04-01T10:00").exit_code == 0  # fmt: skip
    edit(config_dir, PLAN, "accommodation that is safe", "accommodation that is safe and suitable")
    result = cli("sync", "--now", "2010-04-02T10:00")
    assert "changed: ofsted-2009/LAC2 (title)" in result.output
    rows = status_json(cli, "--now", "2010-04-02")
    assert rows["SG1"]["status"] == "complete"
    assert rows["SG4"]["due"] == "2010-07-30" and rows["SG4"]["original_due"] == "2010-05-24"
    assert rows["SG4"]["revisions"] == [{"from": "2010-05-24", "to": "2010-07-30",
                                        "reason": "survey delayed", "approved_by": "executive-director"}]  # fmt: skip
    hist = cli("history", "ofsted-2009/SG1").output
    assert "status     open -> complete  by pqa  (all allocated)" in hist


def test_removed_action_is_withdrawn_then_restored(cli, config_dir):
    cli("sync", "--now", "2009-11-24T08:00")
    cli("set-status", "LAC5", "in_progress", "--now", "2010-01-05T09:00")
    plan = config_dir / PLAN
    original = plan.read_text()
    start = original.index("  - ref: LAC5")
    plan.write_text(original[:start])
    result = cli("sync", "--now", "2010-02-01T09:00")
    assert "withdrawn: ofsted-2009/LAC5 (removed from the plan file)" in result.output
    assert status_json(cli)["LAC5"]["status"] == "withdrawn"
    refused = cli("set-status", "LAC5", "open")
    assert refused.exit_code == 2
    assert "was removed from the config; put it back in its plan file" in refused.output
    plan.write_text(original)
    result = cli("sync", "--now", "2010-02-02T09:00")
    assert "restored: ofsted-2009/LAC5 (status in_progress)" in result.output
    assert status_json(cli)["LAC5"]["status"] == "in_progress"
    hist = cli("history", "LAC5").output
    assert "withdrawn  in_progress -> withdrawn  by sync" in hist
    assert "restored   withdrawn -> in_progress  by sync" in hist


def test_owner_change_is_recorded_with_its_date(cli, config_dir):
    cli("sync", "--now", "2009-11-24T08:00")
    edit(config_dir, PLAN, "owner: contact-centre-manager", "owner: area-services-manager")
    result = cli("sync", "--now", "2010-01-12T09:00")
    assert (
        "owner reassigned: ofsted-2009/SG1 contact-centre-manager -> area-services-manager" in result.output
    )
    hist = cli("history", "SG1", "--wide").output
    assert (
        "owner      contact-centre-manager -> area-services-manager  by sync  (assigned on 12 Jan 2010)"
        in hist
    )
    assert status_json(cli)["SG1"]["owner"] == "area-services-manager"


def test_set_status_to_the_same_status_changes_nothing(cli, db_url):
    # Bad REFs, statuses and extension inputs are in the catalogue of tests/test_bad_input.py.
    cli("sync", "--now", "2009-11-24T08:00")
    before = snapshot(db_url)
    assert cli("set-status", "SG1", "open").output.strip() == "ofsted-2009/SG1: already open, no change"
    assert snapshot(db_url) == before


def test_extension_chain_keeps_every_revision(cli):
    cli("sync", "--now", "2009-11-24T08:00")
    for to in ("2010-03-31", "2010-04-30"):
        r = cli("extend", "SG2", "--to", to, "--reason", f"to {to}", "--approved-by", "head-of-safeguarding")
        assert r.exit_code == 0, r.output
    row = status_json(cli)["SG2"]
    assert row["original_due"] == "2010-02-24" and row["due"] == "2010-04-30"
    assert [(r["from"], r["to"]) for r in row["revisions"]] == [
        ("2010-02-24", "2010-03-31"), ("2010-03-31", "2010-04-30")]  # fmt: skip
    hist = cli("history", "SG2").output
    assert "extension  24 Feb 2010 -> 31 Mar 2010" in hist and "extension  31 Mar 2010 -> 30 Apr 2010" in hist
    assert cli("set-status", "SG2", "complete").exit_code == 0
    closed = cli(
        "extend", "SG2", "--to", "2010-05-30", "--reason", "x", "--approved-by", "head-of-safeguarding"
    )
    assert closed.exit_code == 2 and "is complete; only open or in-progress actions" in closed.output
