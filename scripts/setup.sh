# Sourced by test.sh and demo.sh: brings a fresh Debian machine to the point
# where atoauth builds and its tests run. Installs only what is missing.
#   - a Node.js that package.json's engines accept (Node 24 from the npm registry into .tools/
#     when the system's is not one)
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

# package.json's engines, as the launcher checks them (plain JS that any Node can run).
node_ok() {
  (cd "$repo_root" && node --input-type=module -e "import { isSupportedNode } from './bin/supported-node.js'
process.exit(isSupportedNode(process.versions.node) ? 0 : 1)") 2>/dev/null
}

# Prints the bin directory of Node $1 from the npm registry, installed under $2 unless it is there.
node_from_npm() {
  local version=$1 prefix=$2 arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  local bin="$prefix/node_modules/node-linux-$arch/bin"
  if [ "$("$bin/node" --version 2>/dev/null)" != "v$version" ]; then
    log "fetching Node $version from the npm registry"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-save --no-package-lock --loglevel=error \
      "node-linux-$arch@$version" >/dev/null
  fi
  printf '%s\n' "$bin"
}

ensure_node() {
  if ! node_ok; then
    log "system Node.js is $(node --version 2>/dev/null || echo missing), not one package.json's engines accept"
    PATH="$(node_from_npm "$ATOAUTH_NODE_VERSION" "$repo_root/.tools"):$PATH"
    export PATH
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
