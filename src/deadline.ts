// A signal that aborts after `ms` or when `cancel` does. Not AbortSignal.timeout:
// its timer is dropped once nothing references the signal — an AbortSignal.any
// or a Request only holds its sources weakly — and then a request to a server
// that never answers waits forever. Here the timer owns the controller.
export type Deadline = {
  signal: AbortSignal
  /** Whether the time ran out (rather than `cancel` aborting). */
  expired: boolean
  /** Stops the timer; call it once the work is done. */
  clear(): void
}

export function startDeadline(ms: number, cancel: AbortSignal): Deadline {
  const controller = new AbortController()
  const onCancel = () => controller.abort(cancel.reason)
  const timer = setTimeout(() => {
    deadline.expired = true
    controller.abort(new DOMException(`no answer within ${ms / 1000} s`, 'TimeoutError'))
  }, ms)
  timer.unref() // the bound must not be what keeps a finished command alive
  const deadline: Deadline = {
    signal: controller.signal,
    expired: false,
    clear() {
      clearTimeout(timer)
      cancel.removeEventListener('abort', onCancel)
    },
  }
  if (cancel.aborted) onCancel()
  else cancel.addEventListener('abort', onCancel, { once: true })
  return deadline
}
