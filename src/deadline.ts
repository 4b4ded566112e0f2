// A signal that aborts after `ms` or when `cancel` does. Not AbortSignal.timeout: its timer is
// dropped once nothing references the signal (AbortSignal.any and a Request hold their sources
// only weakly), and then a request to a server that never answers waits forever. Here the timer
// owns the controller.
// `timeout` is the reason it aborts with at the deadline (default: a TimeoutError).
export function startDeadline(
  ms: number,
  cancel: AbortSignal,
  timeout: Error = new DOMException(`no answer within ${ms / 1000} s`, 'TimeoutError'),
) {
  const controller = new AbortController()
  const onCancel = () => controller.abort(cancel.reason)
  const timer = setTimeout(() => controller.abort(timeout), ms)
  timer.unref() // the bound must not be what keeps a finished command alive
  if (cancel.aborted) onCancel()
  else cancel.addEventListener('abort', onCancel, { once: true })
  return {
    signal: controller.signal,
    /** Stops the timer; call it once the work is done. */
    clear() {
      clearTimeout(timer)
      cancel.removeEventListener('abort', onCancel)
    },
  }
}
