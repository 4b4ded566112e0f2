// How long a keychain call may wait for a locked keyring: 2 min when a person
// at a terminal can answer the unlock prompt (and is told so), 3 s otherwise.
// The native keyring is replaced by one whose calls never come back.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const native = vi.hoisted(() => ({ callStarted: () => {} }))

vi.mock('@napi-rs/keyring', () => ({
  AsyncEntry: class {
    getPassword() {
      native.callStarted()
      return new Promise(() => {})
    }
  },
}))
// No bus to ask, and no process-exit hooks inside the test runner.
vi.mock('../../src/store/session-bus.ts', () => ({ sessionBusAnswers: async () => {} }))
vi.mock('../../src/process-exit.ts', () => ({ trackNativeCall: (call: unknown) => call }))

beforeEach(() => {
  vi.resetModules() // a fresh module: after a stuck call, the keychain is not asked again
})
afterEach(() => {
  vi.useRealTimers()
})

/** Starts a keychain read that never returns; resolves once the native call is under way. */
async function stuckRead(interactive: boolean) {
  const { NativeKeyring } = await import('../../src/store/native-keyring.ts')
  const notices: string[] = []
  const keyring = new NativeKeyring({
    interactive,
    notice: (m) => notices.push(m),
  })
  const started = new Promise<void>((resolve) => {
    native.callStarted = resolve
  })
  vi.useFakeTimers()
  let outcome: unknown
  const read = keyring.get('did:plc:a').then(
    () => {
      outcome = 'answered'
    },
    (err) => {
      outcome = err
    },
  )
  await started
  return { notices, read, outcome: () => outcome }
}

describe('a keychain call waiting for a locked keyring', () => {
  it('the bounds: 3 s without a terminal, 2 min with one', async () => {
    const { CALL_TIMEOUT_MS, INTERACTIVE_CALL_TIMEOUT_MS } = await import(
      '../../src/store/native-keyring.ts'
    )
    expect(CALL_TIMEOUT_MS).toBe(3_000)
    expect(INTERACTIVE_CALL_TIMEOUT_MS).toBe(120_000)
  })

  it('without a terminal: gives up after 3 s, saying nothing while it waits', async () => {
    const call = await stuckRead(false)
    await vi.advanceTimersByTimeAsync(2_990)
    expect(call.outcome()).toBeUndefined()
    await vi.advanceTimersByTimeAsync(20)
    await call.read
    expect(call.outcome()).toMatchObject({
      code: 'keychain_unavailable',
      message: expect.stringContaining('no answer within 3 s'),
      details: { reason: 'no_answer' },
    })
    expect(call.notices).toEqual([])
  })

  it('at a terminal: says once, after a second, that it waits for the unlock, and waits 2 min', async () => {
    const { UNLOCK_NOTICE } = await import('../../src/store/native-keyring.ts')
    const call = await stuckRead(true)
    await vi.advanceTimersByTimeAsync(900)
    expect(call.notices).toEqual([])
    await vi.advanceTimersByTimeAsync(200)
    expect(call.notices).toEqual([UNLOCK_NOTICE])
    expect(UNLOCK_NOTICE).toMatch(/waiting for the keyring to be unlocked/)
    await vi.advanceTimersByTimeAsync(118_800)
    expect(call.outcome()).toBeUndefined()
    await vi.advanceTimersByTimeAsync(200)
    await call.read
    expect(call.outcome()).toMatchObject({
      code: 'keychain_unavailable',
      message: expect.stringContaining('no answer within 120 s'),
    })
    expect(call.notices).toEqual([UNLOCK_NOTICE])
  })
})
