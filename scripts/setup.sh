# Sourced by test.sh and demo.sh: brings a fresh Debian machine to the point
# where atoauth builds and its tests run. Installs only what is missing.
#   - Node.js >= 22.15 (Node 24 from the npm registry into .tools/ when the system's is older)
#   - chromium, gnome-keyring and dbus from apt (for the end-to-end tests and the demo), with
#     gdbus and dbus-test-tool (the tests that put the keychain in trouble drive private buses),
#     and exiftool (the post tests read every tag an uploaded image still carries)
#   - the npm dependencies (npm ci), and the build
set -euo pipefail

ATOAUTH_NODE_VERSION=24.21.0
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1
  fi
}

ensure_apt_packages() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v gnome-keyring-daemon >/dev/null || missing+=(gnome-keyring)
  command -v dbus-run-session >/dev/null || missing+=(dbus)
  command -v gdbus >/dev/null || missing+=(libglib2.0-bin)
  command -v dbus-test-tool >/dev/null || missing+=(dbus-tests)
  command -v exiftool >/dev/null || missing+=(libimage-exiftool-perl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from apt"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" dbus-daemon >/dev/null
  fi
}

# package.json's engines: Node >= 22.15 (process.execve).
node_ok() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 15) ? 0 : 1)' 2>/dev/null; }

ensure_node() {
  local tools="$repo_root/.tools"
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  local bin="$tools/node_modules/node-linux-$arch/bin"
  if ! node_ok && [ -x "$bin/node" ]; then export PATH="$bin:$PATH"; fi
  if ! node_ok; then
    log "system Node.js is $(node --version 2>/dev/null || echo missing); fetching Node $ATOAUTH_NODE_VERSION from the npm registry"
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-save --no-package-lock --loglevel=error \
      "node-linux-$arch@$ATOAUTH_NODE_VERSION" >/dev/null
    export PATH="$bin:$PATH"
  fi
  log "using Node $(node --version)"
}

ensure_npm_dependencies() {
  cd "$repo_root"
  if ! cmp -s package-lock.json node_modules/.atoauth-installed-lock 2>/dev/null; then
    log "installing npm dependencies (npm ci)"
    npm ci --loglevel=error --no-fund --no-audit
    cp package-lock.json node_modules/.atoauth-installed-lock
  fi
  log "building"
  npm run --silent build
}

ensure_apt_packages
ensure_node
ensure_npm_dependencies
