// One line of the `doctor` report, and the deadline that bounds each check: a check that throws
// or does not answer becomes a failed line, never a crash or a hang of the whole report.
import { startDeadline } from '../deadline.js'
import { AtoauthError, describeCause } from '../errors.js'

/** `name` is stable for scripts (`pds:<handle>`, …); `hint` says what to do, when not ok. */
export type Check = { name: string; status: 'ok' | 'warn' | 'fail'; detail: string; hint?: string }

// An undefined hint is left out of the --json report by JSON.stringify.
const verdict =
  (status: Check['status']) =>
  (name: string, detail: string, hint?: string): Check => ({ name, status, detail, hint })
export const ok = verdict('ok')
export const warn = verdict('warn')
export const fail = verdict('fail')

export const hintOf = (err: unknown) => (err instanceof AtoauthError ? err.hint : undefined)

/** Runs `work` until the deadline (or Ctrl-C) aborts its signal; a throw or the abort is `failed`. */
export async function withDeadline<T>(
  limitMs: number,
  cancel: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
  failed: (detail: string, hint?: string) => T,
): Promise<T> {
  const { signal, clear } = startDeadline(limitMs, cancel)
  // Settles on the abort itself, before any error the abort causes in `work`.
  const stopped = new Promise<T>((resolve) => {
    const stop = () => resolve(failed(describeCause(signal.reason)))
    if (signal.aborted) stop()
    else signal.addEventListener('abort', stop, { once: true })
  })
  const done = work(signal).catch((err: unknown) => failed(describeCause(err), hintOf(err)))
  try {
    return await Promise.race([done, stopped])
  } finally {
    clear()
  }
}
