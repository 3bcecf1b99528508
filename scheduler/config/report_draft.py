"""Write the draft plan file (YAML) for the recommendations found in a report."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import yaml

from scheduler.config.report_parse import PLACEHOLDER_OWNER, Found


def counts_line(found: Found) -> str:
    """Return e.g. '12 recommendations; within 3 months: 5, within 6 months: 7; Safeguarding: 7, ...'."""
    scales = Counter(r.timescale.label for r in found.items)
    areas = Counter(r.area or "(no area)" for r in found.items)
    return (f"{len(found.items)} recommendation{'s' if len(found.items) != 1 else ''}; "
            + ", ".join(f"{k}: {n}" for k, n in scales.items()) + "; "
            + ", ".join(f"{k}: {n}" for k, n in areas.items()))  # fmt: skip


def draft_yaml(found: Found, plan_id: str, report_date: dt.date, title: str, owner: str | None,
               source: str, sha256: str) -> str:  # fmt: skip
    """Return the text of a plan file: a comment naming the source and what was found, then the plan."""
    actions = []
    for r in found.items:
        action = {"ref": r.ref}
        if r.area:
            action["area"] = r.area
        action["title"] = r.title
        if r.response:
            action["response"] = r.response
        action["owner"] = owner or PLACEHOLDER_OWNER
        if r.timescale.months is not None:
            action["timescale_months"] = r.timescale.months
        else:
            action["due"] = r.timescale.due
        actions.append(action)
    plan = {"id": plan_id, "title": title, "report_date": report_date, "actions": actions}
    head = [
        f"# Draft plan made by `reminders import` from {source}",
        f"# sha256 {sha256}",
        f"# found: {counts_line(found)}",
    ]
    if not owner:
        head.append(f"# Next: replace each `owner: {PLACEHOLDER_OWNER}` with an owner id from owners.yaml, "
                    "then run `reminders validate`.")  # fmt: skip
    body = yaml.safe_dump(plan, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return "\n".join(head) + "\n" + body
