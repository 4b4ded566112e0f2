// The warm request reads at most MAX_RESPONSE_BYTES and waits at most
// WARM_REQUEST_TIMEOUT_MS for a server: past either, a clear network failure
// (exit 4) that names the server. Each bound is tested at its very edge, so
// that the constant is the one in force.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WARM_REQUEST_TIMEOUT_MS, warmRequest } from '../../src/auth/warm-request.ts'
import { AtoauthError, CancelledError, ExitCode } from '../../src/errors.ts'
import { MAX_RESPONSE_BYTES } from '../../src/request-bounds.ts'
import { resolveSettings } from '../../src/settings.ts'
import { answerOf, closeServers, serve, silentServer } from '../support/bounded-servers.ts'
import { savedSession } from '../support/saved-session.ts'

afterEach(async () => {
  vi.useRealTimers()
  await closeServers()
})

/** A GET through the warm path with a valid session for `aud`; what it ends with. */
function warmGet(aud: string, signal = new AbortController().signal) {
  const saved = savedSession(aud)
  const cacheDir = mkdtempSync(join(tmpdir(), 'atoauth-bounds-'))
  const settings = resolveSettings({}, { ATOAUTH_CACHE_DIR: cacheDir })
  return warmRequest(settings, saved, { method: 'GET', path: '/xrpc/x' }, signal).catch(
    (err: unknown) => err,
  )
}

describe('the warm request, bounded', () => {
  it(`reads an answer of MAX_RESPONSE_BYTES (100 MiB), but not one byte more: response_too_large, exit 4`, async () => {
    expect(MAX_RESPONSE_BYTES).toBe(100 * 2 ** 20)
    const whole = await warmGet((await serve(answerOf(MAX_RESPONSE_BYTES))).origin)
    expect((whole as { status: number }).status).toBe(200)

    const { origin } = await serve(answerOf(MAX_RESPONSE_BYTES + 1))
    const failure = await warmGet(origin)
    expect(failure).toBeInstanceOf(AtoauthError)
    expect(failure).toMatchObject({ code: 'response_too_large', exitCode: ExitCode.network })
    expect((failure as Error).message).toContain(origin)
  }, 30_000)

  it('gives up on a server that never answers after WARM_REQUEST_TIMEOUT_MS (30 s): network, exit 4', async () => {
    expect(WARM_REQUEST_TIMEOUT_MS).toBe(30_000)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { origin, asked } = await silentServer()
    let settled = false
    const outcome = warmGet(origin).finally(() => {
      settled = true
    })
    await asked
    vi.advanceTimersByTime(WARM_REQUEST_TIMEOUT_MS - 1)
    await new Promise((r) => setImmediate(r))
    expect(settled).toBe(false)
    vi.advanceTimersByTime(1)
    const failure = await outcome
    expect(failure).toMatchObject({ code: 'network', exitCode: ExitCode.network })
    expect((failure as Error).message).toBe(`${origin} did not answer within 30 s.`)
  })

  it('Ctrl-C before the time is up still cancels with its own reason', async () => {
    const { origin } = await serve(() => {})
    const cancel = new AbortController()
    setTimeout(() => cancel.abort(new CancelledError()), 50)
    expect(await warmGet(origin, cancel.signal)).toBeInstanceOf(CancelledError)
  })
})
