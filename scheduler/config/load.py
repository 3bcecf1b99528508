"""Read and validate the config folder: owners.yaml, policy.yaml, plans/*.yaml.

`load_config(directory)` returns a `Config` or raises `ConfigErrors` listing every
problem found (file, line, field path, bad value, hint). Nothing is written anywhere.
"""

from __future__ import annotations

from pathlib import Path

from scheduler.config.approvers import nobody_left
from scheduler.config.fields import Fields
from scheduler.config.files import fingerprint, plan_paths
from scheduler.config.hints import known, name_the_ref
from scheduler.config.limits import MAX_MONTHS, MAX_NAME, MAX_TITLE
from scheduler.config.model import (
    DEFAULT_POLICY,
    ActionConfig,
    Config,
    ConfigErrors,
    Owner,
    PlanConfig,
    Policy,
    Problem,
)
from scheduler.config.policy import check_policy
from scheduler.config.reviews import check_reviews
from scheduler.config.yamlload import YamlProblem, load_yaml

# What `reminders import` writes where an owner id is still to be chosen (validate refuses it).
PLACEHOLDER_OWNER = "to-assign"
OWNER_KEYS = {"id", "name", "email", "manager"}
PLAN_KEYS = {"id", "title", "report_date", "escalation_contact", "administrator", "summary_recipients", "policy",
             "actions", "reviews", "verification"}  # fmt: skip
ACTION_KEYS = {"ref", "title", "response", "area", "owner", "timescale_months", "due"}


def _read(path: Path, rel: str, problems: list[Problem], on_item=None, key=None):
    try:
        return load_yaml(path, on_item, key)
    except YamlProblem as exc:
        problems.append(Problem(rel, "", exc.message, exc.line, "fix the YAML syntax"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, "", f"cannot read file: {exc}", None))
    return None


def _load_owners(directory: Path, problems: list[Problem]) -> dict[str, Owner]:
    rel = "owners.yaml"
    path = directory / rel
    if not path.exists():
        problems.append(Problem(rel, "", "file not found", None, f"create {path} with an `owners:` list"))
        return {}
    f = Fields(rel, problems)
    seen = _Owners(f)
    doc = _read(path, rel, problems, seen.entry, "owners")  # an owner at a time (100,000 at 1M actions)
    if doc is None:
        return {}
    if not f.mapping(doc, "", {"owners"}, required={"owners"}):
        return {}
    items = f.seq(doc, "owners", "owners", non_empty=not seen.count)
    for i, item in enumerate(items or []):  # only when the list was not streamed (not a mapping on top)
        seen.entry(item, i, items.line_of(i))
    seen.check_managers()
    _check_cycles(rel, seen.owners, seen.lines, problems)
    return seen.owners


class _Owners:
    """Checks owners.yaml's entries as the parser completes each one."""

    def __init__(self, f: Fields):
        self.f, self.count = f, 0
        self.owners: dict[str, Owner] = {}
        self.lines: dict[str, int | None] = {}  # the line of each id
        self.managers: dict[str, tuple[int, int | None]] = {}  # id -> (index, line of its manager key)

    def entry(self, item, i: int, line) -> None:
        """Record one owner that has a valid id (an owner with a bad name or email still counts as
        known, so plans naming it get no cascade of "no such owner"; the config is rejected anyway)."""
        self.count += 1
        f, p = self.f, f"owners[{i}]"
        if not f.mapping(item, p, OWNER_KEYS, required={"id", "name", "email"}, line=line):
            return
        oid = f.slug(item, "id", p)
        name = f.text(item, "name", p, single_line=True, most=MAX_NAME)
        email = f.email(item, "email", p)
        manager = f.slug(item, "manager", p, required=False)
        if oid is None:
            return
        if oid in self.owners:
            f.error(item, "id", p, f"duplicate owner id {oid!r} (first on line {self.lines[oid]})",
                    "give each owner a unique id")  # fmt: skip
            return
        self.owners[oid] = Owner(oid, name or "", email or "", manager)
        self.lines[oid] = item.line_of("id")
        if manager is not None:
            self.managers[oid] = (i, item.line_of("manager"))

    def check_managers(self) -> None:
        for oid, (i, line) in self.managers.items():
            manager = self.owners[oid].manager
            if manager == oid:
                self.f.error_at(line, f"owners[{i}].manager", f"owner {oid!r} is their own manager",
                                "name a different owner, or leave manager out at the top of the chain")  # fmt: skip
            elif manager not in self.owners:
                self.f.error_at(line, f"owners[{i}].manager", f"no such owner {manager!r}", known(self.owners, manager))


