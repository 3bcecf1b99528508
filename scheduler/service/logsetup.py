"""Logging: text by default, JSON lines with LOG_FORMAT=json. Secrets never reach a log line."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="seconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        notice = getattr(record, "notice", None)
        if notice:
            data.update(notice)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Send log records to stderr in the chosen format (idempotent)."""
    root = logging.getLogger("scheduler")
    root.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")
        )
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
