#!/usr/bin/env bash
# The main job on a fresh Debian machine: set up, then run the sandbox demo in
# a throwaway keyring (the person's own keychain is never touched).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$repo_root"
scripts/with-keyring.sh node scripts/demo.ts
say_how_to_run_atoauth
