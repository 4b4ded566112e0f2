import { describe, expect, it } from 'vitest'
import { noBrowserReason, openBrowser } from '../../src/auth/browser.ts'
import { formatRemaining, sshTunnelCommand } from '../../src/auth/wait.ts'

describe('where a browser may be opened', () => {
  it.each([
    [{ DISPLAY: ':0' }, 'linux', undefined],
    [{ WAYLAND_DISPLAY: 'wayland-0' }, 'linux', undefined],
    [{}, 'linux', 'there is no display'],
    [{}, 'darwin', undefined],
    [{ SSH_CONNECTION: '1 2 3 4', DISPLAY: 'localhost:10.0' }, 'linux', 'this is an SSH session'],
    [{ SSH_TTY: '/dev/pts/1' }, 'darwin', 'this is an SSH session'],
    [{ SSH_CLIENT: '1 2 3' }, 'win32', 'this is an SSH session'],
  ] as const)('%o on %s → %s', (env, platform, reason) => {
    expect(noBrowserReason(env, platform)).toBe(reason)
  })

  it('never starts the system browser without a display, but runs an explicit command', async () => {
    expect(
      await openBrowser('https://x', { command: undefined, disabled: false }, {}, 'linux'),
    ).toEqual({
      opened: false,
      reason: 'there is no display',
    })
    // A command that exists on every platform the suite runs on.
    const explicit = await openBrowser(
      'https://x',
      { command: `"${process.execPath}" -e 0`, disabled: false },
      { SSH_TTY: 'x' },
      process.platform,
    )
    expect(explicit).toEqual({ opened: true })
  })

  it('the tunnel command forwards the same port to 127.0.0.1', () => {
    expect(sshTunnelCommand(8765, { USER: 'alice' })).toMatch(
      /^ssh -N -L 8765:127\.0\.0\.1:8765 alice@\S+$/,
    )
  })
})

describe('the countdown', () => {
  it.each([
    [300_000, '5:00'],
    [299_001, '5:00'],
    [298_500, '4:59'],
    [7_000, '0:07'],
    [1, '0:01'],
    [0, '0:00'],
    [-5_000, '0:00'],
  ])('%i ms → %s', (ms, shown) => {
    expect(formatRemaining(ms)).toBe(shown)
  })
})
