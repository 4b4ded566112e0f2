#!/usr/bin/env bash
# npm run bench: set up like the tests, then run the benchmark in a throwaway
# keyring (the person's own keychain is never touched).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$repo_root"
scripts/with-keyring.sh node scripts/bench.ts
