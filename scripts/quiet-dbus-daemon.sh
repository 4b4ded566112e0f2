#!/usr/bin/env bash
# The bus daemon of with-keyring.sh's private session, its own log lines (and
# those of the services it starts) kept off the terminal: they are about the
# daemon ("Activating service…", "Failed to set fd limit…"), not about the
# command run on the bus, whose own error output with-keyring.sh leaves alone.
exec dbus-daemon "$@" 2>/dev/null
