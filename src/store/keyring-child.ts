// The only code that calls the native keychain library, run in a child
// process of its own (keyring-process.ts starts it). A call stuck inside the
// library — an unlock prompt nobody answers waits for the keyring's own 25 s,
// or for ever — holds a thread that Node cannot interrupt, and a process with
// such a thread cannot even exit until the call returns. Killing this child
// ends the call; atoauth itself never waits on one.
import { messageChain } from './keychain-trouble.js'

export type KeyringOperation = 'get' | 'set' | 'delete'

export type KeyringRequest = {
  id: number
  op: KeyringOperation
  service: string
  account: string
  value?: string
}

export type KeyringReply =
  | { id: number; ok: true; value?: string }
  /** The failure's message and those of its causes, outermost first. */
  | { id: number; ok: false; messages: string[] }

/** Sent once: the library is loaded and requests can come, or it could not be loaded. */
export type KeyringReady = { ready: true } | { ready: false; messages: string[] }

const send = process.send?.bind(process)
if (!send) throw new Error('keyring-child runs only as a child process with an IPC channel')

let AsyncEntry: typeof import('@napi-rs/keyring').AsyncEntry
try {
  ;({ AsyncEntry } = await import('@napi-rs/keyring'))
} catch (err) {
  // No prebuilt library for this platform, say: atoauth reports why.
  send({ ready: false, messages: messageChain(err) } satisfies KeyringReady)
  process.exit(1)
}

// Ctrl-C is atoauth's to handle; this child leaves when atoauth does.
process.on('SIGINT', () => {})

let running = 0

process.on('message', async (request: KeyringRequest) => {
  running++
  let reply: KeyringReply
  try {
    reply = { id: request.id, ok: true, value: await perform(request) }
  } catch (err) {
    reply = { id: request.id, ok: false, messages: messageChain(err) }
  } finally {
    running--
  }
  if (process.connected) send(reply)
})

// atoauth is gone (or done): leave too, at once if a call is stuck, since
// the native thread would keep a normal exit waiting.
process.on('disconnect', () => {
  if (running > 0) process.kill(process.pid, 'SIGKILL')
  else process.exit(0)
})

async function perform({ op, service, account, value }: KeyringRequest) {
  // On Linux, pin the Secret Service: the default fallback (the kernel
  // keyring) silently loses every session at reboot.
  const entry = new AsyncEntry(service, account, { linux: { store: 'secret-service' } })
  switch (op) {
    case 'get':
      return (await entry.getPassword()) ?? undefined
    case 'set':
      await entry.setPassword(value ?? '')
      return undefined
    case 'delete':
      await entry.deleteCredential()
      return undefined
  }
}

send({ ready: true } satisfies KeyringReady)
