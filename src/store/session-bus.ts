// Whether the D-Bus session bus answers at all, asked without blocking. Making a keychain entry
// connects to the bus synchronously on the main thread, with no time limit: a hung dbus-daemon
// would hang atoauth, deaf even to Ctrl-C. So atoauth first waits, bounded, for any answer to AUTH,
// the first step of the D-Bus handshake.
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { KeyringCallTimeout } from './keychain-trouble.js'

// The unix sockets libdbus would try, in order; without an address, $XDG_RUNTIME_DIR/bus (cron,
// SSH and tmux often have only that).
export function sessionBusSockets(env: NodeJS.ProcessEnv): string[] {
  const address = env.DBUS_SESSION_BUS_ADDRESS
  if (!address) return env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'bus')] : []
  const sockets: string[] = []
  for (const entry of address.split(';')) {
    if (!entry.startsWith('unix:')) continue
    for (const pair of entry.slice('unix:'.length).split(',')) {
      const [, key, value] = /^(path|abstract)=(.*)$/s.exec(pair) ?? []
      if (value === undefined) continue
      try {
        sockets.push((key === 'abstract' ? '\0' : '') + decodeURIComponent(value))
      } catch {
        // D-Bus escapes bytes as %xx: a value that is not UTF-8 text names no socket we can use.
      }
    }
  }
  return sockets
}

// Resolves once a bus answered AUTH, or if none could be reached (the library names a missing bus
// itself, at once); rejects with a KeyringCallTimeout if the one reached says nothing in time.
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
