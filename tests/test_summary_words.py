"""The weekly summary as its readers get it (PRODUCT.md §4): notice counts in the words people use,
no heading over an empty section, the emailed text at 72 columns like every notice's."""

from __future__ import annotations

import email
from email import policy

import pytest


@pytest.fixture
def fortnight(cli):
    """The shipped plan worked 8-11 Feb 2010, with SG2 re-dated on the 10th (its notice of the new date sent the 11th)."""
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    for day in ("2010-02-08", "2010-02-10"):
        assert cli("run", "--once", "--now", f"{day}T09:00").exit_code == 0
    assert cli("extend", "SG2", "--to", "2010-03-31", "--reason", "exemplar launch moved", "--approved-by",
               "head-of-safeguarding", "--now", "2010-02-10T10:00").exit_code == 0  # fmt: skip
    assert cli("run", "--once", "--now", "2010-02-11T09:00").exit_code == 0
    return cli


def test_notice_counts_use_peoples_words_and_a_revised_date_is_not_a_new_action(fortnight):
    out = fortnight("summary", "--now", "2010-02-15T08:00", "--since", "2010-02-08").output
    line = next(x for x in out.splitlines() if x.startswith("Notices sent"))
    assert line == ("Notices sent since Mon 8 Feb 2010 00:00 GMT: 18 (7 new-action notices, 1 revised due date, "
                    "10 reminders)")  # fmt: skip


def test_an_empty_section_is_one_line_not_a_heading_over_none(fortnight):
    text = fortnight("summary", "--now", "2010-02-15T08:00", "--since", "2010-02-08").output
    assert "Completed since Mon 8 Feb 2010 00:00 GMT: none." in text.splitlines()
    assert "none" not in [x.strip(" -") for x in text.splitlines()]
    html = fortnight("summary", "--now", "2010-02-15T08:00", "--since", "2010-02-08", "--format", "html").output
    assert "Completed: none." in html and ">Completed</h3>" not in html and "<li>none</li>" not in html
    assert ">Extensions agreed</h3>" in html  # SG2's was agreed this week
    assert "7 new-action notices, 1 revised due date, 10 reminders" in html


def test_the_summary_email_text_is_wrapped_at_72_columns_and_its_table_has_two_columns(fortnight, tmp_path):
    assert fortnight("summary", "--send", "--now", "2010-02-15T08:00").exit_code == 0
    (path, *_) = sorted((tmp_path / "outbox").glob("*.summary_at_*.eml"))
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    text = msg.get_body(("plain",)).get_content()
    assert max(len(line) for line in text.splitlines()) <= 72
    html = msg.get_body(("html",)).get_content()
    table = html.split(">All actions</h3>")[1].split("</table>")[0]
    assert table.count("<th ") == 2, "action (RAG under it) | due: a third column squeezes titles on a phone"


def test_a_due_date_changed_in_the_config_leaves_the_new_action_notices_as_they_were(cli, config_dir):
    """Only an agreed extension's date makes an `assigned` notice a revised due date (as the email
    itself decided): editing timescales afterwards does not recount the notices already sent."""
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    for day in ("2010-02-08", "2010-02-10"):
        assert cli("run", "--once", "--now", f"{day}T09:00").exit_code == 0

    def counted() -> str:
        out = cli("summary", "--now", "2010-02-15T08:00", "--since", "2010-02-08").output
        return next(x for x in out.splitlines() if x.startswith("Notices sent"))

    before = counted()
    assert "new-action notices" in before and "revised due date" not in before
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    text = plan.read_text()
    assert "timescale_months: 3" in text
    plan.write_text(text.replace("timescale_months: 3", "timescale_months: 4").replace("timescale_months: 6",
                                                                                       "timescale_months: 7"))
    synced = cli("sync", "--now", "2010-02-12T08:00")
    assert synced.exit_code == 0, synced.output
    assert counted() == before
