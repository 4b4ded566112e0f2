#!/usr/bin/env bash
# All the tests, from a fresh Debian machine: set-up, type-check, lint and
# format check, unit tests, then the end-to-end suite against a real local
# PDS with headless Chromium and a real Secret Service.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$repo_root"

log "type-check"; npm run --silent typecheck
log "lint + format check"; npm run --silent lint
log "unit tests"; npx vitest run --project unit
log "end-to-end tests"; scripts/with-keyring.sh npx vitest run --project e2e
