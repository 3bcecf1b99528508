"""One test per validation error kind: exact message parts, exit code 2, database unchanged."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import snapshot

PLAN = "plans/ofsted-2009.yaml"


def edit(config_dir, rel, old, new, count=1):
    path = config_dir / rel
    text = path.read_text()
    assert old in text, f"test setup: {old!r} not in {rel}"
    path.write_text(text.replace(old, new, count))


def line_of(config_dir, rel, needle, nth=1):
    lines = (config_dir / rel).read_text().splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    return hits[nth - 1]


CASES = {
    # Inputs that crashed or were silently accepted before (the reliability issue's catalogue).
    "yaml_alias": (
        lambda c: edit(c, "owners.yaml", "  - id: executive-director", "  - &boss\n    id: executive-director", 1)
        or edit(c, "owners.yaml", "  - id: head-of-safeguarding", "  - *boss\n  - id: head-of-safeguarding"),
        lambda c: ["owners.yaml line", "YAML aliases (*name) are not allowed in config; write the value out"],
    ),
    "yaml_nested_too_deeply": (
        lambda c: (c / "policy.yaml").write_text("digest: " + "[" * 3000 + "]" * 3000 + "\n"),
        lambda c: ["policy.yaml line 1: not valid YAML: exceeded maximum nesting depth" if yaml.__with_libyaml__
                   else "policy.yaml: not valid config: nested too deeply"],  # fmt: skip
    ),
    "email_needs_smtputf8": (
        lambda c: edit(c, "owners.yaml", "email: pqa-manager@example.org", "email: josé@example.org"),
        lambda c: ["owners[5].email: invalid email address 'josé@example.org': Internationalized characters "
                   "before the @-sign are not supported"],  # fmt: skip
    ),
    "unknown_administrator": (
        lambda c: edit(c, PLAN, "administrator: pqa-manager", "administrator: pqa"),
        lambda c: [f"{PLAN} line {line_of(c, PLAN, 'administrator: pqa')}, administrator: no such owner 'pqa'"],
    ),
    "overdue_repeat_until_typo": (
        lambda c: edit(c, "policy.yaml", "overdue_repeat_until: final_escalation", "overdue_repeat_until: never"),
        lambda c: ["policy.yaml line 18, overdue_repeat_until: unknown value 'never'; use final_escalation"],
    ),
    "link_valid_days_zero": (
        lambda c: edit(c, "policy.yaml", "link_valid_days: 60", "link_valid_days: 0"),
        lambda c: ["policy.yaml line 19, link_valid_days: expected a whole number of days from 1 to 366, got 0"],
    ),
    "report_date_out_of_range": (
        lambda c: edit(c, PLAN, "report_date: 2009-11-24", "report_date: 1899-11-24"),
        lambda c: ["report_date: date 1899-11-24 is out of range; use a date between 1990-01-01 and 2100-12-31"],
    ),
    # Bounds: numbers and dates out of any sane range are errors, never a traceback later.
    "before_days_too_large": (
        lambda c: edit(c, "policy.yaml", "reminders_before_days: [28, 14, 7, 1]", "reminders_before_days: [100000]"),
        lambda c: ["policy.yaml line 6, reminders_before_days: expected a list of whole numbers of days from 1 "
                   "to 1095, got [100000]"],  # fmt: skip
    ),
    "escalation_days_too_large": (
        lambda c: edit(c, "policy.yaml", "after_days_overdue: 21", "after_days_overdue: 100000"),
        lambda c: ["policy.yaml line 12, escalations[1].after_days_overdue: expected a whole number of days "
                   "from 1 to 1095, got 100000"],  # fmt: skip
    ),
    "months_too_large": (
        lambda c: edit(c, PLAN, "timescale_months: 3", "timescale_months: 100000"),
        lambda c: ["actions[0] (SG1).timescale_months: expected a whole number of months from 1 to 60, got 100000"],
    ),
    "due_far_future": (
        lambda c: edit(c, PLAN, "    timescale_months: 3\n  - ref: SG2", "    due: 9999-12-31\n  - ref: SG2"),
        lambda c: [f"{PLAN} line {line_of(c, PLAN, 'due: 9999-12-31')}, actions[0] (SG1).due: date 9999-12-31 is out "
                   "of range; use a date between 1990-01-01 and 2100-12-31"],  # fmt: skip
    ),
    "due_year_one": (
        lambda c: edit(c, PLAN, "    timescale_months: 3\n  - ref: SG2", "    due: 0001-01-01\n  - ref: SG2"),
        lambda c: ["actions[0] (SG1).due: date 0001-01-01 is out of range"],
    ),
    "due_before_report": (
        lambda c: edit(c, PLAN, "    timescale_months: 3\n  - ref: SG2", "    due: 2008-02-24\n  - ref: SG2"),
        lambda c: [f"{PLAN} line {line_of(c, PLAN, 'due: 2008-02-24')}, actions[0] (SG1).due: due date 2008-02-24 is "
                   "before the plan's report_date 2009-11-24; an action falls due after the report"],  # fmt: skip
    ),
    "working_day_typo": (
        lambda c: edit(c, "policy.yaml", "working_days: [mon, tue, wed, thu, fri]", "working_days: [monkey, tue]"),
        lambda c: ["policy.yaml line 4, working_days: expected a list of weekdays, got ['monkey', 'tue']"],
    ),
    "empty_plan_file": (
        lambda c: (c / PLAN).write_text(""),
        lambda c: [f"{PLAN}, (top level): expected a mapping of keys, got empty"],
    ),
    "unknown_owner": (
        lambda c: edit(c, PLAN, "owner: contact-centre-manager", "owner: hos"),
        lambda c: [
            f"{PLAN} line {line_of(c, PLAN, 'owner: hos')}, actions[0] (SG1).owner: no such owner "
            "'hos'; known: area-services-manager, contact-centre-manager"
        ],  # fmt: skip
    ),
    "unknown_manager": (
        lambda c: edit(c, "owners.yaml", "manager: lscb-chair", "manager: lscb-chiar"),
        lambda c: [
            f"owners.yaml line {line_of(c, 'owners.yaml', 'lscb-chiar')}, owners[7].manager: "
            "no such owner 'lscb-chiar'; did you mean 'lscb-chair'? known: "
        ],  # fmt: skip
    ),
    "duplicate_owner": (
        lambda c: edit(c, "owners.yaml", "id: virtual-school-head", "id: iro-service-manager"),
        lambda c: [
            f"owners.yaml line {line_of(c, 'owners.yaml', 'id: iro-service-manager', 2)}, "
            "owners[10].id: duplicate owner id 'iro-service-manager' (first on line "
            f"{line_of(c, 'owners.yaml', 'id: iro-service-manager')})"
        ],  # fmt: skip
    ),
    "duplicate_ref": (
        lambda c: edit(c, PLAN, "ref: SG2", "ref: SG1"),
        lambda c: [
            f"{PLAN} line {line_of(c, PLAN, 'ref: SG1', 2)}, actions[1] (SG1).ref: duplicate ref "
            f"'SG1' in this plan (first on line {line_of(c, PLAN, 'ref: SG1')})"
        ],  # fmt: skip
    ),
    "manager_cycle": (
        lambda c: edit(
            c,
            "owners.yaml",
            "email: executive-director@example.org",
            "email: executive-director@example.org\n    manager: pqa-manager",
        ),  # fmt: skip
        lambda c: [
            "owners[0].manager: manager chain is a cycle: executive-director -> pqa-manager "
            "-> head-of-safeguarding -> executive-director; the top of the chain must have "
            "no manager"
        ],  # fmt: skip
    ),
    "invalid_email": (
        lambda c: edit(c, "owners.yaml", "email: pqa-manager@example.org", "email: pqa-manager.example.org"),
        lambda c: [
            f"owners.yaml line {line_of(c, 'owners.yaml', 'pqa-manager.example.org')}, "
            "owners[5].email: invalid email address 'pqa-manager.example.org'",
            "write it as name@example.org",
        ],  # fmt: skip
    ),
    "bad_report_date": (
        lambda c: edit(c, PLAN, "report_date: 2009-11-24", "report_date: 2009-11-31"),
        lambda c: [
            f"{PLAN} line {line_of(c, PLAN, 'report_date')}, report_date: not a valid date: "
            "'2009-11-31'; write it as YYYY-MM-DD, e.g. 2009-11-24"
        ],  # fmt: skip
    ),
    "bad_due": (
        lambda c: edit(c, PLAN, "    timescale_months: 3\n  - ref: SG2", "    due: 24/02/2010\n  - ref: SG2"),
        lambda c: [
            f"{PLAN} line {line_of(c, PLAN, 'due: 24/02/2010')}, actions[0] (SG1).due: not a valid "
            "date: '24/02/2010'"
        ],  # fmt: skip
    ),
    "timescale_not_positive": (
        lambda c: edit(c, PLAN, "timescale_months: 3", "timescale_months: 0"),
        lambda c: [
            f"{PLAN} line {line_of(c, PLAN, 'timescale_months: 0')}, actions[0] (SG1).timescale_months: "
            "expected a whole number of months from 1 to 60, got 0"
        ],  # fmt: skip
    ),
    "timescale_not_whole": (
        lambda c: edit(c, PLAN, "timescale_months: 3", "timescale_months: 2.5"),
        lambda c: ["actions[0] (SG1).timescale_months: expected a whole number of months from 1 to 60, got 2.5"],
    ),
    "both_timescale_and_due": (
        lambda c: edit(c, PLAN, "timescale_months: 3", "timescale_months: 3\n    due: 2010-03-01"),
        lambda c: [
            f"{PLAN} line {line_of(c, PLAN, 'due: 2010-03-01')}, actions[0] (SG1).due: both "
            "`timescale_months` and `due` are given"
        ],  # fmt: skip
    ),
    "neither_timescale_nor_due": (
        lambda c: edit(c, PLAN, "    timescale_months: 3\n", "", 1),
        lambda c: [
            f"{PLAN} line {line_of(c, PLAN, 'ref: SG1')}, actions[0] (SG1): neither `timescale_months` "
            "nor `due` is given; add `timescale_months: 3`"
        ],  # fmt: skip
    ),
    "unknown_timezone": (
        lambda c: edit(c, "policy.yaml", "timezone: Europe/London", "timezone: Europe/Londn"),
        lambda c: [
            f"policy.yaml line {line_of(c, 'policy.yaml', 'Londn')}, timezone: unknown timezone "
            "'Europe/Londn'; use an IANA name such as Europe/London"
        ],  # fmt: skip
    ),
    "unknown_holidays": (
        lambda c: edit(c, "policy.yaml", "holidays: GB-ENG", "holidays: GB-XX"),
        lambda c: [
            f"policy.yaml line {line_of(c, 'policy.yaml', 'GB-XX')}, holidays: unknown holiday "
            "calendar 'GB-XX'"
        ],  # fmt: skip
    ),
    "unknown_key": (
        lambda c: edit(
            c, PLAN, "    area: Safeguarding\n", "    area: Safeguarding\n    priority: high\n", 1
        ),
        lambda c: [
            f"{PLAN} line {line_of(c, PLAN, 'priority: high')}, actions[0] (SG1).priority: unknown key "
            "'priority'; allowed keys: area, due, owner, ref, response, timescale_months, title"
        ],  # fmt: skip
    ),
    "escalation_unresolvable": (
        lambda c: edit(c, PLAN, "owner: head-of-looked-after-children", "owner: executive-director"),
        lambda c: [
            f"{PLAN} line {line_of(c, PLAN, 'owner: executive-director')}, actions[9] (LAC3).owner: "
            "escalation level 1 goes to the manager, but owner 'executive-director' has no "
            "manager; give 'executive-director' a manager in owners.yaml, or change "
            "escalations[0].to"
        ],  # fmt: skip
    ),
    "escalation_contact_missing": (
        lambda c: edit(c, PLAN, "escalation_contact: executive-director\n", ""),
        lambda c: [
            "actions[0] (SG1).owner: escalation level 2 goes to the escalation_contact, but the plan "
            "has none; add `escalation_contact: OWNER_ID` to the plan"
        ],  # fmt: skip
    ),
    "send_time_unquoted": (
        lambda c: edit(c, "policy.yaml", 'send_time: "09:00"', "send_time: 9:00"),
        lambda c: ['send_time: YAML read this time as the number 540; quote it: "09:00"'],
    ),
    "yaml_syntax": (
        lambda c: edit(c, "owners.yaml", "  - id: lscb-chair", "  - id: [lscb-chair"),
        lambda c: ["owners.yaml line", "not valid YAML", "fix the YAML syntax"],
    ),
    # Dates only as dates, free text within bounds (the delivery issue's catalogue).
    "report_date_as_a_number": (
        lambda c: edit(c, PLAN, "report_date: 2009-11-24", "report_date: 20091124"),
        lambda c: [f"{PLAN} line 6, report_date: not a valid date: 20091124; write it as YYYY-MM-DD"],
    ),
    "owner_name_too_long": (
        lambda c: edit(c, "owners.yaml", "name: Head of Safeguarding", "name: " + "N" * 200_000),
        lambda c: ["owners.yaml line 8, owners[1].name: too long: 200000 characters ('NNNN",
                   "shorten it to at most 200 characters"],  # fmt: skip
    ),
    "action_title_too_long": (
        lambda c: edit(c, PLAN, "title: >-\n      Ensure", "title: >-\n      " + "T" * 1_000_000 + " Ensure"),
        lambda c: ["line 14, actions[0] (SG1).title: too long: 1000105 characters", "shorten it to at most 500 characters"],
    ),
    # Invisible formatting and terminal escapes (bidi overrides, isolates, zero-width marks, BOM, ESC):
    # they make a name or title read differently from what it says, in a page, an email or a terminal.
    "owner_name_with_escape": (
        lambda c: edit(c, "owners.yaml", "name: Head of Safeguarding", 'name: "Head of \\e[31mSafeguarding"'),
        lambda c: ["owners.yaml line 8, owners[1].name: contains invisible or control characters (U+001B): "
                   "'Head of \\x1b[31mSafeguarding'", "remove them"],  # fmt: skip
    ),
    "plan_title_with_bidi_isolate": (
        lambda c: edit(c, PLAN, "title: Ofsted inspection", "title: \u2066Ofsted inspection"),
        lambda c: [f"{PLAN} line 5, title: contains invisible or control characters (U+2066): "
                   "'\\u2066Ofsted inspection of safeguarding", "remove them"],  # fmt: skip
    ),
    "action_title_with_bidi_override": (
        lambda c: edit(c, PLAN, "title: >-\n      Ensure", "title: >-\n      \u202eEnsure"),
        lambda c: ["line 14, actions[0] (SG1).title: contains invisible or control characters (U+202E): "
                   "'\\u202eEnsure that new referrals", "remove them"],  # fmt: skip
    ),
    "area_with_zero_width_space": (
        lambda c: edit(c, PLAN, "area: Safeguarding", "area: Safe\u200bguarding"),
        lambda c: ["line 13, actions[0] (SG1).area: contains invisible or control characters (U+200B): "
                   "'Safe\\u200bguarding'", "remove them"],  # fmt: skip
    ),
    "response_with_byte_order_mark_and_mark": (
        lambda c: edit(c, PLAN, "All referrals awaiting", "All\ufeff referrals\u200f awaiting"),
        lambda c: ["actions[0] (SG1).response: contains invisible or control characters (U+200F, U+FEFF): "
                   "'All\\ufeff referrals\\u200f awaiting", "remove them"],  # fmt: skip
    ),
    "ref_too_long": (
        lambda c: edit(c, PLAN, "ref: SG1", "ref: SG" + "1" * 150),
        lambda c: ["actions[0].ref: not a valid ref: 'SG111", "at most 100"],
    ),
}


@pytest.fixture
def synced(cli, db_url):
    result = cli("sync", "--now", "2009-11-24T08:00")
    assert result.exit_code == 0, result.output
    return snapshot(db_url)


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_error_is_reported_and_changes_nothing(case, cli, config_dir, db_url, synced):
    mutate, expected = CASES[case]
    mutate(config_dir)
    result = cli("sync", "--now", "2010-01-04T10:00")
    assert result.exit_code == 2, result.output
    for part in expected(config_dir):
        assert part in result.output, f"missing {part!r} in:\n{result.output}"
    assert "nothing was changed" in result.output
    assert snapshot(db_url) == synced
    validate = cli("validate")
    assert validate.exit_code == 2
    assert all(part in validate.output for part in expected(config_dir))


def test_every_error_is_reported_at_once(cli, config_dir):
    for case in ("unknown_owner", "invalid_email", "unknown_timezone", "bad_report_date"):
        CASES[case][0](config_dir)
    result = cli("validate")
    assert result.exit_code == 2
    assert re.search(r"config has 4 errors:", result.output), result.output
    for case in ("unknown_owner", "invalid_email", "unknown_timezone", "bad_report_date"):
        for part in CASES[case][1](config_dir):
            assert part in result.output


def test_per_plan_policy_override_is_validated(cli, config_dir):
    edit(config_dir, PLAN, "actions:\n", 'policy:\n  send_time: "25:00"\n  colour: red\nactions:\n')
    result = cli("validate")
    assert result.exit_code == 2
    line = line_of(config_dir, PLAN, 'send_time: "25:00"')
    assert f"{PLAN} line {line}, policy.send_time: not a time of day: '25:00'" in result.output
    assert f"{PLAN} line {line + 1}, policy.colour: unknown key 'colour'" in result.output


def test_shipped_config_is_valid(cli):
    result = cli("validate")
    assert result.exit_code == 0, result.output
    assert "config OK: 11 owners, 1 plan(s), 12 actions" in result.output
