#!/usr/bin/env bash
# Destroys a throwaway test VM and its Docker volume. Usage: test/vm/stop.sh [NAME]
set -euo pipefail
NAME=${1:-provision-testvm}
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker volume rm -f "$NAME-docker" >/dev/null 2>&1 || true
