// The bound on every doctor check: whatever a check does, the report gets a
// line for it by the deadline, and Ctrl-C ends the wait at once.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fail, withDeadline } from '../../src/doctor/check.ts'
import { AtoauthError } from '../../src/errors.ts'

const failed = (detail: string, hint?: string) => fail('probe', detail, hint)
const never = () => new Promise<never>(() => {})

afterEach(() => vi.useRealTimers())

describe('withDeadline', () => {
  it('a check that never answers fails at the deadline, and its signal aborts', async () => {
    vi.useFakeTimers()
    let seen: AbortSignal | undefined
    const line = withDeadline(
      15_000,
      new AbortController().signal,
      (signal) => {
        seen = signal
        return never()
      },
      failed,
    )
    await vi.advanceTimersByTimeAsync(14_999)
    expect(seen?.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(await line).toEqual(failed('no answer within 15 s'))
    expect(seen?.aborted).toBe(true)
  })

  it('a throw becomes a failed line with the error’s hint', async () => {
    const err = new AtoauthError('x', 'the store is locked', { hint: 'Unlock it.' })
    const line = await withDeadline(
      15_000,
      new AbortController().signal,
      async () => {
        throw err
      },
      failed,
    )
    expect(line).toEqual(failed('the store is locked', 'Unlock it.'))
  })

  it('after Ctrl-C, even one pressed before the check started, nobody waits', async () => {
    const cancel = new AbortController()
    cancel.abort(new Error('Cancelled.'))
    const line = await withDeadline(15_000, cancel.signal, never, failed)
    expect(line).toEqual(failed('Cancelled.'))
  })
})
