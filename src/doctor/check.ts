// One line of the `doctor` report, and the guard that keeps every check
// bounded in time: a check that throws or does not answer becomes a failed
// line, never a crash or a hang of the whole report.

import { startDeadline } from '../deadline.js'
import { AtoauthError, describeCause } from '../errors.js'

export type CheckStatus = 'ok' | 'warn' | 'fail'

export type Check = {
  /** Stable, for scripts: `secret-store`, `config-dir`, `pds:<handle>`, … */
  name: string
  status: CheckStatus
  /** One line saying what was found. */
  detail: string
  /** What to do about it; only when the status is not ok. */
  hint?: string
}

export function ok(name: string, detail: string): Check {
  return { name, status: 'ok', detail }
}

export function warn(name: string, detail: string, hint?: string): Check {
  return { name, status: 'warn', detail, ...(hint ? { hint } : {}) }
}

export function fail(name: string, detail: string, hint?: string): Check {
  return { name, status: 'fail', detail, ...(hint ? { hint } : {}) }
}

/** Runs one check with a deadline; see {@link withDeadline}. */
export function bounded(
  name: string,
  limitMs: number,
  cancel: AbortSignal,
  check: (signal: AbortSignal) => Promise<Check>,
): Promise<Check> {
  return withDeadline(limitMs, cancel, check, (detail, hint) => fail(name, detail, hint))
}

/**
 * Runs `work` with a deadline. It gets a signal that aborts at the deadline
 * (or on Ctrl-C) to stop its own requests, and nobody waits for it past the
 * deadline either way. A throw or a timeout becomes `failed(detail, hint)`.
 */
export async function withDeadline<T>(
  limitMs: number,
  cancel: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
  failed: (detail: string, hint?: string) => T,
): Promise<T> {
  const deadline = startDeadline(limitMs, cancel)
  const { signal } = deadline
  const stopped = () =>
    failed(deadline.expired ? `no answer within ${limitMs / 1000} s` : 'cancelled')
  const timedOut = new Promise<T>((resolve) => {
    signal.addEventListener('abort', () => resolve(stopped()), { once: true })
  })
  const done = Promise.resolve()
    .then(() => work(signal))
    .catch((err: unknown) =>
      // An error caused by the abort says less than "no answer within".
      signal.aborted
        ? stopped()
        : failed(describeCause(err), err instanceof AtoauthError ? err.hint : undefined),
    )
  try {
    return await Promise.race([done, timedOut])
  } finally {
    deadline.clear()
  }
}
