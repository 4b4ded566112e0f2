// Runs the built atoauth binary against a real local sandbox (PLC + PDS),
// with headless Chromium as the browser and whatever Secret Service the test
// process sees. Every run's output is kept, so that each test can check that
// no secret it ever saw in a store was printed.
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { AsyncEntry } from '@napi-rs/keyring'
import { quote } from 'shell-quote'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { atoauthEnv, readJson, type Sandbox, startSandbox } from '../sandbox/sandbox.ts'
import type { ConsentOutcome } from '../support/consent-browser.ts'

export const ROOT = resolve(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/atoauth.js')
const CONSENT_BROWSER = join(ROOT, 'test/support/consent-browser.ts')
export const HOSTED_DOCUMENT_PATH = join(ROOT, 'client-metadata/oauth-client-metadata.json')
export const HOSTED_CLIENT_ID = 'https://atoauth.github.io/oauth-client-metadata.json'

export type CliResult = { code: number; stdout: string; stderr: string }

export type BrowserRunOptions = {
  args?: string[]
  action?: 'allow' | 'deny'
  env?: Record<string, string | undefined>
}

/**
 * Starts one sandbox for the whole test file, optionally signs an account in
 * first, and after every test stops what it left running and checks that no
 * secret the stores ever held was printed. Returns the E2E of the file, usable
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
  readonly #outputs: string[] = []
  readonly #secrets = new Set<string>()
  readonly #workDir: string
  /** Processes from start() still running: a failed test must not leave them behind. */
  readonly #running = new Set<LiveRun>()

  private constructor(sandbox: Sandbox, workDir: string) {
    this.sandbox = sandbox
    this.#workDir = workDir
    this.configDir = join(workDir, 'config')
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
    this.#outputs.push(...(options.printsSecret ? [result.stderr] : [result.stdout, result.stderr]))
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
    this.#running.add(live)
    live.done.then((result) => {
      this.#running.delete(live)
      this.#outputs.push(result.stdout, result.stderr)
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
            CONSENT_REMOTE: options.tunnel ? '0' : '1',
            CONSENT_LOG: log,
          },
          timeout: 60_000,
        },
        () => done(),
      )
    })
    const outcome = await waitForConsentLog(log, true)
    this.#outputs.push(JSON.stringify(outcome))
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
    const args = ['login', `${account}.test`, '--timeout', '60', ...(options.args ?? [])]
    return this.runWithBrowser(args, account, options)
  }

  /** Runs a command that signs in through the consent page, as `account`. */
  async runWithBrowser(
    args: string[],
    account: string,
    options: Omit<BrowserRunOptions, 'args'> = {},
  ): Promise<{ cli: CliResult; browser: ConsentOutcome }> {
    const log = join(this.#workDir, `consent-${Date.now()}-${Math.random()}.json`)
    const cli = await this.run(
      args,
      this.env({
        CONSENT_PASSWORD: this.sandbox.accounts[account]?.password,
        CONSENT_ACTION: options.action ?? 'allow',
        CONSENT_LOG: log,
        ...options.env,
      }),
    )
    const browser = await waitForConsentLog(log, cli.stderr.includes('/oauth/authorize'))
    this.#outputs.push(JSON.stringify(browser))
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
    for (const secret of secretsOf(session)) this.#secrets.add(secret)
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

  /** Everything printed so far, for checks beyond secrets. */
  get outputs(): readonly string[] {
    return this.#outputs
  }

  /** No token or DPoP private key seen in any store was ever printed. */
  expectNoSecretsPrinted(): void {
    expect(this.#secrets.size).toBeGreaterThan(0)
    for (const output of this.#outputs) {
      for (const secret of this.#secrets) {
        if (output.includes(secret)) {
          throw new Error(`a secret (${secret.slice(0, 6)}…) was printed`)
        }
      }
    }
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
      await new AsyncEntry('atoauth', account.did, { linux: { store: 'secret-service' } })
        .deleteCredential()
        .catch(() => {})
    }
    await this.sandbox.close()
    await rm(this.#workDir, { recursive: true, force: true })
  }
}

export type StoredSession = {
  dpopJwk: { d?: string; [k: string]: unknown }
  tokenSet: { access_token: string; refresh_token?: string; expires_at?: string; sub: string }
}

function secretsOf(session: StoredSession): string[] {
  return [session.tokenSet.access_token, session.tokenSet.refresh_token, session.dpopJwk.d].filter(
    (s): s is string => typeof s === 'string' && s.length >= 16,
  )
}

/** A running atoauth process: its output so far, its input, and its end. */
export class LiveRun {
  stdout = ''
  stderr = ''
  readonly done: Promise<CliResult>
  readonly #child: ReturnType<typeof spawn>

  constructor(child: ReturnType<typeof spawn>) {
    this.#child = child
    child.stdout?.on('data', (chunk) => {
      this.stdout += chunk
    })
    child.stderr?.on('data', (chunk) => {
      this.stderr += chunk
    })
    this.done = new Promise((resolve) => {
      child.on('close', (code, signal) =>
        resolve({ code: code ?? (signal ? -1 : 0), stdout: this.stdout, stderr: this.stderr }),
      )
    })
  }

  get output(): string {
    return this.stdout + this.stderr
  }

  /** Waits until the output so far matches, and returns the match. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const match = this.output.match(pattern)
      if (match) return match
      if (Date.now() > deadline) {
        throw new Error(`no ${pattern} in the output within ${timeoutMs} ms:\n${this.output}`)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  write(text: string): void {
    this.#child.stdin?.write(text)
  }

  endInput(): void {
    this.#child.stdin?.end()
  }

  /** Signals the process (on a pseudo-terminal, `script`, which passes it on). */
  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal)
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

/** Where the opt-in plaintext store keeps an account's session. */
export function insecureSessionFile(configDir: string, did: string): string {
  return join(configDir, 'insecure-sessions', `${encodeURIComponent(did)}.json`)
}

export async function keychainEntry(did: string): Promise<string | undefined> {
  const entry = new AsyncEntry('atoauth', did, { linux: { store: 'secret-service' } })
  return (await entry.getPassword()) ?? undefined
}

export async function setKeychainEntry(did: string, value: string): Promise<void> {
  await new AsyncEntry('atoauth', did, { linux: { store: 'secret-service' } }).setPassword(value)
}

/**
 * The same session with an access token that looks expired, so the next
 * command must refresh it (the PDS still honours the token; only the client
 * side decides to refresh).
 */
export function withStaleAccessToken<T extends StoredSession>(session: T): T {
  const expired = new Date(Date.now() - 60_000).toISOString()
  return { ...session, tokenSet: { ...session.tokenSet, expires_at: expired } }
}

/**
 * How many token refreshes the PDS granted since `from` (an index into its
 * request log). A refresh may take two requests: the first one only fetches
 * a DPoP nonce (400 use_dpop_nonce).
 */
export function refreshesSince(sandbox: Sandbox, from: number): number {
  return sandbox.requests
    .slice(from)
    .filter((r) => r.method === 'POST' && r.path === '/oauth/token' && r.status === 200).length
}

export async function listFiles(dir: string): Promise<string[]> {
  return readdir(dir, { recursive: true }).catch(() => [])
}
