#!/usr/bin/env bash
# Build the image and prove it works, with ../shared/tools/container-check.sh (podman, no Docker
# engine needed). Takes minutes, so it is not part of .ci/run. Run as root from the repo root:
#   bash tests/container/check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
CHECK=${CONTAINER_CHECK:-../shared/tools/container-check.sh}
TAG=localhost/reminders:check
export CC_PY_ALIASES="python:3.11-slim-bookworm python:3.11-slim"

echo "== 1. build, then 'reminders validate' on the shipped config"
bash "$CHECK" -t "$TAG" . -- validate

echo "== 2. 'reminders run --once' on the embedded defaults (SQLite in /data, file outbox)"
bash "$CHECK" -t "$TAG" . -- run --once --now 2010-03-03T09:00

echo "== 3. the daemon (CMD run) and its HEALTHCHECK"
CC_HEALTH_WAIT=${CC_HEALTH_WAIT:-15} bash "$CHECK" --health -t "$TAG" .
echo "container check passed"
