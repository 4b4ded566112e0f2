// One bounded GET for the doctor checks. It never throws: a failure is part of
// what is being reported. Redirects are not followed (an authorization server
// does not follow them for client metadata either), the body is capped, and
// the server's Date header is kept for the clock check.

import { startDeadline } from '../deadline.js'
import type { ServerTimeSample } from './clock-check.js'

export const HTTP_TIMEOUT_MS = 10_000

/** The most an authorization server reads of a client metadata document. */
const MAX_BODY_BYTES = 512 * 1024

export type HttpAnswer = {
  status: number
  headers: Headers
  /** The body as text; undefined when it was larger than the cap. */
  body: string | undefined
}

export type HttpProbe = {
  url: string
  answer?: HttpAnswer
  /** Why no answer came (network failure, timeout). */
  error?: unknown
  time?: ServerTimeSample
}

export async function httpGet(url: string, cancel: AbortSignal): Promise<HttpProbe> {
  const deadline = startDeadline(HTTP_TIMEOUT_MS, cancel)
  const { signal } = deadline
  const sentAt = Date.now()
  try {
    const res = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal,
    })
    const receivedAt = Date.now()
    const date = res.headers.get('date')
    const time = date ? { server: url, date, sentAt, receivedAt } : undefined
    const body = await readCapped(res, MAX_BODY_BYTES)
    return { url, answer: { status: res.status, headers: res.headers, body }, time }
  } catch (err) {
    if (!signal.aborted) return { url, error: err }
    const reason = deadline.expired ? `no answer within ${HTTP_TIMEOUT_MS / 1000} s` : 'cancelled'
    return { url, error: new Error(reason) }
  } finally {
    deadline.clear()
  }
}

async function readCapped(res: Response, maxBytes: number): Promise<string | undefined> {
  if (!res.body) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of res.body) {
    size += chunk.byteLength
    // Leaving the loop cancels the rest of the body.
    if (size > maxBytes) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
