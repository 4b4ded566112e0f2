// One bounded GET for the doctor checks. It never throws: a failure is part of
// what is reported. Redirects are not followed (authorization servers do not
// follow them for client metadata either); the Date header feeds the clock check.
import { startDeadline } from '../deadline.js'
import type { ServerTimeSample } from './clock-check.js'

export const HTTP_TIMEOUT_MS = 10_000

export type HttpProbe = ServerTimeSample & {
  answer?: { status: number; headers: Headers; body: string }
  /** Why no answer came: a network failure, the deadline or Ctrl-C (the signal's reason). */
  error?: unknown
}

export async function httpGet(url: string, cancel: AbortSignal): Promise<HttpProbe> {
  const { signal, clear } = startDeadline(HTTP_TIMEOUT_MS, cancel)
  const sentAt = Date.now()
  try {
    const res = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal,
    })
    const receivedAt = Date.now()
    const date = res.headers.get('date') ?? undefined
    const answer = { status: res.status, headers: res.headers, body: await res.text() }
    return { url, sentAt, receivedAt, date, answer }
  } catch (error) {
    return { url, sentAt, receivedAt: Date.now(), error }
  } finally {
    clear()
  }
}
