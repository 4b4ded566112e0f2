// When the keychain cannot be used — no D-Bus, no Secret Service, a locked
// keyring, a Secret Service that never answers — atoauth fails closed: exit 5,
// `keychain_unavailable` naming the cause and its fix, nothing stored anywhere
// else, no browser, and no hang. Each situation is real: a private D-Bus
// session bus with nothing on it, a real gnome-keyring locked on it, a
// process that owns a name there and never replies (test/support/secret-service.ts),
// or a bus socket that never answers at all.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { noBusEnvironment, PrivateBus, SYSTEM_PROMPTER } from '../support/secret-service.ts'
import { type CliResult, listFiles, type StoredSession, useE2E } from './harness.ts'

// Alice logs in while the keychain works; then the keychain goes wrong.
const e2e = useE2E({ loginAs: 'alice' })

/** Generous, to prove "does not hang": every keychain call is bounded at 3 s. */
const HANG_BOUND_MS = 15_000

type Env = Record<string, string | undefined>

type Situation = {
  /** What atoauth runs with: the D-Bus variables of the situation. */
  env: Env
  /** A config dir whose account was logged in on this situation's keyring (default: the file's). */
  configDir?: string
  close(): Promise<void>
}

type Trouble = {
  name: string
  reason: string
  message: RegExp
  hint: RegExp
  setUp(): Promise<Situation>
}

