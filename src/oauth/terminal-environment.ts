// Where the login runs decides how the browser gets there: a desktop session
// opens the system browser; an SSH session or a machine without a display
// cannot (xdg-open would start a text-mode browser inside the terminal), so
// the person opens the URL elsewhere and brings the redirect back.
import { hostname, userInfo } from 'node:os'

type Env = Record<string, string | undefined>

export function isSshSession(env: Env = process.env): boolean {
  return Boolean(env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY)
}

export function hasDisplay(
  env: Env = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (platform === 'darwin' || platform === 'win32') return true
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
}

/** Why the system browser must not be started here, if it must not. */
export function noBrowserReason(
  env: Env = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (isSshSession(env)) return 'this is an SSH session'
  if (!hasDisplay(env, platform)) return 'there is no display'
  return undefined
}

/**
 * The command that lets a browser on the person's own machine reach the
 * listener here: a local port forwarded to this machine's loopback port.
 */
export function sshTunnelCommand(port: number, env: Env = process.env): string {
  const user = env.USER || env.LOGNAME || safeUsername()
  const host = hostname()
  return `ssh -N -L ${port}:127.0.0.1:${port} ${user ? `${user}@` : ''}${host}`
}

function safeUsername(): string | undefined {
  try {
    return userInfo().username
  } catch {
    return undefined
  }
}
