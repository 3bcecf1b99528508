"""Forecast and simulate with plans in different timezones (PRODUCT.md §3, §5): an action the
database has not seen counts as assigned on `--from` in its own plan's zone, so on `--from` its
`assigned` notice wins over a reminder that fell due the day before; nothing is dated before
`--from`, whichever plan's send time comes first in UTC."""

from __future__ import annotations

import json

import pytest

SYDNEY_PLAN = """\
id: sydney-2010
title: A plan run from Sydney
report_date: 2009-11-24
escalation_contact: executive-director
administrator: pqa-manager
policy:
  timezone: Australia/Sydney
  holidays: none
actions:
  - ref: S1
    title: An action of the Sydney plan
    owner: contact-centre-manager
    due: 2010-06-30
"""


@pytest.fixture
def two_zones(config_dir):
    (config_dir / "plans" / "sydney-2010.yaml").write_text(SYDNEY_PLAN)
    return config_dir


def test_forecast_with_london_and_sydney_plans_starts_on_from_in_each_plans_zone(cli, two_zones):
    # SG1..SG3 (London) are due Wed 24 Feb 2010: before:28 falls on Wed 27 Jan, the day before --from.
    # Sydney's 09:00 on 28 Jan is 22:00 on 27 Jan in London: the London plan must not run then.
    result = cli("forecast", "--from", "2010-01-28", "--to", "2010-01-29", "--json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert entries, "both plans' new actions get their assigned notice on --from"
    assert min(e["date"] for e in entries) == "2010-01-28"
    london = {e["ref"]: e for e in entries if e["plan"] == "ofsted-2009" and e["ref"] in ("SG1", "SG2", "SG3")}
    assert {r: (e["stage"], e["date"]) for r, e in london.items()} == {
        r: ("assigned", "2010-01-28") for r in ("SG1", "SG2", "SG3")
    }
    assert not [e for e in entries if e["stage"] == "before:28"]
    sydney = [e for e in entries if e["plan"] == "sydney-2010"]
    assert [(e["ref"], e["stage"], e["date"]) for e in sydney] == [("S1", "assigned", "2010-01-28")]


def test_simulate_with_london_and_sydney_plans_agrees_with_forecast(cli, two_zones, tmp_path):
    forecast = json.loads(cli("forecast", "--from", "2010-01-28", "--to", "2010-02-03", "--json").output)
    result = cli("simulate", "--from", "2010-01-28", "--to", "2010-02-03", "--outbox", str(tmp_path / "sim"))
    assert result.exit_code == 0, result.output
    sent = [line.split() for line in result.output.splitlines() if line.endswith(" sent")]
    # "Thu 28 Jan 2010  ofsted-2009/SG1    assigned  -> contact-centre-manager@example.org  sent"
    got = sorted((" ".join(p[:4]), p[4], p[5]) for p in sent)
    want = sorted((_day(e["date"]), f"{e['plan']}/{e['ref']}", e["stage"]) for e in forecast)
    assert got == want
    assert not [g for g in got if g[2] == "before:28" and g[1].startswith("ofsted-2009/SG")]
    assert "Wed 27 Jan 2010" not in result.output


def _day(iso: str) -> str:
    import datetime as dt

    from scheduler.config.humandates import shortdate

    return shortdate(dt.date.fromisoformat(iso))
