// One bounded GET (10 s) for the doctor checks. It never throws: a failure is part of what is
// reported. Redirects are not followed (authorization servers do not follow them for client
// metadata either); the Date header feeds the clock check.
import { startDeadline } from '../deadline.js'
import type { ServerTimeSample } from './clock-check.js'

export type HttpProbe = ServerTimeSample & {
  answer?: { status: number; headers: Headers; body: string }
  /** Why no answer came: a network failure, the deadline or Ctrl-C (the signal's reason). */
  error?: unknown
}

export async function httpGet(url: string, cancel: AbortSignal): Promise<HttpProbe> {
  const { signal, clear } = startDeadline(10_000, cancel)
  const sentAt = Date.now()
  try {
    const headers = { accept: 'application/json' }
    const res = await fetch(url, { headers, redirect: 'manual', signal })
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
