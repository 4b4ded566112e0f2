// A local AT Protocol sandbox: a real PLC directory, a real PDS (with its
// OAuth authorization server) and a loopback host for hosted client metadata.
// Used by the end-to-end tests, the benchmark and the demo. Everything listens
// on loopback only.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type SandboxAccount = {
  handle: string
  did: string
  password: string
  email: string
}

export type SandboxOptions = {
  /** Client metadata documents to host, keyed by their https client_id. */
  clientMetadata?: Record<string, unknown>
  /** Accounts to create, by short name ("alice" → alice.test). */
  accounts?: string[]
  /** Silence the PDS request log (it is very chatty). */
  quiet?: boolean
}

export type ReceivedRequest = {
  method: string
  path: string
  status: number
  userAgent: string
  /** The server's time on it, from arrival to the last byte of the answer. */
  ms: number
}

export type Sandbox = {
  plcUrl: string
  pdsUrl: string
  accounts: Record<string, SandboxAccount>
  /** Adds or replaces a hosted client metadata document. */
  hostClientMetadata(clientId: string, document: unknown): void
  /**
   * Every HTTP request the PDS (and its authorization server) received, in
   * order of arrival, with the status once answered: counted at the server,
   * so tests and the benchmark can tell how many round trips a command made.
   */
  /** Every request the PDS (with its authorization server) received. */
  requests: ReceivedRequest[]
  /** Every request the PLC directory received. */
  plcRequests: ReceivedRequest[]
  /**
   * Every access and refresh token the authorization server issued, rotated
   * and revoked ones included, taken where it makes its token responses.
   */
  issuedTokens: string[]
  /**
   * Holds back the next token answer (code exchange or refresh): the server has issued (and, for a
   * refresh, rotated) the tokens when `issued` resolves, and answers only once `release` is called.
   */
  holdNextTokenAnswer(): { issued: Promise<void>; release: () => void }
  /** Whether the authorization server still holds the session of this access or refresh token. */
  sessionAtServer(token: string): Promise<boolean>
  /** The running PDS, for tests that need to look inside. */
  pds: import('@atproto/pds').PDS
  close(): Promise<void>
}

async function listenOnLoopback(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return (server.address() as AddressInfo).port
}

/** A loopback port nothing listens on (just now): for a server to start, or to find closed. */
export async function freeLoopbackPort(): Promise<number> {
  const probe = createServer()
  const port = await listenOnLoopback(probe)
  await new Promise((resolve) => probe.close(resolve))
  return port
}

function secp256k1PrivateKeyHex(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  const jwk = privateKey.export({ format: 'jwk' })
  return Buffer.from(jwk.d as string, 'base64url').toString('hex')
}

/**
 * Serves hosted client metadata from loopback, and routes this process's
 * `fetch` of those https URLs to it: the PDS fetches client metadata with
 * `globalThis.fetch`, and a production-shaped client_id cannot point at
 * loopback itself.
 */
