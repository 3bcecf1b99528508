"""Write the draft plan file (plain YAML with commented placeholders) and say how sure the import is.

`draft_yaml(...)` returns the file's text: no YAML anchors or aliases (validate refuses them), a
`to-assign` placeholder with a comment for every owner, the escalation contact, the administrator
and the summary recipients. `counts_line(found)` says what was found per group; `doubts(found)`
lists what makes a draft untrustworthy (fewer recommendations than the text mentions, two items
run together into one title).
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections import Counter
from dataclasses import dataclass

import yaml

from scheduler.config.load import PLACEHOLDER_OWNER
from scheduler.importer.parse import Found, Recommendation

LONG_TITLE = 400


class _PlainDumper(yaml.SafeDumper):
    """Writes every value in full: a date used twice is not an anchor and an alias."""

    def ignore_aliases(self, data):
        return True


@dataclass(frozen=True)
class Draft:
    plan_id: str
    report_date: dt.date
    title: str
    source: str
    sha256: str
    owner: str | None = None  # --owner: every action's owner


def counts_line(found: Found) -> str:
    """Return e.g. '12 recommendations: Safeguarding within 3 months 3, within 6 months 4; ...'."""
    n = len(found.items)
    groups: dict[str, Counter] = {}
    for r in found.items:
        groups.setdefault(r.area or "(no area)", Counter())[r.timescale.label] += 1
    per = "; ".join(f"{area} " + ", ".join(f"{label} {k}" for label, k in c.items()) for area, c in groups.items())
    skipped = len(found.skipped)
    looked = "a recommendation" if skipped == 1 else "recommendations"
    return f"{n} recommendation{'s' if n != 1 else ''}: {per}; skipped {skipped} that looked like {looked}"


def doubts(found: Found) -> list[str]:
    """Return the reasons not to trust the draft as it is (empty when there are none)."""
    out = []
    areas = {r.area for r in found.items} | {a for a, _, _ in found.mentions}
    for area in areas:
        said = [(n, where) for a, n, where in found.mentions if a == area]
        drafted = sum(1 for r in found.items if r.area == area or area is None)
        if said and max(said)[0] > drafted:
            n, where = max(said)
            group = f"in {area}" if area else "in all"
            out.append(f"the text ({where}) mentions {n} recommendations {group}, but {drafted} were drafted; "
                       "check the report's layout against the draft")  # fmt: skip
    for r in found.items:
        if len(r.title) > LONG_TITLE:
            out.append(f"{r.ref} ({r.where}): its title is {len(r.title)} characters long, two recommendations "
                       f"may have run together: {r.title[:80]!r}...")  # fmt: skip
    return out


def draft_yaml(found: Found, draft: Draft, owners: dict[str, tuple[str, str]]) -> str:
    """Return the text of a plan file: comments naming the source and what was found, then the plan."""
    head = [f"# Draft plan made by `reminders import` from {draft.source}", f"# sha256 {draft.sha256}",
            f"# found: {counts_line(found)}"]  # fmt: skip
    head += [f"# skipped ({where}): {text[:90]!r}: {why}" for where, text, why in found.skipped]
    head.append(f"# Next: replace every `{PLACEHOLDER_OWNER}` with an owner id from owners.yaml, then run "
                "`reminders validate`.")  # fmt: skip
    known = ", ".join(list(owners)[:40]) + (", ..." if len(owners) > 40 else "")
    head += textwrap.wrap(f"owner ids: {known}", 98, initial_indent="# ", subsequent_indent="#   ",
                          break_on_hyphens=False) if owners else []  # fmt: skip
    plan = {"id": draft.plan_id, "title": draft.title, "report_date": draft.report_date}
    body = [_dump(plan),
            f"escalation_contact: {PLACEHOLDER_OWNER}  # the owner overdue actions escalate to in the end",
            f"administrator: {PLACEHOLDER_OWNER}  # verifies completions; named in every email, its Reply-To",
            f"summary_recipients: [{PLACEHOLDER_OWNER}]  # owner ids (or emails) who get the weekly summary",
            "actions:"]  # fmt: skip
    body += [_action(r, draft.owner, owners) for r in found.items]
    return "\n".join(head + body) + "\n"


def _dump(data) -> str:
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False).rstrip("\n")  # fmt: skip


def _action(r: Recommendation, owner: str | None, owners: dict[str, tuple[str, str]]) -> str:
    """Return one action as YAML list-item lines, its placeholder owner with a comment."""
    matched = owner or match_owner(r.lead, owners)
    action: dict = {"ref": r.ref}
    if r.area:
        action["area"] = r.area
    action["title"] = r.title
    if r.response:
        action["response"] = r.response
    action["owner"] = matched or PLACEHOLDER_OWNER
    if r.timescale.months is not None:
        action["timescale_months"] = r.timescale.months
    else:
        action["due"] = r.timescale.due
    text = _dump([action])
    if matched:
        return text
    if r.lead:
        where = "not found in owners.yaml" if owners else "no owners.yaml was read to match it (see --config)"
        note = f"lead officer in the source: {r.lead!r}, {where}"
    else:
        note = "who owns this action? an owner id from owners.yaml"
    return re.sub(rf"(?m)^  owner: {PLACEHOLDER_OWNER}$", f"  owner: {PLACEHOLDER_OWNER}  # {note}", text, count=1)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9@.+]+", " ", text.lower()).strip()


def match_owner(lead: str, owners: dict[str, tuple[str, str]]) -> str | None:
    """Return the id of the owner whose id, name or email is the lead officer (or a part of it), else None."""
    if not lead:
        return None
    parts = [lead] + re.split(r"[,;/()]| - ", lead)
    wanted = {_norm(p) for p in parts if _norm(p)}
    for owner_id, (name, email) in owners.items():
        if wanted & {_norm(owner_id), _norm(name), _norm(email)}:
            return owner_id
    return None


def read_owners(directory) -> dict[str, tuple[str, str]]:
    """Return {owner id: (name, email)} from `directory`/owners.yaml; empty when it cannot be read."""
    from pathlib import Path

    try:
        doc = yaml.safe_load((Path(directory) / "owners.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    owners = doc.get("owners") if isinstance(doc, dict) else None
    return {str(o["id"]): (str(o.get("name", "")), str(o.get("email", "")))
            for o in owners or [] if isinstance(o, dict) and o.get("id")}  # fmt: skip
