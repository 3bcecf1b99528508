"""`reminders web` (the owners' and managers' web app) and `reminders web-link`."""

from __future__ import annotations

import click

from scheduler.cli.common import BadInput, config_option, did_you_mean, with_app


def _needs_links(app):
    if app.links is None:
        raise BadInput("BASE_URL is not set: set BASE_URL (where `reminders web` is reached, e.g. "
                       "https://reminders.council.example.org) and SECRET_KEY (see .env.example)")  # fmt: skip
    strong_secret(app)


def strong_secret(app) -> None:
    """Refuse (exit 2) a SECRET_KEY that is short or shipped in an example, when links are on."""
    from scheduler.config.settings import secret_key_problem

    problem = secret_key_problem(app.settings) if app.settings.base_url else None
    if problem:
        raise BadInput(problem)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@config_option
@with_app
def web(app, host, port):
    """Serve the web app: action pages from email links, extension approval, dashboards, /healthz, /metrics.

    \b
    Example:
      BASE_URL=https://reminders.example.org SECRET_KEY=... reminders web --host 0.0.0.0 --port 8080
    """
    from scheduler.clock import SystemClock
    from scheduler.service.logsetup import configure
    from scheduler.web.connections import uvicorn_config
    from scheduler.web.server import create

    _needs_links(app)
    app.clock = SystemClock()  # a long-running process: its now moves (the CLI's is fixed per command)
    app.config  # a bad config is exit 2 before the server starts  # noqa: B018
    app.engine  # noqa: B018
    configure(app.settings.log_format)
    # slow request headers are cut off and open connections capped (web/connections.py)
    _announcing_server(uvicorn_config(create(app), host, port), app.settings.base_url).run()


def _announcing_server(config, base_url: str):
    """Return uvicorn's Server for `config`, which logs once it is listening where it listens and
    what links it signs (a silent start leaves the person wondering whether it is up)."""
    import logging

    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            if self.started:
                host = f"[{config.host}]" if ":" in config.host else config.host
                logging.getLogger("scheduler.web").info(
                    "listening on http://%s:%s; links in emails are signed for BASE_URL=%s",
                    host, config.port, base_url)  # fmt: skip

    return Server(config)


@click.command("web-link")
@click.option("--plan", "plan_id", required=True, metavar="PLAN", help="The plan of the dashboard.")
@click.option("--for", "email", required=True, metavar="EMAIL", help="Who the link is for (it names them).")
@config_option
@with_app
def web_link(app, plan_id, email):
    """Print a signed link to a plan's read-only dashboard, for a manager.

    \b
    Example:
      reminders web-link --plan ofsted-2009 --for executive-director@example.org
    """
    _needs_links(app)
    if plan_id not in app.config.plans:
        raise BadInput(f"--plan {plan_id!r}: no such plan{did_you_mean(plan_id, app.config.plans)}")
    if "@" not in email or any(c.isspace() for c in email):
        raise BadInput(f"--for {email!r}: not an email address")
    days = app.config.plans[plan_id].policy.link_valid_days
    click.echo(app.links.url("dashboard", plan_id, email))
    click.echo(f"(works for {days} days)", err=True)
