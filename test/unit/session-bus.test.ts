// Asking the session bus, bounded, whether it answers at all.
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { sessionBusAnswers, sessionBusSocket } from '../../src/store/session-bus.ts'

describe('sessionBusSocket', () => {
  it('reads the first unix address, path or abstract, unescaping %xx', () => {
    expect(sessionBusSocket('unix:path=/run/user/1000/bus')).toBe('/run/user/1000/bus')
    expect(sessionBusSocket('unix:path=/tmp/a%20b,guid=0123')).toBe('/tmp/a b')
    expect(sessionBusSocket('unix:abstract=/tmp/dbus-X,guid=9')).toBe('\0/tmp/dbus-X')
    expect(sessionBusSocket('tcp:host=x,port=1;unix:path=/b')).toBe('/b')
  })

  it('has nothing to ask without a unix address', () => {
    expect(sessionBusSocket(undefined)).toBeUndefined()
    expect(sessionBusSocket('')).toBeUndefined()
    expect(sessionBusSocket('tcp:host=localhost,port=5000')).toBeUndefined()
  })
})

describe('sessionBusAnswers', () => {
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
    return { address: `unix:path=${path}`, seen }
  }

  const silence = () => new Error('silent')

  it('resolves when the bus answers the handshake, which starts as D-Bus wants', async () => {
    const { address, seen } = await bus(true)
    await expect(sessionBusAnswers(address, 2_000, silence)).resolves.toBeUndefined()
    expect(seen.join('')).toMatch(/^\0AUTH EXTERNAL [0-9a-f]+\r\n$/)
  })

  it('rejects when the bus accepts the connection and says nothing', async () => {
    const { address } = await bus(false)
    await expect(sessionBusAnswers(address, 200, silence)).rejects.toThrow('silent')
  })

  it('leaves a missing bus to the keyring library, which names it', async () => {
    await expect(sessionBusAnswers(undefined, 200, silence)).resolves.toBeUndefined()
    await expect(
      sessionBusAnswers('unix:path=/nonexistent/atoauth-bus', 200, silence),
    ).resolves.toBeUndefined()
  })
})
