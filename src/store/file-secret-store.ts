// The opt-in plaintext store (--insecure-storage / ATOAUTH_STORE=file): one
// 0600 file per account in a 0700 folder, each replaced atomically.
import { randomBytes } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomically } from './atomic-write.js'
import type { SecretStore } from './secret-store.js'

export class FileSecretStore implements SecretStore {
  readonly kind = 'file'
  readonly location: string

  constructor(configDir: string) {
    this.location = join(configDir, 'insecure-sessions')
  }

  async get(account: string): Promise<string | undefined> {
    return readFile(this.#path(account), 'utf8').catch((err) => {
      if (err.code === 'ENOENT') return undefined
      throw err
    })
  }

  async set(account: string, value: string): Promise<void> {
    await writeFileAtomically(this.#path(account), value)
  }

  async delete(account: string): Promise<void> {
    await rm(this.#path(account), { force: true })
  }

  async probe(): Promise<void> {
    const account = `probe-${randomBytes(6).toString('hex')}`
    await this.set(account, 'probe')
    await this.delete(account)
  }

  #path(account: string): string {
    return join(this.location, `${encodeURIComponent(account)}.json`)
  }
}
