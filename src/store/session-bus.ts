// Whether the D-Bus session bus answers at all, asked without blocking.
//
// On Linux, making a keychain entry (@napi-rs/keyring) connects to the
// session bus synchronously, on Node's main thread, with no time limit. A bus
// that accepts the connection and then never answers (a hung dbus-daemon)
// would hang atoauth there, deaf even to Ctrl-C. So before the first entry,
// atoauth opens the bus's socket itself and waits, bounded, for the answer to
// the first step of the D-Bus handshake (AUTH). Any answer will do; the
// keyring library then does the real work.
import { isUtf8 } from 'node:buffer'
import { createConnection } from 'node:net'
import { join } from 'node:path'

/**
 * The unix sockets libdbus would try, in its order: those of the
 * DBUS_SESSION_BUS_ADDRESS addresses (path or abstract), or without one,
 * $XDG_RUNTIME_DIR/bus (cron, SSH, tmux often have only the latter).
 */
export function sessionBusSockets(env: NodeJS.ProcessEnv): string[] {
  const address = env.DBUS_SESSION_BUS_ADDRESS
  if (address === undefined || address === '') {
    return env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'bus')] : []
  }
  const sockets: string[] = []
  for (const entry of address.split(';')) {
    const colon = entry.indexOf(':')
    if (entry.slice(0, colon) !== 'unix') continue
    for (const pair of entry.slice(colon + 1).split(',')) {
      const equals = pair.indexOf('=')
      if (equals < 0) continue
      const [key, value] = [pair.slice(0, equals), unescapeValue(pair.slice(equals + 1))]
      if (value === undefined) continue
      if (key === 'path') sockets.push(value)
      if (key === 'abstract') sockets.push(`\0${value}`)
    }
  }
  return sockets
}

/** D-Bus escapes bytes in values as %xx; undefined if they are not UTF-8 text. */
function unescapeValue(value: string): string | undefined {
  const bytes: number[] = []
  for (let i = 0; i < value.length; i++) {
    const hex = value[i] === '%' ? value.slice(i + 1, i + 3) : ''
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(value[i] as string, 'utf8'))
    }
  }
  const buffer = Buffer.from(bytes)
  return isUtf8(buffer) ? buffer.toString('utf8') : undefined
}

/**
 * Resolves once a bus has answered AUTH, or when there is no socket it could
 * connect to (the library reports a missing bus itself, at once); rejects
 * with `onSilence()` if the one it connected to says nothing in `timeoutMs`.
 */
export async function sessionBusAnswers(
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  onSilence: () => Error,
): Promise<void> {
  for (const socketPath of sessionBusSockets(env)) {
    if (await answers(socketPath, timeoutMs, onSilence)) return
  }
}

/** True if it answered, false if it could not be reached; rejects on silence. */
function answers(socketPath: string, timeoutMs: number, onSilence: () => Error) {
  return new Promise<boolean>((resolve, reject) => {
    const socket = createConnection({ path: socketPath })
    let connected = false
    const done = (result: boolean | Error) => {
      clearTimeout(timer)
      socket.destroy()
      if (result instanceof Error) reject(result)
      else resolve(result)
    }
    const timer = setTimeout(() => done(onSilence()), timeoutMs)
    socket.on('connect', () => {
      connected = true
      const uid = String(process.getuid?.() ?? 0)
      socket.write(`\0AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\n`)
    })
    socket.once('data', () => done(true))
    // Unreachable: the next address, as libdbus does. Closed after connecting: it answered.
    socket.on('error', () => done(connected))
    socket.on('close', () => done(connected))
  })
}
