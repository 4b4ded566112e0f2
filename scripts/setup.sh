# Sourced by test.sh and demo.sh: brings a fresh Debian machine to the point
# where atoauth builds and its tests run. Installs only what is missing.
#   - a Node.js that package.json's engines accept (Node 24 from the npm registry into .tools/
#     when the system's is not one)
#   - chromium, gnome-keyring and dbus from apt (for the end-to-end tests and the demo), with
#     gdbus and dbus-test-tool (the tests that put the keychain in trouble drive private buses),
#     and exiftool (the post tests read every tag an uploaded image still carries)
#   - the npm dependencies (npm ci), and the build
# Another package manager at work (a fresh cloud machine updates itself at boot) is waited for,
# at most ATOAUTH_APT_LOCK_WAIT seconds (600). A Node fetched into .tools/ is on the PATH of
# set-up and the scripts that source it only: the last lines say how to use it from a shell.
set -euo pipefail

ATOAUTH_NODE_VERSION=24.21.0
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1
  fi
}

# cloud-init and unattended-upgrades at boot can take minutes.
apt_lock_wait_seconds=${ATOAUTH_APT_LOCK_WAIT:-600}

apt_waiting_notice() {
  log "waiting (at most ${apt_lock_wait_seconds}s) for another package manager: $1"
}

# apt-get update takes the package lists' lock without waiting: apt's DPkg::Lock::Timeout covers
# only dpkg's locks (apt 2.6 of Debian 12, and still 3.1), so it is asked again while another
# apt holds that lock.
apt_update() {
  local deadline=$((SECONDS + apt_lock_wait_seconds)) errors noticed=
  until errors=$(as_root apt-get update -qq 2>&1 >/dev/null); do
    if [[ $errors != *"/var/lib/apt/lists/lock"* ]] || ((SECONDS >= deadline)); then
      printf '%s\n' "$errors" >&2
      return 1
    fi
    local first=${errors%%$'\n'*}
    [ -n "$noticed" ] || apt_waiting_notice "${first#E: }"
    noticed=1
    sleep 2
  done
  [ -z "$errors" ] || printf '%s\n' "$errors" >&2
}

# apt-get waits for dpkg's locks itself (DPkg::Lock::Timeout), saying so on stdout each second:
# one line of that is shown, and the rest of what it prints there is not.
apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout="$apt_lock_wait_seconds" \
    install -y --no-install-recommends "$@" | {
    noticed=
    while IFS= read -r line; do
      if [ -z "$noticed" ] && [[ $line == *"/var/lib/dpkg/lock"* ]]; then
        apt_waiting_notice "${line#*: }"
        noticed=1
      fi
    done
  }
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
    apt_update
    apt_install "${missing[@]}" dbus-daemon
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
    fetched_node_bin=$(node_from_npm "$ATOAUTH_NODE_VERSION" "$repo_root/.tools")
    PATH="$fetched_node_bin:$PATH"
    export PATH
  fi
  log "using Node $(node --version)"
}

# $1 as a POSIX shell reads it back: as it is when that is safe, else in single quotes.
shell_quote() {
  if [[ $1 =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then printf '%s' "$1"; else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

# Set-up puts the Node it fetched on the PATH of its own process only: after it (and after the
# demo), how to run atoauth from a shell of one's own.
say_how_to_run_atoauth() {
  [ -n "${fetched_node_bin:-}" ] || return 0
  log "Node $ATOAUTH_NODE_VERSION is in .tools/, not on your PATH. To run atoauth from a shell:"
  printf '  export PATH=%s:"$PATH"\n' "$(shell_quote "$fetched_node_bin")" >&2
  printf '  alias atoauth=%s\n' "$(shell_quote "node $(shell_quote "$repo_root/bin/atoauth.js")")" >&2
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

# `source setup.sh --functions-only` (the tests): only the definitions above.
if [ "${1:-}" != --functions-only ]; then
  ensure_apt_packages
  ensure_node
  ensure_npm_dependencies
  say_how_to_run_atoauth
fi
