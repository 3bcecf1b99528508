"""Rendering the web pages (Jinja2, autoescaped) and the headers every response carries."""

from __future__ import annotations

import re

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from scheduler.config.files import shipped_templates
from scheduler.config.humandates import daydate, longdate, when
from scheduler.config.text import shorten

WEB_TEMPLATES = shipped_templates("web")
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",  # the signed token in the URL must not leak to other sites
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

_env = Environment(loader=FileSystemLoader(str(WEB_TEMPLATES)), autoescape=select_autoescape(default=True),
                   undefined=StrictUndefined)  # fmt: skip
_env.filters["longdate"] = longdate
_env.filters["daydate"] = daydate
_env.filters["when"] = when
_env.filters["short"] = shorten

URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Return `text` escaped, with each http(s) URL in it a link (evidence links people typed)."""
    out, last = [], 0
    for m in URL.finditer(text or ""):
        url = m.group(0).rstrip(".,;:)")
        out += [escape(text[last : m.start()]), Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(url)]
        last = m.start() + len(url)
    out.append(escape((text or "")[last:]))
    return Markup("").join(out)


_env.filters["linkify"] = linkify


def page(name: str, status: int = 200, **ctx) -> HTMLResponse:
    """Return the page `name` rendered with `ctx`, with the security headers (the 500 page too)."""
    return HTMLResponse(_env.get_template(name).render(**ctx), status_code=status, headers=SECURITY_HEADERS)


def message(title: str, text: str, status: int = 200, **extra) -> HTMLResponse:
    """Return a plain page with a heading and a paragraph (results and problems)."""
    return page("message.html", status, title=title, text=text, renew_token=extra.get("renew_token"),
                csrf=extra.get("csrf", ""))  # fmt: skip
