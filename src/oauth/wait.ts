// Waiting for the browser to come back to the listener: a countdown spinner
// when the browser opened here; otherwise (SSH, no display, --no-browser) the
// instructions for a browser elsewhere — an SSH tunnel, or pasting the URL the
// browser ended on — and the paste prompt.
import type { Context } from '../context.js'
import type { LoopbackListener } from './loopback-listener.js'

export type Waiting<T> = {
  listener: LoopbackListener
  /** The listener's waitForCallback(), started before the browser was opened. */
  answered: Promise<T>
  timeoutSeconds: number
}

/** The desktop case: a spinner that counts down to the timeout. */
export async function waitWithCountdown<T>(ctx: Context, waiting: Waiting<T>): Promise<T> {
  const endsAt = ctx.now().getTime() + waiting.timeoutSeconds * 1000
  const text = () =>
    `Waiting for the browser to sign in… ${formatRemaining(endsAt - ctx.now().getTime())} left (Ctrl-C to cancel)`
  const spinner = await ctx.out.spinner(text())
  const ticker = setInterval(() => spinner.update(text()), 1000)
  try {
    return await waiting.answered
  } finally {
    clearInterval(ticker)
    spinner.stop()
  }
}

/**
 * No browser here: it runs on another device. Its redirect reaches this
 * listener through an SSH tunnel, or the person pastes the URL it ended on;
 * the first to arrive wins.
 */
export async function waitForRemoteBrowser<T>(
  ctx: Context,
  waiting: Waiting<T>,
  reason: string | undefined,
): Promise<T> {
  const { listener, answered } = waiting
  const { isSshSession, sshTunnelCommand } = await import('./terminal-environment.js')
  const ssh = isSshSession()
  const why = reason && reason !== '--no-browser' ? ` (${reason})` : ''
  ctx.out.info(`No browser opened here${why}: open the URL above on any device.`)
  if (ssh) {
    ctx.out.info(
      `To let that browser reach this machine, run this on it first, in another terminal:\n\n  ${sshTunnelCommand(listener.port)}\n`,
    )
  }
  // A person at a terminal can paste; in an SSH session without a TTY
  // (ssh host 'atoauth login …') stdin is still their keyboard.
  const input = ctx.stdin as NodeJS.ReadableStream & { isTTY?: boolean }
  const canPaste = input.isTTY === true || ssh
  if (canPaste) {
    ctx.out.info(
      `If the browser then shows an error page at ${listener.redirectUri}?…, copy that whole URL from its address bar and paste it here.`,
    )
  }
  ctx.out.info(
    `Waiting up to ${formatRemaining(waiting.timeoutSeconds * 1000)} (Ctrl-C to cancel).`,
  )
  if (!canPaste) return answered
  const { acceptPastedCallbacks } = await import('./paste-prompt.js')
  const done = new AbortController()
  acceptPastedCallbacks(listener, {
    input,
    output: process.stderr,
    say: (message) => ctx.out.warn(message),
    signal: done.signal,
  })
  try {
    return await answered
  } finally {
    done.abort()
  }
}

/** "4:59", "0:07": minutes and seconds left, never negative. */
export function formatRemaining(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000))
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}
