#!/usr/bin/env bash
# All the tests, from a fresh Debian machine: set-up, type-check, lint and
# format check, unit tests, the same on the lowest Node that package.json
# promises, then the end-to-end suite against a real local PDS with headless
# Chromium and a real Secret Service.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$repo_root"

# On the lowest Node of engines.node: `npm ci` accepts it (.npmrc's engine-strict; a dry run
# checks every locked package's engines), the unit suite passes (and in it, the packed package
# installs and runs), and the built program starts.
lowest_node_checks() {
  local lowest scratch code=0
  lowest=$(node -p "require('semver').minVersion(require('./package.json').engines.node).version")
  log "the lowest promised Node: $lowest"
  PATH="$(node_from_npm "$lowest" "$repo_root/.tools/node-$lowest"):$PATH"
  scratch=$(mktemp -d)
  cp package.json package-lock.json .npmrc "$scratch"
  (cd "$scratch" && npm ci --dry-run --ignore-scripts --loglevel=error --no-fund --no-audit >/dev/null)
  npx vitest run --project unit
  node bin/atoauth.js --version
  ATOAUTH_CONFIG_DIR="$scratch" node bin/atoauth.js whoami --json >/dev/null || code=$?
  rm -rf "$scratch"
  [ "$code" -eq 3 ] || { log "whoami without an account exited $code, not 3"; return 1; }
}

log "type-check"; npm run --silent typecheck
log "lint + format check"; npm run --silent lint
log "unit tests"; npx vitest run --project unit
(lowest_node_checks)
log "end-to-end tests"; scripts/with-keyring.sh npx vitest run --project e2e
