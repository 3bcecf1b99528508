"""Where claims are written: the send ledger in the database.

It implements the pipeline's two decision stages: `select(now)` returns the actions whose next
notice day has come, and `claim_many(action_ids, now, run_id)` decides for each with `decide()`
and records what it sends and supersedes. `run_once` runs them on the real database, `forecast`
on a throwaway copy, so the two agree by construction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from scheduler.config.model import Config
from scheduler.engine import progress
from scheduler.engine.decide import Decision, PlannedNotice, decide, next_notice_day
from scheduler.engine.facts import build_facts, calendar_for, ledger_done, revisions_of
from scheduler.engine.rules import tracks_replaced
from scheduler.store.states import CLOSED, NoticeState


@dataclass
class Claim:
    """What claiming one action produced: the notices to send (with ledger ids) and superseded."""

    send: list[tuple[int | None, PlannedNotice]] = field(default_factory=list)
    superseded: list[PlannedNotice] = field(default_factory=list)


class Ledger(Protocol):
    def select(self, now: dt.datetime) -> list[int]:
        """Return the ids of actions whose next notice day is on or before today (local)."""
        ...

    def claim(self, action_id: int, now: dt.datetime, run_id: str) -> Claim:
        """Decide for one action at `now` and record the outcome; return the Claim."""
        ...

    def claim_many(self, action_ids: list[int], now: dt.datetime, run_id: str) -> list[Claim]:
        """Claim each action as `claim` would; return the Claims in `action_ids` order."""
        ...


def latest_today(config: Config, now: dt.datetime) -> dt.date:
    """Return the latest local date of `now` across the plans' timezones."""
    return max((now.astimezone(p.policy.tz).date() for p in config.plans.values()), default=now.date())


def decide_for(config: Config, facts, done, now: dt.datetime) -> Decision:
    """Return the decision for an action's facts at `now` in its plan's timezone."""
    plan = config.plans[facts.plan]
    return decide(facts, plan.policy, calendar_for(plan), done, now.astimezone(plan.policy.tz))


CLAIM_BATCH = 200  # actions per claim transaction: few commits, and a short lock on each batch


class SqlLedger:
    """The send ledger in the database: a claim is one transaction with the action row locked."""

    def __init__(self, engine, config: Config):
        self.engine, self.config = engine, config

    def select(self, now: dt.datetime) -> list[int]:
        from scheduler.store import queries

        return queries.actions_due(self.engine, latest_today(self.config, now))

    def claim(self, action_id: int, now: dt.datetime, run_id: str) -> Claim:
        from scheduler.store import queries

        with queries.locked_actions(self.engine, [action_id]) as (s, actions):
            claims = self._record(s, actions, now, run_id)
        return claims[0] if claims else Claim()  # gone, or another runner claimed these first

    def claim_many(self, action_ids: list[int], now: dt.datetime, run_id: str) -> list[Claim]:
        """Claim in transactions of CLAIM_BATCH actions; when one action's rows conflict with
        another runner's, that batch is redone action by action so only the lost ones are empty."""
        from scheduler.store import queries

        out = []
        for i in range(0, len(action_ids), CLAIM_BATCH):
            chunk = action_ids[i : i + CLAIM_BATCH]
            with queries.locked_actions(self.engine, chunk) as (s, actions):
                claims = self._record(s, actions, now, run_id)
            out += claims if claims is not None else [self.claim(aid, now, run_id) for aid in chunk]
        return out

    def _updates(self, s, actions: list) -> dict:
        """Return {action id: [when progress was recorded]} for the actions of plans with reviews."""
        ids = [a.id for a in actions if getattr(self.config.plans.get(a.plan_id), "reviews", ())]
        return progress.recorded_updates(s, ids) if ids else defaultdict(list)

    def _record(self, s, actions: list, now: dt.datetime, run_id: str) -> list[Claim] | None:
        """Decide for each locked action; write its ledger rows (one INSERT), supersede the retries
        they replace and set its next notice day. Return the Claims in order, or None (rolled
        back) when another runner holds one of the rows."""
        from scheduler.store import queries

        ids = [a.id for a in actions]
        found, revs = ledger_done(s, ids), revisions_of(s, ids)
        asked, updates = progress.done_by_action(found), self._updates(s, actions)
        decided, params, replaced = [], [], []
        for action in actions:
            plan = self.config.plans.get(action.plan_id)
            if plan is None or action.status in CLOSED or not action.in_config:
                action.next_notice_on = None
                decided.append((None, [], 0))
                continue
            done = found.get((action.id, action.due), set())
            facts = build_facts(s, self.config, action, revs.get(action.id, []))
            decision = decide_for(self.config, facts, done, now)
            cal, local = calendar_for(plan), now.astimezone(plan.policy.tz)
            extra = progress.decide_progress(facts, plan, cal, asked[action.id], updates[action.id], local)
            decision.send += extra.send
            decision.superseded += extra.superseded
            rows = queries.claim_rows(action, decision, now, run_id)
            decided.append((decision, rows, len(params)))
            params += [values for values, _ in rows]
            replaced += [(action.id, t) for t in sorted(tracks_replaced({n.stage.track for n in decision.send}))]
            done = done | {(n.stage.name, n.to.email) for n in decision.send + decision.superseded}
            asked[action.id] |= {n.stage.name for n in extra.send + extra.superseded}
            action.next_notice_on = progress.earliest(
                next_notice_day(facts, plan.policy, cal, done, local.date()),
                progress.next_progress_day(facts, plan, cal, asked[action.id], updates[action.id], local.date()))
        new_ids = queries.insert_notices(s, params)
        if new_ids is None:
            return None
        queries.supersede_retries(s, replaced, now)
        return [Claim([(new_ids[start + k], pn) for k, (values, pn) in enumerate(rows)
                       if values["state"] == NoticeState.PENDING], decision.superseded) if decision else Claim()
                for decision, rows, start in decided]  # fmt: skip
