// A signal that aborts after `ms` or when `cancel` does. Not AbortSignal.timeout:
// its timer is dropped once nothing references the signal — an AbortSignal.any
// or a Request only holds its sources weakly — and then a request to a server
// that never answers waits forever. Here the timer owns the controller.
export type Deadline = {
  signal: AbortSignal
  /** Whether the time ran out (rather than `cancel` aborting). */
  readonly expired: boolean
  /** Stops the timer; call it once the work is done. */
  clear(): void
}

export function startDeadline(ms: number, cancel: AbortSignal): Deadline {
  const controller = new AbortController()
  let expired = false
  const timer = setTimeout(() => {
    expired = true
    controller.abort(new DOMException(`no answer within ${ms / 1000} s`, 'TimeoutError'))
  }, ms)
  // The bound must not be what keeps a finished command alive.
  timer.unref()
  const onCancel = () => controller.abort(cancel.reason)
  if (cancel.aborted) onCancel()
  else cancel.addEventListener('abort', onCancel, { once: true })
  return {
    signal: controller.signal,
    get expired() {
      return expired
    },
    clear() {
      clearTimeout(timer)
      cancel.removeEventListener('abort', onCancel)
    },
  }
}
