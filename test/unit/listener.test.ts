// The login listener against malformed and hostile requests, over real
// sockets: each either ends the login with its own error code and a page that
// says why, or is refused while the login keeps waiting. None crashes it.
import { request } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { LoopbackListener } from '../../src/auth/listener.ts'
import { AtoauthError } from '../../src/errors.ts'

const STATE = 'the-state-of-this-login'
const isThisLogin = (state: string) => state === STATE

type Reply = { status: number; body: string; headers: Record<string, unknown> }

type Send = {
  path: string
  method?: string
  headers?: Record<string, string>
  localAddress?: string
}

function send(port: number, { path, method = 'GET', headers, localAddress }: Send) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, localAddress }, (res) => {
      let body = ''
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Bytes that are not HTTP at all, straight onto the socket. */
function sendRaw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(bytes))
    let answer = ''
    socket.on('data', (c) => {
      answer += c
    })
    socket.on('end', () => resolve(answer))
    socket.on('error', reject)
  })
}

/** A stand-in for the login's handler: the library's callback() refuses an OAuth error. */
async function handler(params: URLSearchParams) {
  const error = params.get('error')
  if (error) throw new AtoauthError(error, `refused: ${error}`)
  return {
    value: params.get('code'),
    outcome: { ok: true, title: 'Logged in', detail: 'signed in' },
  }
}

let listener: LoopbackListener | undefined
afterEach(() => listener?.close())

async function startLogin() {
  listener = await LoopbackListener.bind()
  const ignored: string[] = []
  listener.onIgnored = ({ reason }) => ignored.push(reason)
  const result = listener.waitForCallback({ handler, isThisLogin }).then(
    (code) => ({ ok: true as const, code }),
    (err: unknown) => ({ ok: false as const, err }),
  )
  return { port: listener.port, result, ignored }
}

const q = (params: Record<string, string>) => `/callback?${new URLSearchParams(params)}`

describe('a callback of this login that the handler refuses', () => {
  it('ends the login with its error on a 400 page, and the listener is gone', async () => {
    const { port, result } = await startLogin()
    const reply = await send(port, { path: q({ state: STATE, error: 'access_denied' }) })
    expect(reply.status).toBe(400)
    expect(reply.body).toContain('refused: access_denied')
    const outcome = await result
    expect(outcome.ok === false && outcome.err).toMatchObject({ code: 'access_denied' })
    // One-shot: the listener is gone afterwards.
    await expect(send(port, { path: q({ state: STATE, code: 'c' }) })).rejects.toThrow(
      /ECONNREFUSED/,
    )
  })
})

