"""CLI layer: the admin command `reminders` (also `python -m scheduler`), PRODUCT.md §5.

Commands are thin: each builds the `App` and calls the library. They are loaded lazily (click's
LazyGroup pattern), and their modules import heavy parts inside the command, so `--help` and
`validate` start fast. May import every layer; nothing imports it.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import click

# command name -> "module:attribute"
COMMANDS = {
    "validate": "admin:validate",
    "sync": "admin:sync",
    "status": "admin:status",
    "set-status": "admin:set_status",
    "extend": "admin:extend",
    "history": "history:history",
    "notices": "audit:notices",
    "resend": "audit:resend",
    "db": "admin:db_group",
    "run": "run:run",
    "forecast": "run:forecast",
    "simulate": "run:simulate",
    "preview": "run:preview",
    "send-test": "run:send_test",
    "summary": "service:summary",
    "health": "service:health_cmd",
    "import": "importer:import_report",
    "web": "web:web",
    "web-link": "web:web_link",
    "verify": "verify:verify",
    "evidence-pack": "verify:evidence_pack",
    "report": "report:report",
}


class LazyGroup(click.Group):
    """A group whose commands are imported only when listed or called."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(f"scheduler.cli.{module}"), attr)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # `reminders ... | head`: the reader left; nothing to report
            sys.stderr.close()
            raise SystemExit(1) from None
        except Exception as exc:  # last resort: one line for the person; the stack only on request
            if os.environ.get("REMINDERS_DEBUG"):
                traceback.print_exc()
            if type(exc).__module__.startswith(("sqlalchemy", "psycopg", "sqlite3")):
                detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
                raise click.ClickException(f"database error: {detail}; the command stopped and its open "
                                           "transaction was rolled back; the next run carries on") from None  # fmt: skip
            raise click.ClickException(
                f"unexpected error: {type(exc).__name__}: {exc} (set REMINDERS_DEBUG=1 to see the stack)"
            ) from None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="improvement-plan-reminders")
def main():
    """Deadline reminders for inspection improvement plans.

    \b
    Example (the shipped plan, as of March 2010):
      reminders validate
      reminders sync --now 2009-11-24T08:00
      reminders status --now 2010-03-15
    """


__all__ = ["main"]
