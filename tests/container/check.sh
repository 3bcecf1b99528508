#!/usr/bin/env bash
# Build the image and prove it works, with podman and no Docker engine, through the helper
# container-check.sh. Takes minutes, so it is not part of .ci/run. Run as root from anywhere:
#   bash tests/container/check.sh
# The helper is found at $CONTAINER_CHECK, else ../shared/tools/container-check.sh beside this
# repository (where this project's workspace keeps it). With a Docker engine, use
# `docker build -t reminders .` and `docker compose up --build` instead (README, Container).
set -euo pipefail
cd "$(dirname "$0")/../.."
CHECK=${CONTAINER_CHECK:-../shared/tools/container-check.sh}
if [ ! -f "$CHECK" ]; then
  echo "container check helper not found at $CHECK; set CONTAINER_CHECK=/path/to/container-check.sh" >&2
  exit 2
fi
TAG=localhost/reminders:check
export CC_PY_ALIASES="python:3.11-slim-bookworm python:3.11-slim"
EXAMPLE="-e REMINDERS_CONFIG_DIR=/app/example-config"

echo "== 1. build; without a mounted config the service says so and exits 2"
set +e
out=$(bash "$CHECK" -t "$TAG" . -- validate 2>&1); rc=$?
set -e
echo "$out" | tail -3
if [ $rc -ne 2 ] || ! grep -q "config folder not found" <<<"$out"; then
  echo "expected exit 2 and 'config folder not found', got $rc" >&2; exit 1
fi

echo "== 2. 'reminders validate' and 'run --once' on the example plan (SQLite in /data, file outbox)"
CC_RUN_ARGS="$EXAMPLE" bash "$CHECK" -t "$TAG" . -- validate
CC_RUN_ARGS="$EXAMPLE" bash "$CHECK" -t "$TAG" . -- run --once --now 2010-03-03T09:00

echo "== 3. the daemon (CMD run) on the example plan, and its HEALTHCHECK"
CC_RUN_ARGS="$EXAMPLE" CC_HEALTH_WAIT=${CC_HEALTH_WAIT:-15} bash "$CHECK" --health -t "$TAG" .
echo "== 4. the web app (reminders web) in the same image answers /healthz"
CC_RUN_ARGS="$EXAMPLE -e BASE_URL=http://127.0.0.1:8099 -e SECRET_KEY=container-check-secret-0123456789abcdefghij --entrypoint sh" \
  bash "$CHECK" -t "$TAG" . -- -c 'reminders db upgrade >/dev/null && (reminders web --port 8099 &) && sleep 5 && python -c "import urllib.request; print(urllib.request.urlopen(\"http://127.0.0.1:8099/healthz\", timeout=5).read().decode())"'
echo "== 5. the progress report: PDF (WeasyPrint, Pango, fonts) and DOCX with charts (matplotlib) in the image"
CC_RUN_ARGS="$EXAMPLE --entrypoint sh" bash "$CHECK" -t "$TAG" . -- -c 'reminders sync --now 2009-11-24T08:00 >/dev/null \
  && reminders report --plan ofsted-2009 --as-of 2010-03-15 --now 2010-03-15 --out /tmp/r.pdf \
  && reminders report --plan ofsted-2009 --as-of 2010-03-15 --now 2010-03-15 --out /tmp/r.docx \
  && python -c "import pdfplumber; t = pdfplumber.open(\"/tmp/r.pdf\").pages[0].extract_text(); assert \"On target 7 58.3%\" in t, t; print(\"report OK\")"'
echo "container check passed"
