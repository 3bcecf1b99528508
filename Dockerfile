# The reminder service. Build: docker build -t reminders .   Run: see compose.yaml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/reminders.db \
    OUTBOX_DIR=/data/outbox \
    REMINDERS_CACHE_DIR=/data/cache \
    REMINDERS_CONFIG_DIR=/app/config \
    MPLCONFIGDIR=/tmp/matplotlib \
    XDG_CACHE_HOME=/tmp/cache

# The progress report's PDF (WeasyPrint) needs Pango and a font; the report asks for DejaVu Sans,
# which matplotlib also draws the charts with. The font cache is built here, as root.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fontconfig fonts-dejavu-core \
 && fc-cache -f \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies and code first (pinned by constraints.txt); the example config last. The shipped
# email templates are inside the installed package; mount a folder and set TEMPLATES_DIR to
# override some of them. Your config is mounted at /app/config: without it the service says so
# and exits 2 (it never quietly runs the example plan, which is at /app/example-config).
COPY pyproject.toml setup.py MANIFEST.in README.md constraints.txt ./
COPY scheduler ./scheduler
COPY templates ./templates
RUN pip install -c constraints.txt ".[postgres]" \
 && useradd --system --uid 10001 --no-create-home --home-dir /app reminders \
 && mkdir -p /data \
 && chown reminders:reminders /data
COPY config ./example-config

USER reminders
VOLUME ["/data"]
# The service writes a heartbeat to the database every 10 s; `reminders health` checks it.
HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 CMD ["reminders", "health"]
ENTRYPOINT ["reminders"]
CMD ["run"]
