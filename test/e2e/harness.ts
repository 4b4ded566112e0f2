// Runs the built atoauth binary against a real local sandbox (PLC + PDS),
// with headless Chromium as the browser and whatever Secret Service the test
// process sees. Every run's output and dirs are noted, so that after each test
// no token the server issued, nor DPoP key seen in a store, may be found in
// them (test/support/leak-check.ts).
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { quote } from 'shell-quote'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { atoauthEnv, readJson, type Sandbox, startSandbox } from '../sandbox/sandbox.ts'
import type { ConsentOutcome } from '../support/consent-browser.ts'
import { LeakCheck } from '../support/leak-check.ts'
import { type CliResult, LiveRun } from '../support/live-run.ts'
import {
  deleteKeychainEntry,
  insecureSessionFile,
  keychainEntry,
  type StoredSession,
} from '../support/stored-sessions.ts'

export const ROOT = resolve(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/atoauth.js')
const CONSENT_BROWSER = join(ROOT, 'test/support/consent-browser.ts')
export const HOSTED_DOCUMENT_PATH = join(ROOT, 'client-metadata/oauth-client-metadata.json')
export const HOSTED_CLIENT_ID = 'https://atoauth.github.io/oauth-client-metadata.json'

export * from '../support/stored-sessions.ts'
export type { CliResult, LiveRun }

export type BrowserRunOptions = {
  /** What to log in with (default: the account's handle). */
  identifier?: string
  args?: string[]
  action?: 'allow' | 'deny'
  env?: Record<string, string | undefined>
}

/**
 * Starts one sandbox for the whole test file, optionally signs an account in
 * first, and after every test stops what it left running and checks that no
 * secret was printed or left in a config or cache dir. Returns the E2E of the file, usable
 * from the first hook on: `const e2e = useE2E({ loginAs: 'alice' })`.
 */
export function useE2E(options: { loginAs?: string } = {}): E2E {
  let started: E2E | undefined
  beforeAll(async () => {
    started = await E2E.start()
    if (options.loginAs) {
      const { cli } = await started.login(options.loginAs)
      expect(cli.code, cli.stderr).toBe(0)
    }
  })
  afterEach(async () => {
    await started?.stopLeftovers()
    started?.expectNoSecretsPrinted()
    await started?.leaks.expectNoneInFiles()
  })
  afterAll(async () => {
    await started?.close()
  })
  // The instance exists only once beforeAll ran: forward to it then.
  return new Proxy({} as E2E, {
    get(_, property) {
      if (!started) throw new Error('the e2e sandbox is used before it started')
      const value = Reflect.get(started, property, started)
      return typeof value === 'function' ? value.bind(started) : value
    },
  })
}

export class E2E {
  readonly sandbox: Sandbox
  readonly configDir: string
  readonly leaks: LeakCheck
  readonly #workDir: string
  /** Processes from start() still running: a failed test must not leave them behind. */
  readonly #running = new Set<LiveRun>()

  private constructor(sandbox: Sandbox, workDir: string) {
    this.sandbox = sandbox
    this.#workDir = workDir
    this.configDir = join(workDir, 'config')
    const dids = () => Object.values(sandbox.accounts).map((a) => a.did)
    this.leaks = new LeakCheck(() => sandbox.issuedTokens, dids)
  }

  static async start(): Promise<E2E> {
    const document = (await readJson(HOSTED_DOCUMENT_PATH)) as { client_id: string }
    const sandbox = await startSandbox({ clientMetadata: { [document.client_id]: document } })
    return new E2E(sandbox, await mkdtemp(join(tmpdir(), 'atoauth-e2e-')))
  }

  /** The environment a person would have, pointed at the sandbox. */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return {
      ...atoauthEnv(this.sandbox, {
        configDir: this.configDir,
        cacheDir: join(this.#workDir, 'cache'),
      }),
      ATOAUTH_BROWSER: `${process.execPath} ${CONSENT_BROWSER}`,
      NO_COLOR: '1',
      ...extra,
    }
  }

  /**
   * Runs `atoauth ...args` as a child process, asynchronously (the PDS lives
   * in this process). Without `input`, stdin stays an open, silent pipe, as
   * in a script: a command that waited on it would hang the test.
   * `printsSecret` marks the one kind of run allowed to print a session (an
   * explicit export to stdout): its output is left out of the secrets check.
   */
  async run(
    args: string[],
    env: NodeJS.ProcessEnv = this.env(),
    options: { input?: string; printsSecret?: boolean } = {},
  ): Promise<CliResult> {
    const { input } = options
    this.leaks.noteRun(args, env)
    const result = await new Promise<CliResult>((done) => {
      const child = execFile(
        process.execPath,
        [BIN, ...args],
        { env, timeout: 90_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
          done({ code, stdout, stderr })
        },
      )
      if (input !== undefined) child.stdin?.end(input)
    })
    this.leaks.outputs.push(
      ...(options.printsSecret ? [result.stderr] : [result.stdout, result.stderr]),
    )
    await this.collectSecrets()
    return result
  }

  /**
   * Starts `atoauth ...args` and hands back control while it runs: to read
   * its output as it comes, type into it, or signal it. With `terminal`, it
   * runs on a pseudo-terminal (util-linux `script`), as for a person at a
   * keyboard: stdin and stderr are TTYs, and output arrives merged on stdout.
   */
  start(args: string[], env: NodeJS.ProcessEnv = this.env(), options: { terminal?: boolean } = {}) {
    const command = [process.execPath, BIN, ...args]
    // A pty from `script` starts with no size; give it a real terminal's.
    const sized = `stty cols 100 rows 30; exec ${quote(command)}`
    const child = options.terminal
      ? spawn('script', ['-qfec', sized, '/dev/null'], { env, stdio: 'pipe' })
      : spawn(command[0] as string, command.slice(1), { env, stdio: 'pipe' })
    const live = new LiveRun(child)
    this.leaks.noteRun(args, env)
    this.#running.add(live)
    live.done.then((result) => {
      this.#running.delete(live)
      this.leaks.outputs.push(result.stdout, result.stderr)
    })
    return live
  }

  /**
   * Runs the consent browser on its own, as a person on another device would.
   * That device cannot reach this machine's 127.0.0.1 unless `tunnel` (an
   * `ssh -L` forward) says it can; otherwise the outcome holds the callback
   * URL the browser was sent to.
   */
  async browseElsewhere(
    url: string,
    account: string,
    options: { tunnel?: boolean } = {},
  ): Promise<ConsentOutcome> {
    const log = join(this.#workDir, `consent-${Date.now()}-${Math.random()}.json`)
    await new Promise<void>((done) => {
      execFile(
        process.execPath,
        [CONSENT_BROWSER, url],
        {
          env: {
            ...process.env,
            CONSENT_PASSWORD: this.sandbox.accounts[account]?.password,
            CONSENT_IDENTIFIER: this.sandbox.accounts[account]?.handle,
            CONSENT_REMOTE: options.tunnel ? '0' : '1',
            CONSENT_LOG: log,
          },
          timeout: 60_000,
        },
        () => done(),
      )
    })
    const outcome = await waitForConsentLog(log, true)
    this.leaks.outputs.push(JSON.stringify(outcome))
    return outcome
  }

  /**
   * Logs in through the real consent page. Returns the CLI result and what
   * the browser saw on the callback page.
   */
  async login(
    account: string,
    options: BrowserRunOptions = {},
  ): Promise<{ cli: CliResult; browser: ConsentOutcome }> {
    const identifier = options.identifier ?? `${account}.test`
    const args = ['login', identifier, '--timeout', '60', ...(options.args ?? [])]
    return this.runWithBrowser(args, account, options)
  }

  /** Runs a command that signs in through the consent page, as `account`. */
  async runWithBrowser(
    args: string[],
    account: string,
    options: Omit<BrowserRunOptions, 'args' | 'identifier'> = {},
  ): Promise<{ cli: CliResult; browser: ConsentOutcome }> {
    const log = join(this.#workDir, `consent-${Date.now()}-${Math.random()}.json`)
    const cli = await this.run(
      args,
      this.env({
        CONSENT_PASSWORD: this.sandbox.accounts[account]?.password,
        CONSENT_IDENTIFIER: this.sandbox.accounts[account]?.handle,
        CONSENT_ACTION: options.action ?? 'allow',
        CONSENT_LOG: log,
        ...options.env,
      }),
    )
    const browser = await waitForConsentLog(log, cli.stderr.includes('/oauth/authorize'))
    this.leaks.outputs.push(JSON.stringify(browser))
    return { cli, browser }
  }

  /** The stored session of an account, from the keychain or the file store. */
  async storedSession(did: string): Promise<StoredSession | undefined> {
    const fromKeychain = await keychainEntry(did)
    if (fromKeychain) return JSON.parse(fromKeychain)
    const file = insecureSessionFile(this.configDir, did)
    const fromFile = await readFile(file, 'utf8').catch(() => undefined)
    return fromFile ? JSON.parse(fromFile) : undefined
  }

  /** Remembers every secret currently stored, so later output can be checked against it. */
  async collectSecrets(): Promise<void> {
    for (const account of Object.values(this.sandbox.accounts)) {
      const session = await this.storedSession(account.did)
      if (session) this.rememberSecrets(session)
    }
  }

  /** Adds the secrets of a session kept elsewhere (an exported blob) to the checked ones. */
  rememberSecrets(session: StoredSession): void {
    this.leaks.rememberSession(session)
  }

  /**
   * An exported-session blob (the ATOAUTH_SESSION format) around a stored
   * session, for replaying a copy of it.
   */
  blobFor(name: string, session: StoredSession): string {
    const account = this.sandbox.accounts[name]!
    return JSON.stringify({
      atoauthSession: 1,
      did: account.did,
      handle: account.handle,
      pds: `${this.sandbox.pdsUrl}/`,
      issuer: `${this.sandbox.pdsUrl}/`,
      clientId: HOSTED_CLIENT_ID,
      scope: 'atproto transition:generic',
      loginAt: new Date().toISOString(),
      session,
    })
  }

  /** No token the server issued, nor DPoP private key seen in a store, was ever printed. */
  expectNoSecretsPrinted(): void {
    this.leaks.expectNonePrinted()
  }

  /** Kills what start() left running (a test that failed half-way). */
  async stopLeftovers(): Promise<void> {
    const left = [...this.#running]
    for (const live of left) live.kill('SIGKILL')
    await Promise.all(left.map((live) => live.done))
  }

  async close(): Promise<void> {
    await this.stopLeftovers()
    for (const account of Object.values(this.sandbox.accounts)) {
      await deleteKeychainEntry(account.did)
    }
    await this.sandbox.close()
    await rm(this.#workDir, { recursive: true, force: true })
  }
}

/**
 * The CLI can exit as soon as it has answered the callback, while the browser
 * is still reading the page: wait for the browser's log when it was started.
 */
async function waitForConsentLog(path: string, browserStarted: boolean): Promise<ConsentOutcome> {
  const deadline = Date.now() + (browserStarted ? 15_000 : 0)
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => undefined)
    if (text) return JSON.parse(text)
    if (Date.now() >= deadline) return { ok: false, steps: [] }
    await new Promise((r) => setTimeout(r, 100))
  }
}
