// A session handed over in ATOAUTH_SESSION (the exported blob) or ATOAUTH_SESSION_FILE (a file
// holding it), not the keychain and account index. Refresh tokens are single-use: when they rotate,
// the file is rewritten so the next run has them; a variable cannot be, so it is reported stale.
import { constants } from 'node:fs'
import { access, readFile, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { NodeSavedSession, NodeSavedSessionStore } from '@atproto/oauth-client-node'
import { suggestCommand } from '../errors/suggested-command.js'
import { AtoauthError, describeCause, ExitCode, NotLoggedInError } from '../errors.js'
import type { ExportedSessionSource } from '../settings.js'
import { type AccountIdentity, identityOf } from './account-index.js'
import { writeFileAtomically } from './atomic-write.js'
import { formatSessionBlob, parseSessionBlob, type SessionBlob } from './session-blob.js'

type Events = { warn(message: string): void }

export class ExportedSessionStore implements NodeSavedSessionStore {
  readonly source: ExportedSessionSource
  readonly #events: Events
  #blob: SessionBlob
  #warnedStale = false

  private constructor(source: ExportedSessionSource, blob: SessionBlob, events: Events) {
    this.source = source
    this.#blob = blob
    this.#events = events
  }

  static async open(source: ExportedSessionSource, events: Events): Promise<ExportedSessionStore> {
    if (source.kind === 'session-env') {
      const blob = parseSessionBlob(source.text, source.variable)
      return new ExportedSessionStore(source, blob, events)
    }
    const { path } = source
    const blob = await readBlobFile(path)
    if (!blob) {
      throw new NotLoggedInError(
        `ATOAUTH_SESSION_FILE points at ${path}, which does not exist (a session that ended is deleted).`,
        'Create a session file with: atoauth session create <handle> --out <file>',
      )
    }
    // Rotated tokens are written by a rename in this directory; if that failed, the client would
    // revoke the session: find out first.
    await access(dirname(path), constants.W_OK).catch(() => {
      const message = `ATOAUTH_SESSION_FILE (${path}) is in a directory atoauth cannot write to, and it must replace the file when the tokens rotate.`
      const hint =
        'Copy the file into a writable directory, or pass the blob in ATOAUTH_SESSION instead.'
      throw new AtoauthError('invalid_session', message, { hint, exitCode: ExitCode.usage })
    })
    if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) {
      events.warn(
        suggestCommand`${path} holds a secret but other users may read it: chmod 600 ${path}`,
      )
    }
    return new ExportedSessionStore(source, blob, events)
  }

  get account(): AccountIdentity {
    return identityOf(this.#blob)
  }

  get description(): string {
    return this.source.kind === 'session-env'
      ? this.source.variable
      : `ATOAUTH_SESSION_FILE (${this.source.path})`
  }

  async get(did: string): Promise<NodeSavedSession | undefined> {
    // Read afresh: inside the refresh lock, another process may just have rotated the tokens.
    if (this.source.kind === 'session-file') {
      const blob = await readBlobFile(this.source.path)
      if (!blob) return undefined
      this.#blob = blob
    }
    return did === this.#blob.did ? this.#blob.session : undefined
  }

  async set(did: string, session: NodeSavedSession): Promise<void> {
    if (did !== this.#blob.did) throw new Error(`this store only holds the session of ${did}`)
    this.#blob = { ...this.#blob, session }
    if (this.source.kind === 'session-file') {
      await writeFileAtomically(this.source.path, formatSessionBlob(this.#blob))
    } else if (!this.#warnedStale) {
      this.#warnedStale = true
      this.#events.warn(
        `the session in ${this.source.variable} was refreshed just now, so the refresh token in ` +
          'that variable is spent and its value is stale: the next process that refreshes from it ' +
          'will end the session. To keep a CI session fresh, keep it in a file and point ' +
          'ATOAUTH_SESSION_FILE at it (atoauth rewrites the file when the tokens rotate), ' +
          'or export a new one.',
      )
    }
  }

  async del(did: string): Promise<void> {
    // The session is over (revoked, expired, logged out): keeping its dead secret helps nobody.
    if (did === this.#blob.did && this.source.kind === 'session-file') {
      await rm(this.source.path, { force: true })
    }
  }
}

/** The blob in the file; undefined if there is no such file. */
async function readBlobFile(path: string): Promise<SessionBlob | undefined> {
  const text = await readFile(path, 'utf8').catch((err) => {
    if (err.code === 'ENOENT') return undefined
    throw new AtoauthError('invalid_session', `Cannot read ${path}: ${describeCause(err)}`, {
      exitCode: ExitCode.usage,
    })
  })
  return text === undefined ? undefined : parseSessionBlob(text, `ATOAUTH_SESSION_FILE (${path})`)
}
