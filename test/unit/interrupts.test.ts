// How SIGINT, SIGTERM and SIGHUP are answered: at once, except from a token request's sending
// until its answer is kept (the server has spent the old token by then); and no token request
// starts after a signal. Signals are emitted on the process object, so the handlers run as they
// would for a real signal, on every platform.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CancelledError } from '../../src/errors.ts'
import {
  HOLD_LIMIT_MS,
  handleInterrupts,
  type Interrupt,
  interruption,
  resetInterruptsForTest,
} from '../../src/interrupts.ts'
import { isHolding, keepingTokenAnswer, tokenRequestSent } from '../../src/token-answer-hold.ts'

let cancel: AbortController
let said: string[]
let exits: number[]
let stop: () => void

function install(options: { atTerminal?: boolean; hangupIgnored?: boolean } = {}) {
  stop = handleInterrupts({
    cancel,
    atTerminal: () => options.atTerminal ?? false,
    hangupIgnored: () => options.hangupIgnored ?? false,
    say: (line) => said.push(line),
    exit: (code) => exits.push(code),
  })
}

const send = (signal: Interrupt) => process.emit(signal as 'SIGINT', signal as 'SIGINT')

/** A keeping section whose token request is out, and the means to finish it. */
function underWay(keeping: 'refresh' | 'sign-in' = 'refresh') {
  let finish: () => void = () => {}
  const done = keepingTokenAnswer(keeping, async () => {
    tokenRequestSent()
    await new Promise<void>((r) => {
      finish = r
    })
  })
  return { finish: () => finish(), done }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  cancel = new AbortController()
  said = []
  exits = []
})

afterEach(() => {
  stop()
  resetInterruptsForTest()
  vi.useRealTimers()
})

describe('outside a token request', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s cancels the command with exit %i; a second one leaves at once',
    (signal, code) => {
      install()
      send(signal)
      expect(cancel.signal.reason).toBeInstanceOf(CancelledError)
      expect((cancel.signal.reason as CancelledError).exitCode).toBe(code)
      expect(interruption()?.exitCode).toBe(code)
      expect(exits).toEqual([])
      send(signal)
      expect(exits).toEqual([code])
    },
  )

  it('a command that does not stop is ended after its 2 s of grace, with the signal’s code', () => {
    install()
    send('SIGTERM')
    vi.advanceTimersByTime(1_999)
    expect(exits).toEqual([])
    vi.advanceTimersByTime(1)
    expect(exits).toEqual([143])
  })

  it('SIGHUP keeps its default (leave at once) until a token answer is on its way', async () => {
    install()
    const before = process.listenerCount('SIGHUP')
    const refresh = underWay()
    expect(process.listenerCount('SIGHUP')).toBe(before + 1)
    refresh.finish()
    await refresh.done
    expect(process.listenerCount('SIGHUP')).toBe(before)
  })

  it('under nohup (SIGHUP ignored from the start) atoauth never listens for it', () => {
    install({ hangupIgnored: true })
    const before = process.listenerCount('SIGHUP')
    underWay()
    expect(process.listenerCount('SIGHUP')).toBe(before)
  })

  it('after a signal, no token request is sent: the old token stays unspent', async () => {
    install()
    send('SIGINT') // say, while waiting for another process's lock
    const refresh = keepingTokenAnswer('refresh', async () => tokenRequestSent())
    await expect(refresh).rejects.toMatchObject({ code: 'cancelled', exitCode: 130 })
    expect(isHolding()).toBe(false)
  })
})

describe('while a token answer is on its way', () => {
  it('a signal waits, is said once, and stops the command with its code once the answer is kept', async () => {
    install()
    const refresh = underWay()
    send('SIGTERM')
    send('SIGINT') // a CI runner's second signal: still held, nothing more said
    expect(cancel.signal.aborted).toBe(false)
    expect(said).toEqual([
      'atoauth: finishing the token refresh so the session is not lost, then leaving…',
    ])
    vi.advanceTimersByTime(HOLD_LIMIT_MS - 1)
    expect(exits).toEqual([])

    refresh.finish()
    await refresh.done
    expect(cancel.signal.reason).toMatchObject({
      message: 'Cancelled, once the refreshed session was stored.',
      exitCode: 143,
    })
    expect(interruption()?.exitCode).toBe(143)
    vi.advanceTimersByTime(2_000)
    expect(exits).toEqual([143])
  })

  it('SIGHUP is held too, and ends with 129', async () => {
    install()
    const refresh = underWay()
    send('SIGHUP')
    expect(cancel.signal.aborted).toBe(false)
    refresh.finish()
    await refresh.done
    expect((cancel.signal.reason as CancelledError).exitCode).toBe(129)
  })

  it('at a terminal, a second Ctrl-C leaves at once and says what it may cost', () => {
    install({ atTerminal: true })
    underWay()
    send('SIGINT')
    expect(said[0]).toContain('press Ctrl-C again to leave now')
    expect(exits).toEqual([])
    send('SIGINT')
    expect(exits).toEqual([130])
    expect(said[1]).toMatch(/this session may be lost/)
  })

  it('the sign-in says what it finishes', async () => {
    install()
    const signIn = underWay('sign-in')
    send('SIGINT')
    expect(said).toEqual([
      'atoauth: finishing the sign-in so the new session is not lost, then leaving…',
    ])
    signIn.finish()
    await signIn.done
    expect(cancel.signal.reason).toMatchObject({
      message: 'Cancelled, once the new session was kept.',
    })
  })

  it('a token request outside any section holds until its answer is read', () => {
    install()
    const answered = tokenRequestSent()
    send('SIGINT')
    expect(cancel.signal.aborted).toBe(false)
    answered()
    expect((cancel.signal.reason as CancelledError).exitCode).toBe(130)
  })

  it('the wait is bounded: HOLD_LIMIT_MS after the signal, it leaves without the answer', () => {
    install()
    underWay()
    send('SIGINT')
    vi.advanceTimersByTime(HOLD_LIMIT_MS - 1)
    expect(exits).toEqual([])
    vi.advanceTimersByTime(1)
    expect(exits).toEqual([130])
    expect(said.at(-1)).toMatch(/did not come in time/)
  })

  it('nothing is held once every section has ended', async () => {
    install()
    const refresh = underWay()
    refresh.finish()
    await refresh.done
    send('SIGINT')
    expect(cancel.signal.aborted).toBe(true)
    expect(said).toEqual([])
  })
})