const troubles: Trouble[] = [
  {
    name: 'no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS unset',
    reason: 'no_dbus',
    message: /no D-Bus session bus .*\(DBUS_SESSION_BUS_ADDRESS is not set\)/,
    hint: /desktop session.*dbus-run-session/,
    setUp: noBusEnvironment,
  },
  {
    name: 'no D-Bus session bus: the address names a socket that is not there',
    reason: 'no_dbus',
    message: /no D-Bus session bus .*Failed to connect to socket .*no-bus-here/,
    hint: /desktop session.*dbus-run-session/,
    async setUp() {
      const dir = await mkdtemp(join(tmpdir(), 'atoauth-gone-'))
      return {
        env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus-here')}` },
        close: () => rm(dir, { recursive: true, force: true }),
      }
    },
  },
  {
    name: 'a session bus with no Secret Service on it',
    reason: 'no_secret_service',
    message: /no Secret Service on the D-Bus session bus/,
    hint: /gnome-keyring|KeePassXC/,
    async setUp() {
      const bus = await PrivateBus.start()
      return { env: bus.env(), close: () => bus.close() }
    },
  },
  {
    // A hung dbus-daemon: the keyring library would block Node's main thread
    // on this connection for ever; atoauth asks the bus first, bounded.
    name: 'a session bus that accepts connections and never answers',
    reason: 'no_answer',
    message: /no answer within 3 s/,
    hint: /running and unlocked/,
    async setUp() {
      const dir = await mkdtemp(join(tmpdir(), 'atoauth-hung-bus-'))
      const path = join(dir, 'bus')
      const held: Socket[] = []
      const server = createServer((socket) => void held.push(socket))
      await new Promise<void>((r) => server.listen(path, r))
      return {
        env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${path}` },
        async close() {
          for (const socket of held) socket.destroy()
          await new Promise((r) => server.close(r))
          await rm(dir, { recursive: true, force: true })
        },
      }
    },
  },
  {
    name: 'a locked keyring, with no prompter to unlock it',
    reason: 'locked',
    message: /the keyring is locked/,
    hint: /^Unlock the keyring/,
    setUp: () => lockedKeyring({ prompter: 'none' }),
  },
  {
    name: 'a locked keyring whose unlock prompt nobody answers',
    reason: 'no_answer',
    message: /no answer within 3 s/,
    hint: /unlock prompt/,
    setUp: () => lockedKeyring({ prompter: 'never answers' }),
  },
  {
    name: 'a Secret Service that never answers',
    reason: 'no_answer',
    message: /did not answer/,
    hint: /running and unlocked/,
    async setUp() {
      const bus = await PrivateBus.start()
      try {
        await bus.startBlackHole('org.freedesktop.secrets')
      } catch (err) {
        await bus.close()
        throw err
      }
      return { env: bus.env(), close: () => bus.close() }
    },
  },
]

/**
 * A real gnome-keyring on a private bus; Alice logs in while it is unlocked
 * (her session is in it), then it is locked. Its unlock prompt goes nowhere
 * (gnome-keyring dismisses it) or to a prompter that never answers.
 */
async function lockedKeyring({
  prompter,
}: {
  prompter: 'none' | 'never answers'
}): Promise<Situation> {
  const bus = await PrivateBus.start()
  const configDir = await mkdtemp(join(tmpdir(), 'atoauth-locked-config-'))
  const close = async () => {
    await bus.close()
    await rm(configDir, { recursive: true, force: true })
  }
  try {
    await bus.startGnomeKeyring()
    const env = { ...bus.env(), ATOAUTH_CONFIG_DIR: configDir }
    const { cli } = await e2e.login('alice', { env })
    expect(cli.code, cli.stderr).toBe(0)
    const stored = await bus.keychainEntry(alice().did)
    expect(stored).toBeDefined()
    e2e.rememberSecrets(JSON.parse(stored!) as StoredSession)

    if (prompter === 'never answers') await bus.startBlackHole(SYSTEM_PROMPTER)
    await bus.lockKeyring()
    return { env: bus.env(), configDir, close }
  } catch (err) {
    await close()
    throw err
  }
}

const alice = () => e2e.sandbox.accounts.alice!

describe.each(troubles)('$name', (trouble) => {
  let situation: Situation
  const configDir = () => situation.configDir ?? e2e.configDir

  beforeAll(async () => {
    situation = await trouble.setUp()
  })
  afterAll(async () => {
    await situation?.close()
  })

  async function run(args: string[], extra: Env = {}): Promise<CliResult & { ms: number }> {
    const started = Date.now()
    const env = e2e.env({ ...situation.env, ATOAUTH_CONFIG_DIR: configDir(), ...extra })
    const result = await e2e.run(args, env)
    return { ...result, ms: Date.now() - started }
  }

  it('login stops before the browser: exit 5 with the cause and the fix, nothing stored', async () => {
    await expectLoginRefused(situation.env, trouble)
  })

  it('whoami for an account logged in before: exit 5, and the config dir is left as it was', async () => {
    const before = await snapshot(configDir())
    const result = await run(['whoami', '--json'])
    expectTroubleReported(result, trouble)
    expect(await snapshot(configDir())).toEqual(before)
  })

  it('in text form: the cause on stderr, the fix on the next line, nothing on stdout', async () => {
    const result = await run(['whoami'])
    expect(result.code).toBe(5)
    expect(result.stdout).toBe('')
    const [message, hint] = result.stderr.trimEnd().split('\n')
    expect(message).toMatch(/^error: Cannot use the Secret Service keyring: /)
    expect(message).toMatch(trouble.message)
    expect(hint).toMatch(trouble.hint)
    expect(result.ms).toBeLessThan(HANG_BOUND_MS)
  })

  it('logout fails the same way and keeps the account, to log it out once the keychain is back', async () => {
    const before = await snapshot(configDir())
    const result = await run(['logout', '--json'])
    expectTroubleReported(result, trouble)
    expect(await snapshot(configDir())).toEqual(before)
  })

  it('accounts still lists the account: it reads no keychain', async () => {
    const result = await run(['accounts', '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).accounts).toEqual([
      expect.objectContaining({ did: alice().did, store: 'keychain', default: true }),
    ])
    expect(result.ms).toBeLessThan(HANG_BOUND_MS)
  })
})

// Storing needs a default keyring; a daemon started without --unlock on a
// machine that never had a login keyring has none. Reading finds nothing
// there, so only storing (login) is in trouble.
describe('a keyring daemon with no keyring yet', () => {
  let bus: PrivateBus

  beforeAll(async () => {
    bus = await PrivateBus.start()
    await bus.startGnomeKeyring(null)
  })
  afterAll(async () => {
    await bus?.close()
  })

  it('login stops before the browser: exit 5 with the cause and the fix, nothing stored', async () => {
    await expectLoginRefused(bus.env(), {
      reason: 'no_default_keyring',
      message: /no default keyring/,
      hint: /^Create a default keyring/,
    })
  })
})

type Expected = Pick<Trouble, 'reason' | 'message' | 'hint'>

function expectTroubleReported(result: CliResult & { ms: number }, expected: Expected): void {
  expect(result.code, result.stdout + result.stderr).toBe(5)
  const { error } = JSON.parse(result.stdout)
  expect(error).toMatchObject({ code: 'keychain_unavailable', reason: expected.reason })
  expect(error.message).toMatch(/^Cannot use the Secret Service keyring: /)
  expect(error.message).toMatch(expected.message)
  expect(error.hint).toMatch(expected.hint)
  expect(error.hint).toContain('--insecure-storage')
  expect(result.ms).toBeLessThan(HANG_BOUND_MS)
}

/**
 * `login alice.test` proves the keychain works before anything else: in
 * trouble, it makes no authorization request, starts no browser and writes
 * no file of any kind.
 */
async function expectLoginRefused(env: Env, expected: Expected): Promise<void> {
  const freshConfig = await mkdtemp(join(tmpdir(), 'atoauth-fresh-config-'))
  try {
    const requestsBefore = e2e.sandbox.requests.length
    const started = Date.now()
    const { cli, browser } = await e2e.login('alice', {
      args: ['--json'],
      env: { ...env, ATOAUTH_CONFIG_DIR: freshConfig },
    })
    expectTroubleReported({ ...cli, ms: Date.now() - started }, expected)
    const requests = e2e.sandbox.requests.slice(requestsBefore)
    expect(requests.filter((r) => r.path.startsWith('/oauth/'))).toEqual([])
    expect(cli.stderr).not.toContain('/oauth/authorize')
    expect(browser.steps).toEqual([])
    expect(await listFiles(freshConfig)).toEqual([])
  } finally {
    await rm(freshConfig, { recursive: true, force: true })
  }
}

/**
 * Every file under a directory with its content, and every directory (a lock
 * is one): a failed command must leave them all as they were.
 */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {}
  for (const path of await listFiles(dir)) {
    entries[path] = await readFile(join(dir, path), 'utf8').catch(() => '(a directory)')
  }
  return entries
}
