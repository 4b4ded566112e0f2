// Asking the session bus, bounded, whether it answers at all.
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { sessionBusAnswers, sessionBusSockets } from '../../src/store/session-bus.ts'

const sockets = (DBUS_SESSION_BUS_ADDRESS?: string, XDG_RUNTIME_DIR?: string) =>
  sessionBusSockets({ DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR })

// Only Linux and FreeBSD ask the session bus (native-keyring.ts): D-Bus addresses are unix socket
// paths, which Windows neither joins with '/' nor listens on (its local sockets are named pipes).
const noSessionBus = process.platform === 'win32'

describe.skipIf(noSessionBus)('sessionBusSockets', () => {
  it('reads the unix addresses in order, path or abstract, unescaping %xx', () => {
    expect(sockets('unix:path=/run/user/1000/bus')).toEqual(['/run/user/1000/bus'])
    expect(sockets('unix:path=/tmp/a%20b=c,guid=0123')).toEqual(['/tmp/a b=c'])
    expect(sockets('unix:abstract=/tmp/dbus-X,guid=9')).toEqual(['\0/tmp/dbus-X'])
    expect(sockets('tcp:host=x,port=1;unix:path=/b;unix:path=/c')).toEqual(['/b', '/c'])
  })

  it('without an address, asks where libdbus looks: $XDG_RUNTIME_DIR/bus', () => {
    expect(sockets(undefined, '/run/user/1000')).toEqual(['/run/user/1000/bus'])
    expect(sockets('', '/run/user/1000')).toEqual(['/run/user/1000/bus'])
    expect(sockets(undefined, undefined)).toEqual([])
  })

  it('skips what it cannot ask: other transports, bytes that are not text', () => {
    expect(sockets('tcp:host=localhost,port=5000', '/run/user/1')).toEqual([])
    expect(sockets('unix:path=/tmp/%ff')).toEqual([])
  })
})

describe.skipIf(noSessionBus)('sessionBusAnswers', () => {
  let dir: string | undefined
  let server: Server | undefined
  const held: Socket[] = []
  afterEach(async () => {
    for (const socket of held.splice(0)) socket.destroy()
    if (server) await new Promise((r) => server?.close(r))
    if (dir) await rm(dir, { recursive: true, force: true })
    server = dir = undefined
  })

  /** A bus socket that answers AUTH like dbus-daemon, or says nothing. */
  async function bus(answers: boolean) {
    dir = await mkdtemp(join(tmpdir(), 'atoauth-bus-'))
    const path = join(dir, 'bus')
    const seen: string[] = []
    server = createServer((socket) => {
      held.push(socket)
      socket.on('data', (data) => {
        seen.push(data.toString())
        if (answers) socket.write('OK 0123456789abcdef\r\n')
      })
    })
    await new Promise<void>((r) => server?.listen(path, r))
    return { env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${path}` }, seen, path }
  }

  it('resolves when the bus answers the handshake, which starts as D-Bus wants', async () => {
    const { env, seen } = await bus(true)
    await expect(sessionBusAnswers(env, 2_000)).resolves.toBeUndefined()
    expect(seen.join('')).toMatch(/^\0AUTH EXTERNAL [0-9a-f]+\r\n$/)
  })

  it('rejects when the bus accepts the connection and says nothing', async () => {
    const { env } = await bus(false)
    await expect(sessionBusAnswers(env, 200)).rejects.toThrow('no answer within 0.2 s')
  })

  it('finds a silent bus at $XDG_RUNTIME_DIR/bus when no address is set', async () => {
    const { path } = await bus(false)
    const env = { XDG_RUNTIME_DIR: join(path, '..') }
    await expect(sessionBusAnswers(env, 200)).rejects.toThrow('no answer within 0.2 s')
  })

  it('goes on to the next address when one cannot be reached, as libdbus does', async () => {
    const { path } = await bus(false)
    const env = { DBUS_SESSION_BUS_ADDRESS: `unix:path=/nonexistent/bus;unix:path=${path}` }
    await expect(sessionBusAnswers(env, 200)).rejects.toThrow('no answer within 0.2 s')
  })

  it('leaves a missing bus to the keyring library, which names it', async () => {
    await expect(sessionBusAnswers({}, 200)).resolves.toBeUndefined()
    await expect(
      sessionBusAnswers({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/atoauth-bus' }, 200),
    ).resolves.toBeUndefined()
  })
})
