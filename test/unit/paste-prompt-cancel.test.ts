// Ctrl-C at the paste prompt: readline has the terminal in raw mode, so the key reaches it, not
// the process as a signal. It cancels the login (exit 130) on every platform; it must not be
// re-sent as a signal, which on Windows ends the process with exit 1.
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { waitForRemoteBrowser } from '../../src/auth/wait.ts'
import type { Context } from '../../src/context.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

/** What waitForRemoteBrowser needs: a terminal to paste into, and a listener that never hears. */
function remoteBrowserWait() {
  const keyboard = Object.assign(new PassThrough(), { isTTY: true })
  const screen = new PassThrough()
  screen.resume()
  const ctx = {
    stdin: keyboard,
    out: { info: () => {}, warn: () => {} },
  } as unknown as Context
  const listener = {
    port: 8765,
    redirectUri: 'http://127.0.0.1:8765/callback',
    submitPasted: async () => ({ accepted: false, reason: 'not this login' }),
  }
  const never = new Promise<never>(() => {})
  const waiting = { listener: listener as never, answered: never, timeoutSeconds: 300 }
  return { keyboard, wait: () => waitForRemoteBrowser(ctx, waiting, undefined, screen) }
}

describe('the paste prompt', () => {
  it('Ctrl-C cancels the login (exit 130), without signalling the process', async () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true)
    const { keyboard, wait } = remoteBrowserWait()
    const waited = wait()
    keyboard.write('\x03')
    await expect(waited).rejects.toMatchObject({ code: 'cancelled', exitCode: 130 })
    expect(kill).not.toHaveBeenCalled()
  })
})
