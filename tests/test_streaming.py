"""Commands that print every action stream them: the output is what printing a whole list gave,
in the same order, on both databases."""

from __future__ import annotations

import json

import pytest

from scheduler.cli.tables import write_json
from tests.conftest import both_databases


@pytest.mark.parametrize("items", [[], [{"a": 1}], [{"a": 1, "b": [1, 2]}, {"c": {"d": None}}, {}]])
def test_streamed_json_is_the_text_of_the_whole_list(items, capsys):
    assert write_json(iter(items)) == len(items)
    assert capsys.readouterr().out == json.dumps(items, indent=2) + "\n"


@both_databases
def test_status_streams_in_python_order_on_both_databases(cli, config_dir):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    cli("complete", "SG2", "--note", "done", "--now", "2009-12-01T10:00")
    result = cli("status", "--json", "--now", "2010-03-01T10:00")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 12
    key = [(r["plan"], r["status"] == "withdrawn", r["due"], r["ref"]) for r in rows]
    assert key == sorted(key)
    assert [r["ref"] for r in rows][:3] == sorted(r["ref"] for r in rows if r["due"] == rows[0]["due"])[:3]
    csv_out = cli("status", "--format", "csv", "--now", "2010-03-01T10:00").output.splitlines()
    assert [line.split(",")[1] for line in csv_out[1:]] == [r["ref"] for r in rows]
