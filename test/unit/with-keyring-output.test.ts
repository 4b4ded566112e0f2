// scripts/with-keyring.sh (under the demo, the bench and the end-to-end suite)
// runs a command on a private D-Bus session: what the command writes on
// stderr comes out as it was, and nothing of the bus daemon's own log
// ("Activating service…", "Failed to set fd limit…") nor of the services it
// starts. A service planted here, that writes on stderr and never answers,
// makes the daemon log whatever the machine.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const WITH_KEYRING = resolve(import.meta.dirname, '../../scripts/with-keyring.sh')
const has = (command: string) =>
  spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
// A private session bus and gnome-keyring: Linux, with what scripts/setup.sh installs (the
// Linux CI job runs it; the other jobs run the unit suite without them).
const runnable =
  process.platform === 'linux' &&
  ['dbus-run-session', 'gnome-keyring-daemon', 'dbus-send'].every(has)

/** XDG_DATA_HOME with a session service whose program only complains on stderr. */
function noisyServiceHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'atoauth-with-keyring-'))
  mkdirSync(join(home, 'dbus-1/services'), { recursive: true })
  const program = join(home, 'noisy-service')
  writeFileSync(program, '#!/bin/sh\necho "noisy-service: a log line of its own" >&2\n')
  chmodSync(program, 0o755)
  writeFileSync(
    join(home, 'dbus-1/services/org.atoauth.Noisy.service'),
    `[D-BUS Service]\nName=org.atoauth.Noisy\nExec=${program}\n`,
  )
  return home
}

function withKeyring(command: string, env: NodeJS.ProcessEnv = {}) {
  const { ATOAUTH_PRIVATE_BUS, DBUS_SESSION_BUS_ADDRESS, ...outside } = process.env
  return spawnSync(WITH_KEYRING, ['sh', '-c', command], {
    env: { ...outside, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
}

describe.skipIf(!runnable)("with-keyring.sh's output", () => {
  it("is the command's own: its stderr as written, its stdout, its exit code", () => {
    const run = withKeyring('echo out; echo mine >&2; exit 7')
    expect(run.stderr).toBe('mine\n')
    expect(run.stdout).toBe('out\n')
    expect(run.status).toBe(7)
  })

  it('carries no line of the bus daemon or of a service it starts', () => {
    const activate =
      'dbus-send --session --print-reply --reply-timeout=1000 --dest=org.atoauth.Noisy / org.atoauth.Noisy.Ping >/dev/null 2>&1'
    const run = withKeyring(`${activate}; echo mine >&2`, { XDG_DATA_HOME: noisyServiceHome() })
    expect(run.stderr).toBe('mine\n')
    expect(run.status).toBe(0)
  })

  it('the planted service does make the daemon log, on a bus of its own', () => {
    // The same activation on a plain dbus-run-session: the lines the test above must not see.
    const activate =
      'dbus-send --session --print-reply --reply-timeout=1000 --dest=org.atoauth.Noisy / org.atoauth.Noisy.Ping >/dev/null 2>&1; true'
    const run = spawnSync('dbus-run-session', ['--', 'sh', '-c', activate], {
      env: { ...process.env, XDG_DATA_HOME: noisyServiceHome() },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.stderr).toMatch(/dbus-daemon.*Activating service name='org\.atoauth\.Noisy'/)
    expect(run.stderr).toContain('noisy-service: a log line of its own')
  })
})
