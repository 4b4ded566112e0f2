// Loopback servers for the tests of a request path's bounds (the warm request, the OAuth
// library's fetch): one that answers a given number of bytes, one that never answers.
import { once } from 'node:events'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

const servers: Server[] = []

/** A loopback server until closeServers(); its origin and the requests it received. */
export async function serve(handler: RequestListener) {
  const received: { method: string; url: string; dpop: boolean; body: string }[] = []
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    received.push({ method: req.method!, url: req.url!, dpop: 'dpop' in req.headers, body })
    handler(req, res)
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}

/** Closes every server serve() started (call it after each test). */
export async function closeServers(): Promise<void> {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  }
}

/** A server whose answer is `size` bytes, sent in 1 MiB chunks without a length. */
export function answerOf(size: number): RequestListener {
  return async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    const chunk = Buffer.alloc(2 ** 20)
    for (let left = size; left > 0 && !res.destroyed; left -= chunk.length) {
      if (!res.write(chunk.subarray(0, Math.min(left, chunk.length)))) {
        await Promise.race([once(res, 'drain'), once(res, 'close')])
      }
    }
    res.end()
  }
}

/** A server that takes a request and never answers; `asked` resolves when one arrived. */
export async function silentServer() {
  let arrived: () => void = () => {}
  const asked = new Promise<void>((r) => {
    arrived = r
  })
  const { origin } = await serve(() => arrived())
  return { origin, asked }
}
