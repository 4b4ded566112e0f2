#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a fresh, unlocked
# gnome-keyring: a real Secret Service that the command may use and that
# vanishes with it (the person's own keyring is never touched). The daemons'
# own log lines stay out of the output; the command's own stay in.
set -euo pipefail
if [ -z "${ATOAUTH_PRIVATE_BUS:-}" ]; then
  export ATOAUTH_PRIVATE_BUS=1
  exec dbus-run-session --dbus-daemon="$(cd "$(dirname "$0")" && pwd)/quiet-dbus-daemon.sh" -- "$0" "$@"
fi
keyring_data=$(mktemp -d)
trap 'rm -rf "$keyring_data"' EXIT
# A new keyring is created with the password read from stdin, and unlocked.
eval "$(printf 'atoauth-test' | XDG_DATA_HOME="$keyring_data" \
  gnome-keyring-daemon --unlock --components=secrets 2>/dev/null | sed 's/^/export /')"
"$@"
