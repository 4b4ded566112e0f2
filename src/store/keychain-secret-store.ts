// Session secrets in the OS keychain, one entry per account. A value longer
// than one entry can hold (Windows: 2560 bytes) is split over several entries,
// with a header entry that is written last: a reader sees the old value or the
// new one, never a half-written mix.
import { createHash, randomBytes } from 'node:crypto'
import { AtoauthError, ExitCode } from '../errors.js'
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
    const stored = await this.#keyring.get(account)
    const header = stored === undefined ? undefined : parseHeader(stored)
    if (!header) return stored
    const chunks: string[] = []
    for (let i = 0; i < header.count; i++) {
      const chunk = await this.#keyring.get(chunkAccount(account, header.generation, i))
      if (chunk === undefined) throw corrupted(account)
      chunks.push(chunk)
    }
    const value = chunks.join('')
    if (digest(value) !== header.digest) throw corrupted(account)
    return value
  }

  async set(account: string, value: string): Promise<void> {
    const previous = await this.#readHeader(account)
    const max = this.#keyring.maxValueLength
    if (value.length <= max && !value.startsWith(HEADER_PREFIX)) {
      await this.#keyring.set(account, value)
    } else {
      const header: ChunkHeader = {
        generation: randomBytes(4).toString('hex'),
        count: Math.ceil(value.length / max),
        digest: digest(value),
      }
      try {
        for (let i = 0; i < header.count; i++) {
          const chunk = value.slice(i * max, (i + 1) * max)
          await this.#keyring.set(chunkAccount(account, header.generation, i), chunk)
        }
      } catch (err) {
        await this.#deleteChunks(account, header)
        throw err
      }
      await this.#keyring.set(account, formatHeader(header))
    }
    if (previous) await this.#deleteChunks(account, previous)
  }

  async delete(account: string): Promise<void> {
    const header = await this.#readHeader(account)
    if (header) await this.#deleteChunks(account, header)
    await this.#keyring.delete(account)
  }

  async probe(): Promise<void> {
    const account = `probe-${randomBytes(6).toString('hex')}`
    const value = randomBytes(16).toString('hex')
    await this.#keyring.set(account, value)
    try {
      const readBack = await this.#keyring.get(account)
      if (readBack !== value) {
        throw new AtoauthError(
          'keychain_unavailable',
          `${this.location} did not return what was stored.`,
          {
            exitCode: ExitCode.storageUnavailable,
          },
        )
      }
    } finally {
      await this.#keyring.delete(account)
    }
  }

  async #readHeader(account: string): Promise<ChunkHeader | undefined> {
    const stored = await this.#keyring.get(account)
    return stored === undefined ? undefined : parseHeader(stored)
  }

  async #deleteChunks(account: string, header: ChunkHeader): Promise<void> {
    for (let i = 0; i < header.count; i++) {
      await this.#keyring.delete(chunkAccount(account, header.generation, i)).catch(() => {})
    }
  }
}

function chunkAccount(account: string, generation: string, index: number): string {
  return `${account}#${generation}.${index}`
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

function formatHeader({ generation, count, digest }: ChunkHeader): string {
  return `${HEADER_PREFIX}${generation}:${count}:${digest}`
}

function parseHeader(stored: string): ChunkHeader | undefined {
  if (!stored.startsWith(HEADER_PREFIX)) return undefined
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
