// How SIGINT, SIGTERM and SIGHUP are answered: at once, except from a token request's sending
// until its answer is kept (the server has spent the old token by then). The signals are emitted
// on the process object, so the handlers run as they would for a real signal, on every platform.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CancelledError } from '../../src/errors.ts'
import {
  HOLD_LIMIT_MS,
  handleInterrupts,
  type Interrupt,
  keepingTokenAnswer,
  resetInterruptsForTest,
  tokenRequestSent,
} from '../../src/interrupts.ts'

let cancel: AbortController
let said: string[]
let exits: number[]
let stop: () => void

function install(atTerminal: boolean) {
  stop = handleInterrupts({
    cancel,
    atTerminal: () => atTerminal,
    say: (line) => said.push(line),
    exit: (code) => exits.push(code),
  })
}

const send = (signal: Interrupt) => process.emit(signal as 'SIGINT', signal as 'SIGINT')

/** A keeping section whose token request is out, and the means to finish it. */
function refreshUnderWay() {
  let finish: () => void = () => {}
  const done = keepingTokenAnswer('refresh', async () => {
    tokenRequestSent()
    await new Promise<void>((r) => {
      finish = r
    })
  })
  return { finish: () => finish(), done }
}

beforeEach(() => {
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
    ['SIGHUP', 129],
  ] as const)(
    '%s cancels the command with exit %i, and a second one leaves at once',
    (signal, code) => {
      install(false)
      send(signal)
      expect(cancel.signal.reason).toBeInstanceOf(CancelledError)
      expect((cancel.signal.reason as CancelledError).exitCode).toBe(code)
      expect(exits).toEqual([])
      send(signal)
      expect(exits).toEqual([code])
    },
  )

  it('a section that sent no token request holds nothing', async () => {
    install(false)
    await keepingTokenAnswer('refresh', async () => {
      send('SIGINT')
      expect(cancel.signal.aborted).toBe(true)
    })
    expect(said).toEqual([])
  })
})

describe('while a token answer is on its way', () => {
  it('a signal waits, is said once, and takes effect with its code once the answer is kept', async () => {
    install(false)
    const refresh = refreshUnderWay()
    send('SIGTERM')
    send('SIGINT') // a CI runner's second signal: still held, nothing more said
    expect(cancel.signal.aborted).toBe(false)
    expect(exits).toEqual([])
    expect(said).toEqual([
      'atoauth: finishing the token refresh so the session is not lost, then leaving…',
    ])
    refresh.finish()
    await refresh.done
    expect(exits).toEqual([143])
  })

  it('at a terminal, a second Ctrl-C leaves at once and says what it may cost', () => {
    install(true)
    refreshUnderWay()
    send('SIGINT')
    expect(said[0]).toContain('press Ctrl-C again to leave now')
    expect(exits).toEqual([])
    send('SIGINT')
    expect(exits).toEqual([130])
    expect(said[1]).toMatch(/this session may be lost/)
  })

  it('the sign-in says what it finishes', async () => {
    install(false)
    let finish: () => void = () => {}
    const done = keepingTokenAnswer('sign-in', async () => {
      tokenRequestSent()
      await new Promise<void>((r) => {
        finish = r
      })
    })
    send('SIGINT')
    expect(said).toEqual([
      'atoauth: finishing the sign-in so the new session is not lost, then leaving…',
    ])
    finish()
    await done
    expect(exits).toEqual([130])
  })

  it('a token request outside any section holds until its answer is read', () => {
    install(false)
    const answered = tokenRequestSent()
    send('SIGHUP')
    expect(exits).toEqual([])
    answered()
    expect(exits).toEqual([129])
  })

  it(`the wait is bounded: HOLD_LIMIT_MS after the signal, it leaves without the answer`, () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    install(false)
    refreshUnderWay()
    send('SIGINT')
    vi.advanceTimersByTime(HOLD_LIMIT_MS - 1)
    expect(exits).toEqual([])
    vi.advanceTimersByTime(1)
    expect(exits).toEqual([130])
    expect(said.at(-1)).toMatch(/did not come in time/)
  })

  it('nothing is held once every section has ended', async () => {
    install(false)
    const refresh = refreshUnderWay()
    refresh.finish()
    await refresh.done
    send('SIGINT')
    expect(cancel.signal.aborted).toBe(true)
    expect(said).toEqual([])
  })
})
