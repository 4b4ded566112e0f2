// Whether the D-Bus session bus answers at all, asked without blocking.
//
// On Linux, making a keychain entry (@napi-rs/keyring) connects to the
// session bus synchronously, on Node's main thread, with no time limit. A bus
// that accepts the connection and then never answers (a hung dbus-daemon)
// would hang atoauth there, deaf even to Ctrl-C. So before the first entry,
// atoauth opens the bus's socket itself and waits, bounded, for the answer to
// the first step of the D-Bus handshake (AUTH). Any answer will do; the
// keyring library then does the real work.
import { createConnection } from 'node:net'

/** The socket of the first unix: address in DBUS_SESSION_BUS_ADDRESS, if any. */
export function sessionBusSocket(address: string | undefined): string | undefined {
  for (const entry of (address ?? '').split(';')) {
    const [transport, params] = [
      entry.slice(0, entry.indexOf(':')),
      entry.slice(entry.indexOf(':') + 1),
    ]
    if (transport !== 'unix') continue
    for (const pair of params.split(',')) {
      const [key, value = ''] = pair.split('=', 2) as [string, string?]
      // D-Bus escapes bytes in values as %xx.
      if (key === 'path') return decodeURIComponent(value)
      if (key === 'abstract') return `\0${decodeURIComponent(value)}`
    }
  }
  return undefined
}

/**
 * Resolves once the bus has answered AUTH (or when there is no unix socket to
 * ask: the library reports a missing bus itself, at once); rejects with
 * `onSilence()` if it says nothing within `timeoutMs`. A refused connection
 * resolves too: the library fails on it quickly, with its own diagnosis.
 */
export function sessionBusAnswers(
  address: string | undefined,
  timeoutMs: number,
  onSilence: () => Error,
): Promise<void> {
  const socketPath = sessionBusSocket(address)
  if (socketPath === undefined) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath })
    const done = (err?: Error) => {
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve()
    }
    const timer = setTimeout(() => done(onSilence()), timeoutMs)
    socket.on('connect', () => {
      const uid = String(process.getuid?.() ?? 0)
      socket.write(`\0AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\n`)
    })
    socket.once('data', () => done())
    socket.on('error', () => done())
    socket.on('close', () => done())
  })
}
