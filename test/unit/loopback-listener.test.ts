import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { LoopbackListener } from '../../src/oauth/loopback-listener.ts'

type Reply = { status: number; body: string; headers: Record<string, unknown> }

function send(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
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

let listener: LoopbackListener | undefined
afterEach(() => listener?.close())

describe('LoopbackListener', () => {
  it('binds 127.0.0.1 on a random port and builds the redirect URI from it', async () => {
    listener = await LoopbackListener.bind()
    expect(listener.port).toBeGreaterThan(0)
    expect(listener.redirectUri).toBe(`http://127.0.0.1:${listener.port}/callback`)
    await expect(send(listener.port, '/nope')).resolves.toMatchObject({ status: 404 })
  })

  it('ignores other paths and methods, then handles the one callback', async () => {
    listener = await LoopbackListener.bind()
    const port = listener.port
    const result = listener.waitForCallback(async (params) => ({
      value: params.get('code'),
      outcome: { ok: true, title: 'Logged in', detail: 'fine' },
    }))
    expect((await send(port, '/favicon.ico')).status).toBe(404)
    expect((await send(port, '/')).status).toBe(404)
    const post = await send(port, '/callback?code=x', 'POST')
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET')
    expect((await send(port, `/callback?${'a'.repeat(9000)}`)).status).toBe(414)

    const reply = await send(port, '/callback?code=the-code&state=s')
    expect(reply.status).toBe(200)
    expect(reply.body).toContain('Logged in')
    await expect(result).resolves.toBe('the-code')
    // One-shot: the listener is gone.
    await expect(send(port, '/callback?code=again')).rejects.toThrow(/ECONNREFUSED/)
  })

  it('shows the handler error HTML-escaped and rejects with it', async () => {
    listener = await LoopbackListener.bind()
    const result = listener.waitForCallback(async () => {
      throw new Error('<script>alert(1)</script> & "quotes"')
    })
    result.catch(() => {})
    const reply = await send(listener.port, '/callback?error=x')
    expect(reply.status).toBe(400)
    expect(reply.body).not.toContain('<script>')
    expect(reply.body).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;quotes&#34;')
    await expect(result).rejects.toThrow('<script>')
  })

  it('answers a second callback that arrives while the first is handled', async () => {
    listener = await LoopbackListener.bind()
    let finish: () => void = () => {}
    const result = listener.waitForCallback(async () => {
      await new Promise<void>((r) => {
        finish = r
      })
      return { value: 1, outcome: { ok: true, title: 'ok', detail: '' } }
    })
    const first = send(listener.port, '/callback?code=1')
    await new Promise((r) => setTimeout(r, 50))
    const second = await send(listener.port, '/callback?code=2')
    expect(second.status).toBe(409)
    expect(second.body).toContain('already handled')
    finish()
    expect((await first).status).toBe(200)
    await expect(result).resolves.toBe(1)
  })

  it('stops waiting and closes when the signal aborts', async () => {
    listener = await LoopbackListener.bind()
    const port = listener.port
    const controller = new AbortController()
    const result = listener.waitForCallback(
      async () => ({
        value: 1,
        outcome: { ok: true, title: '', detail: '' },
      }),
      controller.signal,
    )
    controller.abort(new Error('timed out'))
    await expect(result).rejects.toThrow('timed out')
    await expect(send(port, '/callback')).rejects.toThrow(/ECONNREFUSED/)
  })
})
