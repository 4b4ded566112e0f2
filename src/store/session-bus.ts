// Whether the D-Bus session bus answers at all, asked without blocking. Making
// a keychain entry connects to the bus synchronously on the main thread, with
// no time limit: a hung dbus-daemon would hang atoauth there, deaf even to
// Ctrl-C. So before the first entry, atoauth waits, bounded, for any answer
// to the first step of the D-Bus handshake (AUTH).
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { KeyringCallTimeout } from './keychain-trouble.js'

// The unix sockets libdbus would try, in its order; without an address,
// $XDG_RUNTIME_DIR/bus (cron, SSH and tmux often have only that).
export function sessionBusSockets(env: NodeJS.ProcessEnv): string[] {
  const address = env.DBUS_SESSION_BUS_ADDRESS
  if (address === undefined || address === '') {
    return env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'bus')] : []
  }
  const sockets: string[] = []
  for (const entry of address.split(';')) {
    if (!entry.startsWith('unix:')) continue
    for (const pair of entry.slice('unix:'.length).split(',')) {
      const [, key, value] = /^(path|abstract)=(.*)$/s.exec(pair) ?? []
      const path = value === undefined ? undefined : unescapeValue(value)
      if (path !== undefined) sockets.push(key === 'abstract' ? `\0${path}` : path)
    }
  }
  return sockets
}

/** D-Bus escapes bytes in values as %xx; undefined if they are not UTF-8 text. */
function unescapeValue(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

// Resolves once a bus answered AUTH, or if none could be reached (the library
// names a missing bus itself, at once); rejects with a KeyringCallTimeout if
// the one it reached says nothing in time.
export async function sessionBusAnswers(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
  for (const socketPath of sessionBusSockets(env)) {
    if (await answers(socketPath, timeoutMs)) return
  }
}

/** True if it answered, false if it could not be reached; rejects on silence. */
function answers(socketPath: string, timeoutMs: number) {
  return new Promise<boolean>((resolve, reject) => {
    const socket = createConnection({ path: socketPath })
    let connected = false
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new KeyringCallTimeout(timeoutMs / 1000))
    }, timeoutMs)
    const done = (answered: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(answered)
    }
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