async function startClientMetadataHost(documents: Map<string, unknown>) {
  const server = createServer((req, res) => {
    const clientId = req.headers['x-atoauth-client-id']
    const doc = typeof clientId === 'string' ? documents.get(clientId) : undefined
    if (req.method !== 'GET' || doc === undefined) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(doc))
  })
  const port = await listenOnLoopback(server)
  const realFetch = globalThis.fetch
  globalThis.fetch = async (input, init) => {
    const request = new Request(input, init)
    if (!documents.has(request.url)) return realFetch(request)
    const headers = new Headers(request.headers)
    headers.set('x-atoauth-client-id', request.url)
    return realFetch(`http://127.0.0.1:${port}/`, { headers, signal: request.signal })
  }
  return {
    close: async () => {
      globalThis.fetch = realFetch
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const cleanups: Array<() => Promise<unknown>> = []
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  }
  try {
    const documents = new Map(Object.entries(options.clientMetadata ?? {}))
    const host = await startClientMetadataHost(documents)
    cleanups.push(host.close)

    const plc = await import('@did-plc/server')
    const plcPort = await freeLoopbackPort()
    const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: plcPort })
    await plcServer.start()
    cleanups.push(() => plcServer.destroy())
    const plcUrl = `http://localhost:${plcPort}`

    if (options.quiet !== false) process.env.LOG_ENABLED ??= 'false'
    const { PDS } = await import('@atproto/pds')
    const pdsPort = await freeLoopbackPort()
    const dataDirectory = await mkdtemp(join(tmpdir(), 'atoauth-pds-'))
    cleanups.push(() => rm(dataDirectory, { recursive: true, force: true }))
    const pds = await PDS.fromEnv({
      devMode: true,
      port: pdsPort,
      hostname: 'localhost',
      dataDirectory,
      blobstoreDiskLocation: join(dataDirectory, 'blobs'),
      didPlcUrl: plcUrl,
      adminPassword: randomBytes(16).toString('hex'),
      jwtSecret: randomBytes(32).toString('hex'),
      plcRotationKeyK256PrivateKeyHex: secp256k1PrivateKeyHex(),
      serviceHandleDomains: ['.test'],
      bskyAppViewUrl: 'https://appview.invalid',
      bskyAppViewDid: 'did:example:invalid',
      bskyAppViewCdnUrlPattern: 'http://cdn.appview.invalid/%s/%s/%s',
      modServiceUrl: 'https://moderator.invalid',
      modServiceDid: 'did:example:invalid',
      inviteRequired: false,
      disableSsrfProtection: true,
      rateLimitsEnabled: false,
      serviceName: 'atoauth sandbox PDS',
    })
    await pds.start()
    cleanups.push(() => pds.destroy())
    const requests: ReceivedRequest[] = []
    const plcRequests: ReceivedRequest[] = []
    const record = (log: ReceivedRequest[]) => (req: IncomingMessage, res: ServerResponse) => {
      const arrived = performance.now()
      const entry = {
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        status: 0,
        userAgent: req.headers['user-agent'] ?? '',
        ms: 0,
      }
      log.push(entry)
      res.on('finish', () => {
        entry.status = res.statusCode
        entry.ms = performance.now() - arrived
      })
    }
    const { issued: issuedTokens, holdNext: holdNextTokenAnswer } = recordIssuedTokens(pds)
    pds.server?.on('request', record(requests))
    plcServer.server?.on('request', record(plcRequests))
    const pdsUrl = `http://localhost:${pdsPort}`

    const accounts: Record<string, SandboxAccount> = {}
    for (const name of options.accounts ?? ['alice', 'bob']) {
      const account = {
        handle: `${name}.test`,
        email: `${name}@sandbox.invalid`,
        password: `${name}-${randomBytes(6).toString('hex')}`,
      }
      const res = await fetch(`${pdsUrl}/xrpc/com.atproto.server.createAccount`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(account),
      })
      if (!res.ok) throw new Error(`createAccount ${name}: ${res.status} ${await res.text()}`)
      const { did } = (await res.json()) as { did: string }
      accounts[name] = { ...account, did }
    }

    return {
      plcUrl,
      pdsUrl,
      accounts,
      requests,
      plcRequests,
      issuedTokens,
      holdNextTokenAnswer,
      sessionAtServer: async (token) =>
        (await oauthProvider(pds).tokenManager.findToken(token)) !== null,
      pds,
      hostClientMetadata: (clientId, document) => void documents.set(clientId, document),
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}

function oauthProvider(pds: import('@atproto/pds').PDS) {
  const provider = pds.ctx.oauthProvider
  if (!provider) throw new Error('the sandbox PDS runs without its authorization server')
  return provider
}

/**
 * Notes the tokens of every token response (code exchange and refresh), as
 * the token endpoint sends them, so that tests can look for them anywhere; and
 * can hold the next one back after the server has made it.
 */
function recordIssuedTokens(pds: import('@atproto/pds').PDS) {
  const issued: string[] = []
  let hold: { reached: () => void; released: Promise<void> } | undefined
  const tokens = oauthProvider(pds).tokenManager
  for (const method of ['createToken', 'rotateToken'] as const) {
    const original = tokens[method] as (...args: unknown[]) => Promise<OAuthTokenResponse>
    Object.assign(tokens, {
      [method]: async (...args: unknown[]) => {
        const response = await original.apply(tokens, args)
        issued.push(
          response.access_token,
          ...(response.refresh_token ? [response.refresh_token] : []),
        )
        const held = hold
        hold = undefined
        if (held) {
          held.reached()
          await held.released
        }
        return response
      },
    })
  }
  const holdNext = () => {
    let reached = () => {}
    let release = () => {}
    const issuedNow = new Promise<void>((resolve) => {
      reached = resolve
    })
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    hold = { reached, released }
    return { issued: issuedNow, release }
  }
  return { issued, holdNext }
}

type OAuthTokenResponse = { access_token: string; refresh_token?: string }

/** Reads a JSON file, for hosting a committed client metadata document. */
export async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'))
}

/**
 * The environment that points atoauth at this sandbox instead of the real
 * network (the development-only settings), with its own config and cache dir.
 */
export function atoauthEnv(
  sandbox: Pick<Sandbox, 'plcUrl' | 'pdsUrl'>,
  dirs: { configDir: string; cacheDir: string },
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ATOAUTH_CONFIG_DIR: dirs.configDir,
    ATOAUTH_CACHE_DIR: dirs.cacheDir,
    ATOAUTH_PLC_URL: sandbox.plcUrl,
    ATOAUTH_HANDLE_RESOLVER: sandbox.pdsUrl,
    ATOAUTH_ALLOW_HTTP: '1',
  }
}
