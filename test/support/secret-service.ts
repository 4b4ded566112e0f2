// Private D-Bus session buses for putting the keychain in trouble, each with
// whatever is (or is not) on it: nothing, a real gnome-keyring (unlocked or
// locked), or a black hole that owns a name and never replies
// (dbus-test-tool, from Debian's dbus-tests). The bus has no service
// directories, so nothing is started behind the test's back, and every daemon
// lives in a temporary directory that close() removes after stopping them.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

const SECRET_SERVICE = 'org.freedesktop.secrets'
/** The name gnome-keyring asks to show its prompts (gcr's system prompter). */
export const SYSTEM_PROMPTER = 'org.gnome.keyring.SystemPrompter'

const READY_TIMEOUT_MS = 10_000

/** The environment of a process that has no D-Bus session bus to find. */
export async function noBusEnvironment(): Promise<{
  env: Record<string, string | undefined>
  close: () => Promise<void>
}> {
  // libdbus looks for $XDG_RUNTIME_DIR/bus when the address is unset: point
  // that at an empty directory so the person's own bus is not found either.
  const dir = await mkdtemp(join(tmpdir(), 'atoauth-nobus-'))
  return {
    env: { DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined, XDG_RUNTIME_DIR: dir },
    close: () => rm(dir, { recursive: true, force: true }),
  }
}

export class PrivateBus {
  readonly address: string
  readonly #dir: string
  /** Started last, stopped first. */
  readonly #daemons: ChildProcess[]

  private constructor(address: string, dir: string, daemon: ChildProcess) {
    this.address = address
    this.#dir = dir
    this.#daemons = [daemon]
  }