describe('requests that are refused while the login keeps waiting', () => {
  const big = 'a'.repeat(9000)
  const cases: { name: string; request: Send; status: number; noticed: RegExp | null }[] = [
    { name: 'the root page', request: { path: '/' }, status: 404, noticed: /request for \// },
    { name: 'a favicon', request: { path: '/favicon.ico' }, status: 404, noticed: null },
    { name: 'another path', request: { path: '/admin?state=x' }, status: 404, noticed: /\/admin/ },
    {
      name: 'a path that only starts like the callback',
      request: { path: `/callback/../callback?state=${STATE}&code=c` },
      status: 404,
      noticed: /callback\/\.\./,
    },
    {
      name: 'POST to the callback',
      request: { path: q({ state: STATE, code: 'c' }), method: 'POST' },
      status: 405,
      noticed: /a POST request/,
    },
    {
      name: 'DELETE to the callback',
      request: { path: '/callback', method: 'DELETE' },
      status: 405,
      noticed: /a DELETE request/,
    },
    {
      name: 'an oversized query',
      request: { path: `/callback?state=${STATE}&code=${big}` },
      status: 414,
      noticed: /oversized/,
    },
    {
      name: 'a callback without a state (not from the authorization server)',
      request: { path: q({ code: 'c' }) },
      status: 400,
      noticed: /without a state/,
    },
    {
      name: 'a forged callback with the state of another login',
      request: { path: q({ code: 'c', state: 'forged' }) },
      status: 400,
      noticed: /state is not this login's/,
    },
    {
      name: 'a callback with the state twice',
      request: { path: `/callback?code=c&state=${STATE}&state=other` },
      status: 400,
      noticed: /state is not this login's/,
    },
    {
      name: 'headers beyond the limit',
      request: { path: '/callback', headers: { 'x-junk': 'b'.repeat(20_000) } },
      status: 431,
      noticed: null,
    },
    {
      name: 'a request not from 127.0.0.1',
      request: { path: q({ state: STATE, code: 'c' }), localAddress: '127.0.0.2' },
      status: 403,
      noticed: /from 127\.0\.0\.2/,
    },
    {
      name: 'a page on another host name (DNS rebinding)',
      request: { path: q({ state: STATE, code: 'c' }), headers: { host: 'evil.example' } },
      status: 421,
      noticed: /host "evil\.example"/,
    },
  ]

  it.each(cases)('$name → $status, still waiting', async ({ request, status, noticed }) => {
    const { port, result, ignored } = await startLogin()
    const reply = await send(port, request)
    expect(reply.status).toBe(status)
    if (noticed) expect(ignored.join('\n')).toMatch(noticed)
    else expect(ignored).toEqual([])
    // The real callback still completes the login.
    const real = await send(port, { path: q({ state: STATE, code: 'the-code' }) })
    expect(real.status).toBe(200)
    await expect(result).resolves.toEqual({ ok: true, code: 'the-code' })
  })

  it('garbage bytes instead of HTTP get a 400 and the login keeps waiting', async () => {
    const { port, result } = await startLogin()
    expect(await sendRaw(port, '\u0000\u0001 not http at all\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/)
    const real = await send(port, { path: q({ state: STATE, code: 'c' }) })
    expect(real.status).toBe(200)
    await expect(result).resolves.toEqual({ ok: true, code: 'c' })
  })

  it('a browser that hangs up before the page is sent still ends the login', async () => {
    listener = await LoopbackListener.bind()
    const result = listener.waitForCallback({
      isThisLogin,
      handler: async (params) => {
        await new Promise((r) => setTimeout(r, 100))
        return handler(params)
      },
    })
    const req = request({
      host: '127.0.0.1',
      port: listener.port,
      path: q({ state: STATE, code: 'c' }),
    })
    req.on('error', () => {})
    req.end()
    setTimeout(() => req.destroy(), 20)
    await expect(result).resolves.toBe('c')
  })

  it('a second callback while the first is handled gets 409; the first decides', async () => {
    listener = await LoopbackListener.bind()
    let release: () => void = () => {}
    const result = listener.waitForCallback({
      isThisLogin,
      handler: async (params) => {
        await new Promise<void>((r) => {
          release = r
        })
        return handler(params)
      },
    })
    const first = send(listener.port, { path: q({ state: STATE, code: 'first' }) })
    await new Promise((r) => setTimeout(r, 50))
    const second = await send(listener.port, { path: q({ state: STATE, code: 'second' }) })
    expect(second.status).toBe(409)
    expect(second.body).toContain('already handled')
    release()
    expect((await first).status).toBe(200)
    await expect(result).resolves.toBe('first')
  })
})

describe('a pasted callback URL', () => {
  it('is checked like the browser request, then completes the login', async () => {
    const { port, result } = await startLogin()
    const rejects = [
      ['not a url', /not a URL/],
      [`https://127.0.0.1:${port}/callback?code=c&state=${STATE}`, /not for this login/],
      [`http://127.0.0.1:${port + 1}/callback?code=c&state=${STATE}`, /not for this login/],
      [`http://evil.example:${port}/callback?code=c&state=${STATE}`, /not for this login/],
      [`http://127.0.0.1:${port}/other?code=c&state=${STATE}`, /path is not \/callback/],
      [`http://127.0.0.1:${port}/callback`, /no query/],
    ] as const
    for (const [text, reason] of rejects) {
      const pasted = await listener!.submitPasted(text)
      expect(pasted.accepted).toBe(false)
      expect(pasted.accepted === false && pasted.reason).toMatch(reason)
    }
    const pasted = await listener!.submitPasted(
      `  http://127.0.0.1:${port}/callback?code=pasted&state=${STATE}\n`,
    )
    expect(pasted).toMatchObject({ accepted: true, outcome: { ok: true } })
    await expect(result).resolves.toEqual({ ok: true, code: 'pasted' })
    expect(
      (await listener!.submitPasted(`http://127.0.0.1:${port}/callback?code=x`)).accepted,
    ).toBe(false)
  })

  it('with a forged state is not accepted, and the login keeps waiting', async () => {
    const { port, result } = await startLogin()
    const pasted = await listener!.submitPasted(
      `http://127.0.0.1:${port}/callback?code=c&state=nope`,
    )
    expect(pasted).toMatchObject({ accepted: false, reason: expect.stringMatching(/state/) })
    const real = await send(port, { path: q({ state: STATE, code: 'real' }) })
    expect(real.status).toBe(200)
    await expect(result).resolves.toEqual({ ok: true, code: 'real' })
  })
})

describe('the listener itself', () => {
  it('binds 127.0.0.1 on a random port and builds the redirect URI from it', async () => {
    listener = await LoopbackListener.bind()
    expect(listener.port).toBeGreaterThan(0)
    expect(listener.redirectUri).toBe(`http://127.0.0.1:${listener.port}/callback`)
  })

  it('shows any handler error HTML-escaped and rejects with it', async () => {
    listener = await LoopbackListener.bind()
    const result = listener.waitForCallback({
      isThisLogin,
      handler: async () => {
        throw new Error('<script>alert(1)</script> & "quotes"')
      },
    })
    result.catch(() => {})
    const reply = await send(listener.port, { path: q({ state: STATE, code: 'x' }) })
    expect(reply.status).toBe(400)
    expect(reply.body).not.toContain('<script>')
    expect(reply.body).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;quotes&#34;')
    await expect(result).rejects.toThrow('<script>')
  })

  it('stops waiting and closes when the signal aborts', async () => {
    listener = await LoopbackListener.bind()
    const port = listener.port
    const controller = new AbortController()
    const result = listener.waitForCallback({ handler, isThisLogin, signal: controller.signal })
    controller.abort(new Error('timed out'))
    await expect(result).rejects.toThrow('timed out')
    await expect(send(port, { path: '/callback' })).rejects.toThrow(/ECONNREFUSED/)
  })

  it('a port in use is a clear error', async () => {
    const taken = await LoopbackListener.bind()
    try {
      await expect(LoopbackListener.bind(taken.port)).rejects.toMatchObject({
        code: 'listener_failed',
        message: `Port ${taken.port} on 127.0.0.1 is already in use.`,
      })
    } finally {
      taken.close()
    }
  })
})
