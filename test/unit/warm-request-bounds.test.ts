// The warm request reads at most MAX_RESPONSE_BYTES and waits at most
// WARM_REQUEST_TIMEOUT_MS for a server: past either, a clear network failure
// (exit 4) that names the server. Each bound is tested at its very edge, so
// that the constant is the one in force.
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  MAX_RESPONSE_BYTES,
  WARM_REQUEST_TIMEOUT_MS,
  warmRequest,
} from '../../src/auth/warm-request.ts'
import { AtoauthError, CancelledError, ExitCode } from '../../src/errors.ts'
import { resolveSettings } from '../../src/settings.ts'
import { savedSession } from '../support/saved-session.ts'

const servers: Server[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  }
})

/** A loopback server for this test; its origin. */
async function serve(handler: RequestListener): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A GET through the warm path with a valid session for `aud`; what it ends with. */
function warmGet(aud: string, signal = new AbortController().signal) {
  const saved = savedSession(aud)
  const cacheDir = mkdtempSync(join(tmpdir(), 'atoauth-bounds-'))
  const settings = resolveSettings({}, { ATOAUTH_CACHE_DIR: cacheDir })
  return warmRequest(settings, saved, { method: 'GET', path: '/xrpc/x' }, signal).catch(
    (err: unknown) => err,
  )
}

/** A server whose answer is `size` bytes, sent in 1 MiB chunks without a length. */
function answerOf(size: number): RequestListener {
  return async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    const chunk = Buffer.alloc(2 ** 20)
    for (let left = size; left > 0 && !res.destroyed; left -= chunk.length) {
      if (!res.write(chunk.subarray(0, Math.min(left, chunk.length)))) {
        await Promise.race([once(res, 'drain'), once(res, 'close')])
      }
    }
    res.end()
  }
}

describe('the warm request, bounded', () => {
  it(`reads an answer of MAX_RESPONSE_BYTES (100 MiB), but not one byte more: response_too_large, exit 4`, async () => {
    expect(MAX_RESPONSE_BYTES).toBe(100 * 2 ** 20)
    const whole = await warmGet(await serve(answerOf(MAX_RESPONSE_BYTES)))
    expect((whole as { status: number }).status).toBe(200)

    const origin = await serve(answerOf(MAX_RESPONSE_BYTES + 1))
    const failure = await warmGet(origin)
    expect(failure).toBeInstanceOf(AtoauthError)
    expect(failure).toMatchObject({ code: 'response_too_large', exitCode: ExitCode.network })
    expect((failure as Error).message).toContain(origin)
  }, 30_000)

  it('gives up on a server that never answers after WARM_REQUEST_TIMEOUT_MS (30 s): network, exit 4', async () => {
    expect(WARM_REQUEST_TIMEOUT_MS).toBe(30_000)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    let arrived: () => void = () => {}
    const asked = new Promise<void>((r) => {
      arrived = r
    })
    const origin = await serve(() => arrived()) // never answers
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
    const origin = await serve(() => {})
    const cancel = new AbortController()
    setTimeout(() => cancel.abort(new CancelledError()), 50)
    expect(await warmGet(origin, cancel.signal)).toBeInstanceOf(CancelledError)
  })
})
