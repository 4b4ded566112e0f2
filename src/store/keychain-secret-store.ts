// Session secrets in the OS keychain, one entry per account. A value longer than one entry holds
// (Windows: 2560 bytes) is split over several, with a header entry that is written last: a reader
// sees the old value or the new one, never a half-written mix. A 6 KB session (tokens, a DPoP key)
// thus fits Windows too. "Not found", should the library report it as an error, is no entry.
import { createHash, randomBytes } from 'node:crypto'
import { AtoauthError, ExitCode } from '../errors.js'
import { isMissingEntry } from './keychain-trouble.js'
import type { Keyring } from './native-keyring.js'
import type { SecretStore } from './secret-store.js'

const HEADER_PREFIX = 'atoauth-chunked:v1:'

type ChunkHeader = { generation: string; count: number; digest: string }

export class KeychainSecretStore implements SecretStore {
  readonly kind = 'keychain'
  readonly location: string
  readonly #keyring: Keyring

  constructor(keyring: Keyring) {
    this.#keyring = keyring
    this.location = keyring.description
  }

  async get(account: string): Promise<string | undefined> {
    const stored = await this.#read(account)
    const header = parseHeader(stored)
    if (!header) return stored
    let value = ''
    for (const chunkName of chunkAccounts(account, header)) {
      const chunk = await this.#read(chunkName)
      if (chunk === undefined) throw corrupted(account)
      value += chunk
    }
    if (digest(value) !== header.digest) throw corrupted(account)
    return value
  }

  async set(account: string, value: string): Promise<void> {
    const previous = parseHeader(await this.#read(account))
    const max = this.#keyring.maxValueLength
    if (value.length <= max && !value.startsWith(HEADER_PREFIX)) {
      await this.#keyring.set(account, value)
    } else {
      const generation = randomBytes(4).toString('hex')
      const count = Math.ceil(value.length / max)
      const header = { generation, count, digest: digest(value) }
      try {
        for (const [i, chunkName] of [...chunkAccounts(account, header)].entries()) {
          await this.#keyring.set(chunkName, value.slice(i * max, (i + 1) * max))
        }
      } catch (err) {
        await this.#deleteChunks(account, header)
        throw err
      }
      await this.#keyring.set(account, `${HEADER_PREFIX}${generation}:${count}:${header.digest}`)
    }
    if (previous) await this.#deleteChunks(account, previous)
  }

  async delete(account: string): Promise<void> {
    const header = parseHeader(await this.#read(account))
    if (header) await this.#deleteChunks(account, header)
    await this.#keyring.delete(account).catch(unlessMissing)
  }

  async probe(): Promise<void> {
    const account = `probe-${randomBytes(6).toString('hex')}`
    const value = randomBytes(16).toString('hex')
    await this.#keyring.set(account, value)
    try {
      if ((await this.#keyring.get(account)) !== value) {
        const message = `${this.location} did not return what was stored.`
        const exitCode = ExitCode.storageUnavailable
        throw new AtoauthError('keychain_unavailable', message, { exitCode })
      }
    } finally {
      await this.#keyring.delete(account)
    }
  }

  async #read(account: string): Promise<string | undefined> {
    return this.#keyring.get(account).catch((err) => unlessMissing(err))
  }

  async #deleteChunks(account: string, header: ChunkHeader): Promise<void> {
    for (const chunkName of chunkAccounts(account, header)) {
      await this.#keyring.delete(chunkName).catch(() => {})
    }
  }
}

function unlessMissing(err: unknown): undefined {
  if (isMissingEntry(err)) return undefined
  throw err
}

function* chunkAccounts(account: string, { generation, count }: ChunkHeader) {
  for (let i = 0; i < count; i++) yield `${account}#${generation}.${i}`
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

function parseHeader(stored: string | undefined): ChunkHeader | undefined {
  if (!stored?.startsWith(HEADER_PREFIX)) return undefined
  const [generation, count, digest] = stored.slice(HEADER_PREFIX.length).split(':')
  const n = Number(count)
  if (!generation || !digest || !Number.isInteger(n) || n < 1) return undefined
  return { generation, count: n, digest }
}

function corrupted(account: string): AtoauthError {
  return new AtoauthError('keychain_corrupt', `The keychain entry for ${account} is incomplete.`, {
    hint: 'Log in again to replace it: atoauth login <handle>',
    exitCode: ExitCode.authRequired,
  })
}
