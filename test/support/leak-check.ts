// Where an e2e test's secrets must never turn up: anything atoauth printed,
// and any file in the config and cache dirs the test's runs used. The secrets
// are every token the authorization server issued (rotated and revoked ones
// too: the sandbox notes them as it sends them) and every DPoP private key
// seen in a store (the server never sees those).
import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { expect } from 'vitest'
import { insecureSessionFile } from './stored-sessions.ts'

type Session = {
  dpopJwk: { d?: string }
  tokenSet: { access_token: string; refresh_token?: string }
}

export class LeakCheck {
  readonly outputs: string[] = []
  readonly #keptSecrets = new Set<string>()
  readonly #dirs = new Set<string>()
  /** Files a test asked to hold a session: exported ones and the plaintext store's. */
  readonly #sessionFiles = new Set<string>()
  readonly #issuedTokens: () => readonly string[]
  readonly #dids: () => string[]

  /** `issuedTokens`: the server's; `dids`: whose plaintext-store files are sessions. */
  constructor(issuedTokens: () => readonly string[], dids: () => string[]) {
    this.#issuedTokens = issuedTokens
    this.#dids = dids
  }

  /** Adds the secrets of a session seen in a store or in an exported blob. */
  rememberSession(session: Session): void {
    const { tokenSet, dpopJwk } = session
    for (const secret of [tokenSet.access_token, tokenSet.refresh_token, dpopJwk.d]) {
      if (typeof secret === 'string' && secret.length >= 16) this.#keptSecrets.add(secret)
    }
  }

  /**
   * Notes the dirs a run of `atoauth args` uses, and the session files it was
   * asked for: `--out <file>`, ATOAUTH_SESSION_FILE, the plaintext store's.
   */
  noteRun(args: readonly string[], env: NodeJS.ProcessEnv): void {
    const { ATOAUTH_CONFIG_DIR: config, ATOAUTH_CACHE_DIR: cache } = env
    for (const dir of [config, cache]) if (dir) this.#dirs.add(resolve(dir))
    const out = args.indexOf('--out')
    if (out >= 0 && args[out + 1]) this.#sessionFiles.add(resolve(args[out + 1] as string))
    if (env.ATOAUTH_SESSION_FILE) this.#sessionFiles.add(resolve(env.ATOAUTH_SESSION_FILE))
    if (config) {
      for (const did of this.#dids()) {
        this.#sessionFiles.add(resolve(insecureSessionFile(config, did)))
      }
    }
  }

  /** No secret was printed. */
  expectNonePrinted(): void {
    const secrets = this.#secrets()
    expect(secrets.length).toBeGreaterThan(0)
    for (const output of this.outputs) {
      const found = secrets.find((secret) => output.includes(secret))
      if (found) throw new Error(`a secret (${found.slice(0, 6)}…) was printed`)
    }
  }

  /** No file in a config or cache dir in use holds a secret, but the session files asked for. */
  async expectNoneInFiles(): Promise<void> {
    const secrets = this.#secrets()
    for (const dir of this.#dirs) {
      for (const name of await readdir(dir, { recursive: true }).catch(() => [])) {
        const path = join(dir, name)
        if (this.#sessionFiles.has(path)) continue
        const text = await readFile(path, 'latin1').catch(() => '')
        const found = secrets.find((secret) => text.includes(secret))
        if (found) throw new Error(`a secret (${found.slice(0, 6)}…) is in ${path}`)
      }
    }
  }

  #secrets(): string[] {
    return [...new Set([...this.#keptSecrets, ...this.#issuedTokens()])]
  }
}
