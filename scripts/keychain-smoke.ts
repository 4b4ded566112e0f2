// A real keychain round trip through atoauth's own secret store, for CI on macOS and Windows (and
// Linux under scripts/with-keyring.sh): store a session larger than one Windows credential holds
// (2,560 bytes), read it back, replace it as a refresh does, read again, delete it, and check that
// nothing is left, not even a chunk. Runs from src/ with Node's type stripping: no build needed.
//   node scripts/keychain-smoke.ts
// Exits 1, naming the step, if anything does not come back as stored or the keychain fails.
import '../test/support/ts-imports.mjs'
import { randomBytes } from 'node:crypto'

// Loaded after the hook above, which points our sources' './x.js' imports at './x.ts'.
const { openSecretStore } = await import('../src/store/secret-store.ts')
const { NativeKeyring } = await import('../src/store/native-keyring.ts')
const { resolveSettings } = await import('../src/settings.ts')
const { exitWith } = await import('../src/process-exit.ts')

const WINDOWS_CREDENTIAL_LIMIT_BYTES = 2560
const CHUNK_HEADER = /^atoauth-chunked:v1:(\w+):(\d+):/

class SmokeFailure extends Error {}

function check(ok: boolean, step: string): void {
  if (!ok) throw new SmokeFailure(step)
  console.log(`ok: ${step}`)
}

/** Shaped like a stored session (tokens and a DPoP key), about 11 KB as UTF-16. */
function sessionLike(): string {
  const token = (bytes: number) => randomBytes(bytes).toString('base64url')
  return JSON.stringify({
    tokenSet: { access_token: token(1500), refresh_token: token(600), scope: 'atproto' },
    dpopJwk: { kty: 'EC', crv: 'P-256', x: token(32), y: token(32), d: token(32) },
    padding: token(2000),
  })
}

const account = `did:plc:keychain-smoke-${randomBytes(6).toString('hex')}`
// No terminal in CI: a keychain that waits for a person fails in seconds instead of hanging.
const store = await openSecretStore('keychain', resolveSettings({}), { interactive: false })
const raw = new NativeKeyring({ interactive: false })

/** The entries a chunked value took, read from its header entry (none when stored whole). */
async function chunkNames(): Promise<string[]> {
  const [, generation, count] = CHUNK_HEADER.exec((await raw.get(account)) ?? '') ?? []
  return Array.from({ length: Number(count ?? 0) }, (_, i) => `${account}#${generation}.${i}`)
}

async function roundTrip(): Promise<void> {
  const [first, second] = [sessionLike(), sessionLike()]
  const bytes = Buffer.byteLength(first, 'utf16le')
  check(bytes > 2 * WINDOWS_CREDENTIAL_LIMIT_BYTES, `a ${bytes}-byte session in ${store.location}`)
  await store.set(account, first)
  check((await store.get(account)) === first, 'it reads back as stored')
  const chunks = await chunkNames()
  if (process.platform === 'win32') check(chunks.length > 1, 'it is split over several entries')
  await store.set(account, second)
  check((await store.get(account)) === second, 'a replaced session reads back as replaced')
  chunks.push(...(await chunkNames()))
  await store.delete(account)
  check((await store.get(account)) === undefined, 'the deleted session is gone')
  const left = (await Promise.all(chunks.map((name) => raw.get(name)))).filter(Boolean)
  if (chunks.length) check(left.length === 0, `none of its ${chunks.length} chunk entries is left`)
}

try {
  await roundTrip()
  console.log('keychain smoke test passed')
} catch (err) {
  const { message, hint } = err as { message: string; hint?: string }
  console.error(`keychain smoke test FAILED: ${message}${hint ? `\n${hint}` : ''}`)
  if (!(err instanceof SmokeFailure)) console.error(err)
  await store.delete(account).catch(() => {})
  // Leaves even while a keychain call that timed out still holds a thread.
  await exitWith(1)
}
