"""The validated-config cache: unchanged files are not parsed again; any change, an error, a
damaged or foreign cache file all fall back to parsing (config/cache.py)."""

from __future__ import annotations

import os
import pickle

import pytest

from scheduler.config.cache import LazyActions, load_cached
from scheduler.config.load import load_config
from scheduler.config.model import ConfigErrors


@pytest.fixture
def parses():
    calls = []

    def parse(directory, **kw):
        calls.append(directory)
        return load_config(directory, **kw)

    return calls, parse


def test_unchanged_files_come_from_the_cache_and_equal_a_fresh_parse(config_dir, tmp_path, parses):
    calls, parse = parses
    first = load_cached(config_dir, tmp_path / "cache", parse)
    again = load_cached(config_dir, tmp_path / "cache", parse)
    assert len(calls) == 1
    assert isinstance(again.plans["ofsted-2009"].actions, LazyActions)
    assert again == first == load_config(config_dir)  # actions included, read on first use
    assert [a.ref for a in again.plans["ofsted-2009"].actions][:2] == ["SG1", "SG2"]
    assert again.plans["ofsted-2009"].action("LAC5").owner == first.plans["ofsted-2009"].action("LAC5").owner
    assert len(list((tmp_path / "cache").glob("config-*.pickle"))) == 1


def test_an_edit_is_parsed_and_replaces_the_old_entry(config_dir, tmp_path, parses):
    calls, parse = parses
    load_cached(config_dir, tmp_path / "cache", parse)
    plan = next((config_dir / "plans").glob("*.yaml"))
    plan.write_text(plan.read_text().replace("Ensure", "Make sure", 1))
    edited = load_cached(config_dir, tmp_path / "cache", parse)
    assert len(calls) == 2 and edited == load_config(config_dir)
    assert len(list((tmp_path / "cache").glob("config-*.pickle"))) == 1


def test_a_config_with_errors_is_never_cached_and_its_errors_are_reported(config_dir, tmp_path, parses):
    calls, parse = parses
    (config_dir / "owners.yaml").write_text("owners: [\n")
    for _ in range(2):
        with pytest.raises(ConfigErrors, match="owners.yaml"):
            load_cached(config_dir, tmp_path / "cache", parse)
    assert len(calls) == 2 and not list((tmp_path / "cache").glob("config-*.pickle"))


def test_a_damaged_or_writable_by_others_cache_file_is_not_read(config_dir, tmp_path, parses):
    calls, parse = parses
    load_cached(config_dir, tmp_path / "cache", parse)
    (entry,) = (tmp_path / "cache").glob("config-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert load_cached(config_dir, tmp_path / "cache", parse) == load_config(config_dir)
    assert len(calls) == 2  # parsed again, and the entry rewritten
    os.chmod(entry, 0o666)  # anyone could have written it: never unpickled
    entry.write_bytes(pickle.dumps("a pickle someone else planted"))
    assert load_cached(config_dir, tmp_path / "cache", parse) == load_config(config_dir)
    assert len(calls) == 3


def test_a_cache_folder_that_cannot_be_written_only_costs_the_parse(config_dir, tmp_path, parses):
    calls, parse = parses
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    assert load_cached(config_dir, blocked, parse) == load_config(config_dir)
    assert load_cached(config_dir, blocked, parse) == load_config(config_dir)
    assert len(calls) == 2


def test_run_and_sync_use_the_cache_and_validate_parses_afresh(cli, env, tmp_path, monkeypatch):
    from scheduler.config import load

    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    assert list((tmp_path / "data" / "cache").glob("config-*.pickle"))  # beside the SQLite file

    def no_parse(directory, spill=None):
        raise AssertionError("parsed although the files did not change")

    monkeypatch.setattr(load, "load_config", no_parse)
    result = cli("run", "--once", "--now", "2009-11-24T09:00+00:00")
    assert result.exit_code == 0 and "12 notice(s) sent" in result.output
    checked = cli("validate")  # the admin asked for a check: always a fresh parse
    assert checked.exit_code != 0 and "parsed although" in checked.output


def test_cached_actions_are_read_on_first_use_even_after_the_entry_is_replaced(config_dir, tmp_path, parses):
    calls, parse = parses
    load_cached(config_dir, tmp_path / "cache", parse)
    cached = load_cached(config_dir, tmp_path / "cache", parse)
    plan = cached.plans["ofsted-2009"]
    assert "items" not in vars(plan.actions)  # nothing unpickled yet: an offset into the file
    owners = config_dir / "owners.yaml"  # an edit: a new entry replaces the old file
    owners.write_text(owners.read_text() + "\n# edited\n")
    load_cached(config_dir, tmp_path / "cache", parse)
    assert len(calls) == 2 and len(list((tmp_path / "cache").glob("config-*.pickle"))) == 1
    assert tuple(plan.actions) == load_config(config_dir).plans["ofsted-2009"].actions  # read from the open file


def test_a_pass_over_every_plan_does_not_keep_the_actions_in_memory(config_dir, tmp_path, parses):
    """sync and check_withdrawals iterate every plan's actions once: at a million actions, keeping
    what they read would hold them all. Iterating and counting leave the plan as an offset."""
    _, parse = parses
    first = load_cached(config_dir, tmp_path / "cache", parse)  # a parse that spilled into the cache
    for config in (first, load_cached(config_dir, tmp_path / "cache", parse)):
        actions = config.plans["ofsted-2009"].actions
        assert isinstance(actions, LazyActions) and len(actions) == 12
        assert [a.ref for a in actions][:2] == ["SG1", "SG2"]
        assert "items" not in vars(actions)
    assert first == load_config(config_dir)