  /** A session bus of its own, with nothing on it. */
  static async start(): Promise<PrivateBus> {
    const dir = await mkdtemp(join(tmpdir(), 'atoauth-bus-'))
    await mkdir(join(dir, 'runtime'), { mode: 0o700 })
    const config = join(dir, 'bus.conf')
    await writeFile(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${join(dir, 'bus')}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
    )
    const daemon = spawn(
      'dbus-daemon',
      ['--config-file', config, '--nofork', '--print-address=1'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    )
    try {
      const address = await firstLine(daemon)
      return new PrivateBus(address, dir, daemon)
    } catch (err) {
      daemon.kill()
      await rm(dir, { recursive: true, force: true })
      throw err
    }
  }

  /** What a process needs to use this bus (and only this one). */
  env(): Record<string, string | undefined> {
    return {
      DBUS_SESSION_BUS_ADDRESS: this.address,
      DISPLAY: undefined,
      XDG_RUNTIME_DIR: join(this.#dir, 'runtime'),
      GNOME_KEYRING_CONTROL: undefined,
    }
  }

  /**
   * A real gnome-keyring on this bus, its files in this bus's directory. With
   * a password, it creates a login keyring with it and unlocks it (as a
   * desktop login does); with `null`, it starts with no keyring at all.
   */
  async startGnomeKeyring(password: string | null = 'atoauth-test'): Promise<void> {
    const home = join(this.#dir, 'keyring-home')
    await mkdir(home, { mode: 0o700 })
    const daemon = spawn(
      'gnome-keyring-daemon',
      ['--foreground', '--components=secrets', ...(password === null ? [] : ['--unlock'])],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
        env: {
          ...process.env,
          ...this.env(),
          HOME: home,
          XDG_DATA_HOME: join(home, 'data'),
          XDG_CONFIG_HOME: join(home, 'config'),
          XDG_CACHE_HOME: join(home, 'cache'),
        },
      },
    )
    this.#daemons.unshift(daemon)
    // --unlock reads the password from stdin, up to its end.
    daemon.stdin?.end(password ?? '')
    await this.#waitForName(SECRET_SERVICE, daemon)
  }

  /**
   * A process that owns `name` and takes every call to it without ever
   * replying: a Secret Service, or a prompter, that is stuck.
   */
  async startBlackHole(name: string): Promise<void> {
    const daemon = spawn('dbus-test-tool', ['black-hole', '--session', `--name=${name}`], {
      stdio: 'ignore',
      env: { ...process.env, ...this.env() },
    })
    this.#daemons.unshift(daemon)
    await this.#waitForName(name, daemon)
  }

  /**
   * Locks the default collection (where atoauth's entries go), as a screen
   * lock or an idle timeout would.
   */
  async lockKeyring(): Promise<void> {
    const alias = await this.#secretService('org.freedesktop.Secret.Service.ReadAlias', 'default')
    const collection = alias.match(/'(\/org\/freedesktop\/secrets\/collection\/[^']+)'/)?.[1]
    if (!collection) throw new Error(`the Secret Service has no default collection: ${alias}`)
    await this.#secretService('org.freedesktop.Secret.Service.Lock', `['${collection}']`)
    const locked = await this.#gdbus([
      '--dest',
      SECRET_SERVICE,
      '--object-path',
      collection,
      '--method',
      'org.freedesktop.DBus.Properties.Get',
      'org.freedesktop.Secret.Collection',
      'Locked',
    ])
    if (!locked.includes('true')) throw new Error(`${collection} did not lock: ${locked}`)
  }

  /** The value the Secret Service on this bus holds for an atoauth account, if any. */
  async keychainEntry(account: string): Promise<string | undefined> {
    const script = `
      const { AsyncEntry } = await import('@napi-rs/keyring')
      const entry = new AsyncEntry('atoauth', process.argv[1], { linux: { store: 'secret-service' } })
      process.stdout.write(JSON.stringify(await entry.getPassword()))`
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '--eval', script, account],
      { env: { ...process.env, ...this.env() }, cwd: import.meta.dirname },
    )
    return JSON.parse(stdout) ?? undefined
  }

  async close(): Promise<void> {
    for (const daemon of this.#daemons.splice(0)) await stop(daemon)
    await rm(this.#dir, { recursive: true, force: true })
  }

  async #secretService(method: string, ...args: string[]): Promise<string> {
    return this.#gdbus([
      '--dest',
      SECRET_SERVICE,
      '--object-path',
      '/org/freedesktop/secrets',
      '--method',
      method,
      ...args,
    ])
  }

  async #gdbus(args: string[]): Promise<string> {
    const { stdout } = await run('gdbus', ['call', '--session', '--timeout', '5', ...args], {
      env: { ...process.env, ...this.env() },
    })
    return stdout
  }

  async #waitForName(name: string, daemon: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (Date.now() < deadline) {
      if (daemon.exitCode !== null)
        throw new Error(`${daemon.spawnfile} exited before owning ${name}`)
      const owned = await this.#gdbus([
        '--dest',
        'org.freedesktop.DBus',
        '--object-path',
        '/org/freedesktop/DBus',
        '--method',
        'org.freedesktop.DBus.NameHasOwner',
        name,
      ]).catch(() => '')
      if (owned.includes('true')) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`nothing owned ${name} on the private bus within ${READY_TIMEOUT_MS} ms`)
  }
}

/** The bus address dbus-daemon prints once it listens. */
function firstLine(daemon: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => reject(new Error('dbus-daemon did not start')), READY_TIMEOUT_MS)
    daemon.once('error', reject)
    daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code})`)))
    daemon.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const newline = text.indexOf('\n')
      if (newline >= 0) {
        clearTimeout(timer)
        resolve(text.slice(0, newline).trim())
      }
    })
  })
}

/** Stops a daemon and waits until it is gone (SIGKILL if SIGTERM is ignored). */
async function stop(daemon: ChildProcess): Promise<void> {
  if (daemon.exitCode !== null || daemon.signalCode !== null) return
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()))
  daemon.kill('SIGTERM')
  const killLater = setTimeout(() => daemon.kill('SIGKILL'), 3_000)
  await exited
  clearTimeout(killLater)
}
