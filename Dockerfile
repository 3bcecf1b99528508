# The reminder service. Build: docker build -t reminders .   Run: see compose.yaml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/reminders.db \
    OUTBOX_DIR=/data/outbox \
    REMINDERS_CONFIG_DIR=/app/config \
    TEMPLATES_DIR=/app/templates/emails

WORKDIR /app
# Dependencies and code first; config and templates last (they change most, and are mountable).
COPY pyproject.toml README.md ./
COPY scheduler ./scheduler
COPY templates ./templates
RUN pip install ".[postgres]" \
 && useradd --system --uid 10001 --no-create-home --home-dir /app reminders \
 && mkdir -p /data \
 && chown reminders:reminders /data
COPY config ./config

USER reminders
VOLUME ["/data"]
# The service writes a heartbeat to the database every 10 s; `reminders health` checks it.
HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 CMD ["reminders", "health"]
ENTRYPOINT ["reminders"]
CMD ["run"]
