"""The web app's setup and the house rules it keeps (issue 16, findings 7, 10 and 11): no weak or
example SECRET_KEY, typed text cleaned at the boundary, one clock, one operation per change, typed
states and one StageName for every stage string."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from scheduler.config.settings import EXAMPLE_SECRETS
from scheduler.config.text import strip_unsafe
from scheduler.store.stages import StageName
from scheduler.store.states import ActionStatus, ExtensionState
from tests import web_helpers
from tests.conftest import REPO
from tests.web_helpers import BASE, MANAGER, form_of, link

web = web_helpers.web  # the fixture
SCHEDULER = REPO / "scheduler"


def _shipped_secrets() -> set[str]:
    found = set()
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    for service in compose["services"].values():
        value = (service.get("environment") or {}).get("SECRET_KEY")
        if value:
            found |= set(re.findall(r":-([^}]+)\}", value)) or ({value} if "${" not in value else set())
    for line in (REPO / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s*SECRET_KEY=(\S+)", line)
        if match:
            found.add(match[1])
    return found


def test_compose_takes_its_key_from_env_and_every_shipped_example_key_is_known():
    compose = (REPO / "compose.yaml").read_text()
    assert "SECRET_KEY: ${SECRET_KEY:?" in compose and ":-" not in compose.split("SECRET_KEY:")[1].split("\n")[0]
    assert _shipped_secrets() <= EXAMPLE_SECRETS


@pytest.mark.parametrize("key", sorted(EXAMPLE_SECRETS) + ["sixteen-chars-ok", "x" * 31])
@pytest.mark.parametrize("command", [("web",), ("run", "--once", "--now", "2009-11-24T09:00")])
def test_web_and_run_refuse_a_short_or_example_secret_key(cli, env, monkeypatch, key, command):
    monkeypatch.setenv("BASE_URL", BASE)
    monkeypatch.setenv("SECRET_KEY", key)
    result = cli(*command)
    assert result.exit_code == 2
    assert "SECRET_KEY" in result.output and 'secrets.token_urlsafe(32)' in result.output
    assert key not in result.output, "never echo the secret"


def test_typed_text_loses_control_and_bidi_characters_at_the_boundary(smtp_env, web, cli):
    client, app, _ = web
    typed = "half \x1b[31mdone\x1b[0m\x00 \u202egnp.exe\u202c ok\x07"
    fields = form_of(client.get(link(app)).text, "progress")
    assert "Progress recorded" in client.post(link(app), data={**fields, "note": typed}).text
    fields = form_of(client.get(link(app)).text, "extend")
    client.post(link(app), data={**fields, "proposed_due": "2010-03-31", "reason": "late \u202ereversed\x1b[2J"})
    with app.session() as s:
        stored = [r[0] for r in s.execute(sa.text("SELECT note FROM action_event WHERE note IS NOT NULL"))]
        stored += [r[0] for r in s.execute(sa.text("SELECT reason FROM extension_request"))]
    assert "half [31mdone[0m gnp.exe ok" in stored and "late reversed[2J" in stored
    assert not [t for t in stored if re.search("[\x00-\x08\x0b-\x1f\u202a-\u202e]", t)]
    raw = b"".join(m for _, _, m in smtp_env.messages)
    assert b"\x1b" not in raw and "\u202e".encode() not in raw


def test_history_never_prints_escape_sequences_even_from_old_rows(web, cli):
    client, app, _ = web
    with app.session() as s:  # a note stored before cleaning existed
        s.execute(sa.text("INSERT INTO action_event (action_id, at, by, kind, note) SELECT id, :t, 'old', 'status', "
                          ":n FROM action WHERE ref = 'SG1'"), {"t": dt.datetime(2009, 11, 25), "n": "x\x1b]0;owned\x07y"})  # fmt: skip
        s.commit()
    out = cli("history", "SG1").output
    assert "\x1b" not in out and "\x07" not in out and "x]0;ownedy" in out


def test_strip_unsafe_keeps_text_and_line_breaks():
    assert strip_unsafe("Café – naïve\nline\ttab") == "Café – naïve\nline\ttab"
    assert strip_unsafe("a\u2066b\u2069c\u200fd\x7f\x9be") == "abcde"
    assert strip_unsafe("a\u200bb\ufeffc\x1b[2Jd") == "abc[2Jd"  # zero-width space, BOM, ESC


@pytest.mark.parametrize("text", ["assigned", "due", "before:14", "overdue:3", "escalation:2", "verify:1",
                                  "progress:2010-01-12:2", "report:2010-01-12", "summary:2010-03-01",
                                  "approval:7", "decision:7", "confirmed:42", "link:1"])  # fmt: skip
def test_every_stage_name_in_the_shared_vocabulary_round_trips(text):
    assert StageName.parse(text).format() == text == str(StageName.parse(text))


@pytest.mark.parametrize("text", ["overdue", "due:1", "before:x", "progress:2010-01-12", "report:12", "nope:1", ""])
def test_a_malformed_stage_name_is_refused_with_the_forms_named(text):
    with pytest.raises(ValueError, match="stage|takes"):
        StageName.parse(text)


def test_state_columns_read_back_as_their_enums(web):
    client, app, _ = web
    fields = form_of(client.get(link(app)).text, "extend")
    client.post(link(app), data={**fields, "proposed_due": "2010-03-31", "reason": "late"})
    from sqlmodel import select

    from scheduler.store.models import Action, ExtensionRequest

    with app.session() as s:
        action = s.exec(select(Action).where(Action.ref == "SG1")).one()
        req = s.exec(select(ExtensionRequest)).one()
    assert type(action.status) is ActionStatus and type(req.state) is ExtensionState
    assert req.approver == MANAGER


def _sources(folder: str):
    return {p: p.read_text() for p in (SCHEDULER / folder).rglob("*.py")}


def test_the_clock_is_the_only_reader_of_the_wall_clock():
    readers = [str(p.relative_to(REPO)) for p, text in _sources("").items()
               if re.search(r"datetime\.now\(|datetime\.utcnow\(|date\.today\(", text) and p.name != "clock.py"]  # fmt: skip
    assert readers == []
    web_tests = [p.name for p in Path(REPO / "tests").glob("test_web*.py")] + ["web_helpers.py"]
    assert not [n for n in web_tests if re.search(r"(?m)^\s*(from|import) freezegun", (REPO / "tests" / n).read_text())]


def test_web_handlers_write_no_rows_and_import_nothing_sideways():
    for path, text in _sources("web").items():
        assert not re.search(r"\b(session|s)\.(add|delete|execute)\(|ActionEvent\(|ExtensionRequest\(|Notice\(", text), path.name
        assert "scheduler.service" not in text, f"{path.name} imports the service layer sideways"
        assert "EmailMessage" not in text and "<html" not in text.lower(), f"{path.name} builds an email itself"


def test_stage_strings_are_parsed_only_by_stagename():
    parsers = [str(p.relative_to(REPO)) for p, text in _sources("").items()
               if re.search(r"stage\w*\.(split|partition)\(", text)]  # fmt: skip
    assert parsers == []


