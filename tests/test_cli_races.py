"""An admin's CLI change racing an owner's or approver's web change to the same action (issue 16c).

The web's POSTs lock the action's row before they check anything (`operations.lock_action`: FOR
UPDATE on PostgreSQL); `set-status` and `extend` did not, so on PostgreSQL (read committed) a CLI
change and a web change could both pass their checks and both write: two completions recorded, two
revisions both starting from the same due date. Each test makes both sides enter the check before
either writes (a rendezvous, as in test_web_attack), so it fails every time the CLI does not lock.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from scheduler.store import operations, verification
from tests import web_helpers
from tests.conftest import both_databases
from tests.test_web_attack import _ask, _rendezvous, _rows
from tests.web_helpers import MANAGER, form_of, link, status_of

web = web_helpers.web  # the fixture
NOW = "2009-11-24T10:00"  # the web app's clock (web_helpers.START)


def _with_web_post(client, path, data, cli_args, cli):
    """POST to the web app in a thread while the CLI runs here; return (response, CLI result)."""
    with ThreadPoolExecutor(1) as pool:
        posted = pool.submit(client.post, path, data=data)
        result = cli(*cli_args)
        return posted.result(), result


@both_databases
def test_a_cli_completion_racing_a_web_completion_is_recorded_once(web, cli, monkeypatch):
    # Both are an owner's completion (issue 17: it awaits verification); both pass their checks
    # before `attach` writes anything unless the CLI locks the row as the web does.
    client, app, _ = web
    tab = form_of(client.get(link(app)).text, "complete")
    _rendezvous(monkeypatch, verification, "attach", timeout=3.0)
    page, result = _with_web_post(client, link(app), {**tab, "note": "done on the web"},
                                  ("set-status", "SG1", "awaiting_verification", "--note", "done by admin",
                                   "--now", NOW), cli)  # fmt: skip
    assert status_of(app) == "awaiting_verification"
    events = _rows(app, "SELECT note FROM action_event WHERE kind = 'status' AND to_value = 'awaiting_verification'")
    assert len(events) == 1, events
    # the one that came second saw the first: the CLI is refused, or the web page is
    assert (result.exit_code == 2 and "already awaiting verification" in result.output) or (
        result.exit_code == 0 and page.status_code == 400), (page.status_code, result.output)


@both_databases
def test_a_cli_extension_racing_a_web_approval_moves_the_due_date_once(web, cli, monkeypatch):
    client, app, _ = web
    approve = link(app, "approve", _ask(client, app), MANAGER)  # the owner asks for 2010-03-31
    tab = form_of(client.get(approve).text, "*")
    _rendezvous(monkeypatch, operations, "extend", timeout=3.0)
    page, result = _with_web_post(client, approve, {**tab, "decision": "approve"},
                                  ("extend", "SG1", "--to", "2010-03-31", "--reason", "agreed by phone",
                                   "--approved-by", "head-of-safeguarding", "--now", NOW), cli)  # fmt: skip
    revisions = _rows(app, "SELECT previous_due, revised_due FROM due_revision ORDER BY id")
    assert len(revisions) == 1, (revisions, page.status_code, result.output)
    # the second saw the first: the CLI is refused (already the due date) or the request lapsed
    assert (result.exit_code == 2 and "already the due date" in result.output) or (
        result.exit_code == 0 and "the due date has changed since" in page.text), (page.text[-400:], result.output)
