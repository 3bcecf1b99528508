"""The administrator's commands for completions: `verify` (or return with a reason; for the action's
verifier, config/approvers.py) and `evidence-pack` (the zip an inspector gets, PRODUCT.md §8)."""

from __future__ import annotations

import click

from scheduler.cli.common import BadInput, config_option, input_errors, now_option, with_app


def change_status(app, session, action, new_status, note, by, evidence) -> bool:
    """Apply `set-status`: an owner's completion (awaiting_verification, with its evidence), else a plain
    status change; return True when the status changed."""
    from scheduler.store import operations

    if new_status == "awaiting_verification":
        return record_completion(app, session, action, note, by, evidence)
    if evidence:
        raise BadInput("--evidence goes with awaiting_verification (an owner's completion)")
    return operations.set_status(session, action, new_status, note, by, app.now)


def record_completion(app, session, action, note, by, evidence) -> bool:
    """Record an owner's completion with its evidence (files read with bounded memory) for `set-status REF
    awaiting_verification`; return True."""
    from pathlib import Path

    from scheduler.store import evidence as ev
    from scheduler.store.verification import complete

    plan = app.config.plans.get(action.plan_id)
    mode = plan.verification if plan else "administrator"
    links = [e for e in evidence if e.startswith(("http://", "https://"))]
    paths = [e for e in evidence if e not in links]
    for p in paths:
        if not Path(p).is_file():
            raise BadInput(f"--evidence {p!r}: no such file (a link must start with https:// or http://)")
    uploads = [ev.read_path(p, app.settings.evidence_max_mb * 2**20) for p in paths]
    try:
        if mode == "none":
            raise BadInput(f"plan {action.plan_id} has `verification: none`: use `set-status REF complete`")
        complete(session, action, note, by, app.now, mode, uploads, links, app.settings.evidence_max_files)
    finally:
        for u in uploads:
            u.close()
    return True


def _plan(app, action):
    plan = app.config.plans.get(action.plan_id)
    if plan is None:
        raise BadInput(f"{action.plan_id}/{action.ref}: its plan is no longer in the config")
    return plan


@click.command()
@click.argument("ref")
@click.option("--return", "send_back", is_flag=True, help="Send the completion back to the owner instead.")
@click.option("--reason", help="With --return: what is missing (the owner is emailed it).")
@click.option("--by", metavar="OWNER", help="Who decides, recorded in the history (default: the plan's administrator; "
              "required for an action the administrator owns); only the action's verifier may.")
@config_option
@now_option
@with_app
@input_errors
def verify(app, ref, send_back, reason, by):
    """Verify an owner's completion (the action becomes complete), or return it with a reason
    (back to in progress; the owner's next email gives the reason and reminders resume).

    The verifier is the plan's administrator; for an action the administrator owns, the escalation
    contact (then the owner's manager), named with --by. Nobody verifies their own completion.

    \b
    Example:
      reminders verify ofsted-2009/SG1
      reminders verify SG2 --return --reason "the audit covers one team only; attach all four"
    """
    from scheduler.config.approvers import verifier_of
    from scheduler.config.limits import MAX_NOTE, text_problem
    from scheduler.engine.facts import refresh_next_notice
    from scheduler.store import operations, verification

    if reason is not None and not send_back:
        raise BadInput("--reason goes with --return; to verify, leave --reason out")
    if reason is not None and (problem := text_problem(reason, MAX_NOTE, False)):
        raise BadInput(f"--reason {problem}")  # invisible characters refused, like set-status's --note
    with app.session() as session:
        # locked like set-status and the web's changes: a verify at the same moment waits, then is checked
        action = operations.lock_action(session, operations.resolve_ref(session, ref).id)
        plan = _plan(app, action)
        verifier = verifier_of(app.config, action.plan_id, action.owner_id)  # never the owner
        verifier_id, today = verifier.id if verifier else None, app.today_for(action.plan_id)
        if not by and verifier_id not in (None, plan.administrator):  # the history names who decided
            raise BadInput(f"{action.plan_id}/{action.ref} is owned by the plan's administrator, so "
                           f"{verifier.name} verifies it, on the page their email links to; to record a decision "
                           f"they gave you, add --by {verifier_id}")  # fmt: skip
        actor = by or plan.administrator or ""
        if send_back:
            try:
                verification.return_(session, action, reason, actor, verifier_id, app.now, today, None,
                                     plan.administrator)  # fmt: skip
            except operations.InputError as exc:  # the store's words are for the web too; the flag is ours
                if str(exc) == verification.REASON_REQUIRED:
                    raise BadInput(f"{exc} (--reason TEXT)") from None
                raise
        else:
            verification.verify(session, action, actor, verifier_id, app.now, today, None, plan.administrator)
        refresh_next_notice(session, app.config, app.now, [action])
        session.commit()
        key, owner = f"{action.plan_id}/{action.ref}", action.owner_id
    if send_back:
        click.echo(f"{key}: returned to {owner} (in progress); they are emailed the reason at the next run")
    else:
        click.echo(f"{key}: verified, complete; {owner} is told at the next run")


@click.command("evidence-pack")
@click.option("--plan", "plan_id", required=True, metavar="PLAN", help="The plan to pack.")
@click.option("--out", "out", required=True, metavar="FILE.zip", help="Where to write the zip.")
@config_option
@now_option
@with_app
@input_errors
def evidence_pack(app, plan_id, out):
    """Write the evidence pack of a plan: index.html and index.pdf (one section per recommendation),
    every evidence file under evidence/<ref>/, and manifest.json with each file's SHA-256.

    The same database always gives the same zip, byte for byte.

    \b
    Example:
      reminders evidence-pack --plan ofsted-2009 --out ofsted-2009-evidence.zip
    """
    from pathlib import Path

    from scheduler.documents.evidence_pack import write_pack

    if plan_id not in app.config.plans:
        raise BadInput(f"--plan {plan_id!r}: no such plan; known: {', '.join(sorted(app.config.plans))}")
    target = Path(out)
    if target.suffix.lower() != ".zip":
        raise BadInput(f"--out {out!r}: write the pack to a .zip file, e.g. --out {plan_id}-evidence.zip")
    if not target.parent.is_dir():
        raise BadInput(f"--out {out!r}: the folder {str(target.parent)!r} does not exist")
    with app.session() as session:
        summary = write_pack(session, app.config, plan_id, target, app.now)
    click.echo(f"{target}: {summary}")