def _check_cycles(rel: str, owners, lines, problems: list[Problem]) -> None:
    """Follow each manager chain; a chain that returns to its start is a cycle."""
    reported: set[frozenset] = set()
    for start in owners:
        seen, cur = [start], owners[start].manager
        while cur in owners and cur not in seen:
            seen.append(cur)
            cur = owners[cur].manager
        if cur == start and len(seen) > 1 and frozenset(seen) not in reported:
            reported.add(frozenset(seen))
            cycle = " -> ".join(seen + [start])
            problems.append(Problem(rel, f"owners[{list(owners).index(start)}].manager",
                                    f"manager chain is a cycle: {cycle}", lines[start],
                                    "the top of the chain must have no manager"))  # fmt: skip


def _load_policy_file(directory: Path, problems: list[Problem]) -> tuple[dict, dict | None]:
    """Return (defaults merged with policy.yaml, the parsed policy.yaml or None)."""
    rel = "policy.yaml"
    path = directory / rel
    if not path.exists():
        return dict(DEFAULT_POLICY), None
    doc = _read(path, rel, problems)
    merged = dict(DEFAULT_POLICY)
    if doc is not None and Fields(rel, problems).mapping(doc, "", set(DEFAULT_POLICY)):
        merged.update(doc)
        return merged, doc
    return merged, None


def _load_plan(path: Path, rel: str, owners, base_policy: dict, problems) -> PlanConfig | None:
    read_problems = len(problems)
    doc = _read(path, rel, problems)
    if len(problems) > read_problems:
        return None  # an empty file goes on: it is reported as "expected a mapping, got empty"
    f = Fields(rel, problems)
    if not f.mapping(doc, "", PLAN_KEYS, required={"id", "title", "report_date", "actions"}):
        return None
    before = len(problems)
    plan_id = f.slug(doc, "id", "")
    title = f.text(doc, "title", "", most=MAX_TITLE)
    report_date = f.date(doc, "report_date", "")
    contact = f.slug(doc, "escalation_contact", "", required=False)
    if contact is not None and contact not in owners:
        f.error(doc, "escalation_contact", "", f"no such owner {contact!r}", known(owners, contact))
    admin = f.slug(doc, "administrator", "", required=False)
    if admin is not None and admin not in owners:
        f.error(doc, "administrator", "", f"no such owner {admin!r}", known(owners, admin))
    recipients = f.summary_recipients(doc, owners)
    verification = f.verification(doc, admin or contact)
    policy_raw = dict(base_policy)
    if "policy" in doc and f.mapping(doc["policy"], "policy", set(DEFAULT_POLICY)):
        policy_raw.update(doc["policy"])
    # Keys the plan does not override were checked (and reported) with policy.yaml.
    policy = check_policy(policy_raw, f, "policy", doc.get("policy") or {}, owners)
    reviews = check_reviews(f, doc, report_date)
    actions = _load_actions(f, doc, owners, policy, contact, report_date, verification)
    if len(problems) > before or plan_id is None or policy is None:
        return None
    return PlanConfig(plan_id, title, report_date, policy, tuple(actions), contact, tuple(recipients), rel,
                      admin or contact, reviews, verification)  # fmt: skip


def _load_actions(f: Fields, doc, owners, policy, contact, report_date, verification) -> list[ActionConfig]:
    actions: list[ActionConfig] = []
    ref_lines: dict[str, int | None] = {}
    items = f.seq(doc, "actions", "actions", non_empty=True) or []
    for i, item in enumerate(items):
        since = len(f.problems)
        action = _load_action(f, item, f"actions[{i}]", items.line_of(i), owners, ref_lines, report_date)
        if action is not None:
            actions.append(action)
            if policy is not None:
                _check_escalation_targets(policy, owners, contact, f, item, f"actions[{i}]", action.owner)
            admin = doc.get("administrator") if isinstance(doc.get("administrator"), str) else None
            if problem := nobody_left(owners, action.owner, contact, admin or contact, verification):
                f.error(item, "owner", f"actions[{i}]", *problem)
        name_the_ref(f.problems, since, f"actions[{i}]", item)
    return actions


