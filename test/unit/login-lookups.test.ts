// A login answers a repeated GET (the issuer check re-reading what resolution
// read) from what it already received, and nothing else.
import { describe, expect, it } from 'vitest'
import { LOOKUP_MAX_AGE_MS, rememberLookups } from '../../src/oauth/login-lookups.ts'

/** A fetch that counts what reaches it and answers from `answer`. */
function server(answer: (url: string, method: string, body: string) => Response) {
  const seen: string[] = []
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init)
    const body = await request.text()
    seen.push(`${request.method} ${request.url}${body ? ` ${body}` : ''}`)
    return answer(request.url, request.method, body)
  }
  return { seen, fetch }
}

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json', 'x-seen': 'yes' },
  })

describe('rememberLookups', () => {
  it('fetches a GET once and answers it again, whole, from memory', async () => {
    let n = 0
    const { seen, fetch } = server(() => json({ n: ++n }))
    const lookups = rememberLookups(fetch)
    const url = 'https://pds.example/.well-known/oauth-protected-resource'

    const first = await lookups(url)
    const again = await lookups(new Request(url, { cache: 'no-cache' }))
    const third = await lookups(url, { method: 'get' })

    expect(seen).toEqual([`GET ${url}`])
    for (const response of [first, again, third]) {
      expect(response.status).toBe(200)
      expect(response.headers.get('x-seen')).toBe('yes')
    }
    expect(await first.json()).toEqual({ n: 1 })
    expect(await again.json()).toEqual({ n: 1 })
    expect(await third.json()).toEqual({ n: 1 })
  })

  it('tells URLs apart: another account resolves other URLs, fetched fresh', async () => {
    const { seen, fetch } = server((url) => json({ url }))
    const lookups = rememberLookups(fetch)
    await lookups('https://plc.example/did:plc:alice')
    const other = await lookups('https://plc.example/did:plc:mallory')
    expect(await other.json()).toEqual({ url: 'https://plc.example/did:plc:mallory' })
    expect(seen).toHaveLength(2)
  })

  it('never answers a POST from memory, and leaves its body to the request', async () => {
    const { seen, fetch } = server(() => json({ ok: true }, 201))
    const lookups = rememberLookups(fetch)
    const par = () =>
      new Request('https://pds.example/oauth/par', { method: 'POST', body: 'client_id=x' })
    await lookups(par())
    await lookups(par())
    await lookups('https://pds.example/oauth/token', { method: 'POST', body: 'code=y' })
    expect(seen).toEqual([
      'POST https://pds.example/oauth/par client_id=x',
      'POST https://pds.example/oauth/par client_id=x',
      'POST https://pds.example/oauth/token code=y',
    ])
  })

  it('asks again once the reply is a minute old (a slow person in the browser)', async () => {
    let clock = 0
    const { seen, fetch } = server(() => json({}))
    const lookups = rememberLookups(fetch, () => clock)
    const url = 'https://plc.example/did:plc:alice'
    await lookups(url)
    clock = LOOKUP_MAX_AGE_MS - 1
    await lookups(url)
    expect(seen).toHaveLength(1)
    clock = LOOKUP_MAX_AGE_MS
    await lookups(url)
    expect(seen).toHaveLength(2)
  })

  it('does not remember a failure: the next GET asks again', async () => {
    let status = 503
    const { seen, fetch } = server(() => json({}, status))
    const lookups = rememberLookups(fetch)
    const url = 'https://pds.example/xrpc/com.atproto.identity.resolveHandle?handle=a.test'
    expect((await lookups(url)).status).toBe(503)
    status = 200
    expect((await lookups(url)).status).toBe(200)
    expect((await lookups(url)).status).toBe(200)
    expect(seen).toHaveLength(2)
  })
})