def _due_fields(f: Fields, item, p, report_date):
    """Return (timescale_months, explicit due) of an action; both None after an error."""
    has_t, has_d = "timescale_months" in item, "due" in item
    if has_t and has_d:
        f.error(item, "due", p, "both `timescale_months` and `due` are given",
                "keep one: `due` is an explicit date, `timescale_months` counts from report_date")  # fmt: skip
    elif not (has_t or has_d):
        f.error_at(item.line, p, "neither `timescale_months` nor `due` is given",
                   "add `timescale_months: 3` (months after report_date) or `due: YYYY-MM-DD`")  # fmt: skip
    elif has_t:
        return f.positive_int(item, "timescale_months", p, what="whole number of months", most=MAX_MONTHS), None
    else:
        due = f.date(item, "due", p)
        if due is not None and report_date is not None and due < report_date:
            f.error(item, "due", p, f"due date {due} is before the plan's report_date {report_date}",
                    "an action falls due after the report; check the year")  # fmt: skip
            return None, None
        return None, due
    return None, None


def _load_action(f: Fields, item, p, line, owners, ref_lines, report_date) -> ActionConfig | None:
        if not f.mapping(item, p, ACTION_KEYS, required={"ref", "title", "owner"}, line=line):
            return None
        ref = f.ref(item, "ref", p)
        a_title = f.text(item, "title", p, most=MAX_TITLE)
        response = f.text(item, "response", p, required=False)
        area = f.text(item, "area", p, required=False, single_line=True, most=MAX_NAME)
        owner = f.slug(item, "owner", p)
        if owner == PLACEHOLDER_OWNER:
            f.error(item, "owner", p, f"{ref or 'this action'} has no owner yet (the import placeholder "
                    f"{owner!r})", "set it to an owner id; " + known(owners))  # fmt: skip
            owner = None
        elif owner is not None and owner not in owners:
            f.error(item, "owner", p, f"no such owner {owner!r}", known(owners, owner))
            owner = None
        months, due = _due_fields(f, item, p, report_date)
        if ref is not None and ref in ref_lines:
            f.error(item, "ref", p, f"duplicate ref {ref!r} in this plan (first on line {ref_lines[ref]})",
                    "give each action in a plan a unique ref")  # fmt: skip
            return None
        if None in (ref, a_title, owner) or (months is None and due is None):
            return None
        ref_lines[ref] = item.line_of("ref")
        return ActionConfig(ref, a_title, owner, response, area, months, due, line)


def _check_escalation_targets(policy: Policy, owners, contact, f: Fields, item, p, owner_id):
    for n, level in enumerate(policy.escalations, start=1):
        if level.to == "manager" and owners[owner_id].manager is None:
            f.error(item, "owner", p,
                    f"escalation level {n} goes to the manager, but owner {owner_id!r} has no manager",
                    f"give {owner_id!r} a manager in owners.yaml, or change escalations[{n - 1}].to")  # fmt: skip
        elif level.to == "escalation_contact" and contact is None:
            f.error(item, "owner", p,
                    f"escalation level {n} goes to the escalation_contact, but the plan has none",
                    "add `escalation_contact: OWNER_ID` to the plan")  # fmt: skip
            return  # once per action is enough


def load_config(directory: Path | str, spill=None) -> Config:
    """Return the validated Config in `directory`, or raise ConfigErrors with every problem.

    Plans are read one file at a time; `spill(plan)`, when given, is called on each valid plan
    and returns the plan to keep (e.g. its actions written to a cache file, or only counted), so
    the memory a parse needs follows the largest plan, not the whole config."""
    directory = Path(directory)
    problems: list[Problem] = []
    if not directory.is_dir():
        raise ConfigErrors([Problem(str(directory), "", "config folder not found", None,
                                    "pass --config DIR or set REMINDERS_CONFIG_DIR (in the container: mount "
                                    "your config folder at /app/config, or set "
                                    "REMINDERS_CONFIG_DIR=/app/example-config to try the example plan)")])  # fmt: skip
    owners = _load_owners(directory, problems)
    base_policy, policy_doc = _load_policy_file(directory, problems)
    default_policy = check_policy(base_policy, Fields("policy.yaml", problems), "", policy_doc, owners)
    plan_files = plan_paths(directory)
    if not plan_files:
        problems.append(Problem("plans/", "", "no plan files found", None,
                                "add one plan per file as plans/NAME.yaml"))  # fmt: skip
    plans: dict[str, PlanConfig] = {}
    for path in plan_files:
        rel = f"plans/{path.name}"
        plan = _load_plan(path, rel, owners, base_policy, problems)
        if plan is None:
            continue
        if spill is not None:
            plan = spill(plan)
        if plan.id in plans:
            problems.append(Problem(rel, "id", f"duplicate plan id {plan.id!r} (also in "
                                    f"{plans[plan.id].source})", None, "give each plan a unique id"))  # fmt: skip
            continue
        plans[plan.id] = plan
    if problems or default_policy is None:
        raise ConfigErrors(problems)
    return Config(owners, plans, default_policy, str(directory), fingerprint(directory))
