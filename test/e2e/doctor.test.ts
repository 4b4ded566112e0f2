// atoauth doctor against the sandbox: a healthy setup passes every check and
// exits 0; each way of breaking it is reported as a failed check, with exit 1
// and the JSON report still on stdout. The CLI fetches client metadata
// itself, so a preload answers its fetch of the https client_ids in play.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freeLoopbackPort } from '../sandbox/sandbox.ts'
import { HOSTED_CLIENT_ID, HOSTED_DOCUMENT_PATH, ROOT, refreshesSince, useE2E } from './harness.ts'

const e2e = useE2E({ loginAs: 'alice' })

const PRELOAD = join(ROOT, 'test/support/hosted-client-fetch.ts')

type Report = {
  ok: boolean
  checks: Array<{ name: string; status: 'ok' | 'warn' | 'fail'; detail: string; hint?: string }>
}

let documentsDir: string
const servers: Server[] = []

beforeAll(async () => {
  documentsDir = await mkdtemp(join(tmpdir(), 'atoauth-doctor-'))
})

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  await rm(documentsDir, { recursive: true, force: true })
})

/** The sandbox environment, with the CLI's fetch of these client_ids answered locally. */
function doctorEnv(
  routes: Record<string, string> = {},
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return e2e.env({
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${PRELOAD}`].filter(Boolean).join(' '),
    ATOAUTH_TEST_HOSTED_DOCUMENTS: JSON.stringify({
      [HOSTED_CLIENT_ID]: HOSTED_DOCUMENT_PATH,
      ...routes,
    }),
    ...extra,
  })
}

async function doctor(args: string[] = [], env = doctorEnv()) {
  const result = await e2e.run(['doctor', '--json', ...args], env)
  return { ...result, report: JSON.parse(result.stdout) as Report }
}

function check(report: Report, name: string) {
  const found = report.checks.find((c) => c.name === name)
  if (!found) throw new Error(`no check named ${name} in ${JSON.stringify(report)}`)
  return found
}

/** A client metadata document served for `clientId`, as a file for the preload. */
async function documentFile(name: string, content: unknown): Promise<string> {
  const path = join(documentsDir, `${name}.json`)
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

/** The committed hosted document, moved to another client_id. */
async function hostedDocumentAt(clientId: string): Promise<Record<string, unknown>> {
  const document = JSON.parse(await readFile(HOSTED_DOCUMENT_PATH, 'utf8'))
  return { ...document, client_id: clientId, client_uri: `${new URL(clientId).origin}/` }
}

/** Runs `fn` while accounts.json says something else, then puts it back. */
async function withAccountsFile<T>(
  change: (index: { accounts: Array<Record<string, string>> }) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const path = join(e2e.configDir, 'accounts.json')
  const original = await readFile(path, 'utf8')
  const index = JSON.parse(original)
  change(index)
  await writeFile(path, JSON.stringify(index))
  try {
    return await fn()
  } finally {
    await writeFile(path, original)
  }
}

async function listen(server: Server): Promise<string> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freeLoopbackPort()}/`
}

describe('doctor', () => {
  const alice = () => e2e.sandbox.accounts.alice!

  it('a healthy setup passes every check, exits 0, and uses no session', async () => {
    const before = await e2e.storedSession(alice().did)
    const requestsBefore = e2e.sandbox.requests.length
    const { code, stdout, stderr, report } = await doctor()
    expect(code, stdout + stderr).toBe(0)
    expect(report.ok).toBe(true)
    expect(report.checks.map((c) => c.name)).toEqual([
      'secret-store',
      'config-dir',
      'accounts',
      'client-metadata',
      'clock',
      'pds:alice.test',
      'session:alice.test',
    ])
    for (const c of report.checks) {
      expect(c, JSON.stringify(c)).toEqual({ name: c.name, status: 'ok', detail: c.detail })
      expect(c.detail.length).toBeGreaterThan(0)
    }
    expect(check(report, 'config-dir').detail).toContain('mode 700')
    expect(check(report, 'pds:alice.test').detail).toContain(e2e.sandbox.pdsUrl)
    // Nothing was refreshed or rotated: the stored session is untouched.
    expect(refreshesSince(e2e.sandbox, requestsBefore)).toBe(0)
    expect(e2e.sandbox.requests.slice(requestsBefore).map((r) => r.path)).toEqual(['/xrpc/_health'])
    expect(await e2e.storedSession(alice().did)).toEqual(before)
  })

  it('prints a checklist on stdout for people, and nothing on stderr', async () => {
    const { code, stdout, stderr } = await e2e.run(['doctor'], doctorEnv())
    expect(code, stdout).toBe(0)
    expect(stderr).toBe('')
    const lines = stdout.trimEnd().split('\n')
    expect(lines.slice(0, 7).every((line) => line.startsWith('✓ '))).toBe(true)
    expect(lines.at(-1)).toBe('Every check passed.')
  })

  it('an unusable keychain fails the store check and the session check', async () => {
    const env = doctorEnv({}, { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/atoauth-bus' })
    const { code, report } = await doctor([], env)
    expect(code).toBe(1)
    expect(report.ok).toBe(false)
    expect(check(report, 'secret-store')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('Secret Service'),
      hint: expect.stringContaining('--insecure-storage'),
    })
    expect(check(report, 'session:alice.test').status).toBe('fail')
    expect(check(report, 'client-metadata').status).toBe('ok')
  })

  it('the plaintext store is reported with a warning, which still exits 0', async () => {
    const { code, report } = await doctor([], doctorEnv({}, { ATOAUTH_STORE: 'file' }))
    expect(code).toBe(0)
    expect(report.ok).toBe(true)
    expect(check(report, 'secret-store')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('plaintext'),
      hint: expect.stringContaining('--insecure-storage'),
    })
  })

  it('on a CI machine with an exported session and no keychain, only the keychain warns', async () => {
    const file = join(documentsDir, 'ci-session.json')
    await writeFile(file, e2e.blobFor('alice', (await e2e.storedSession(alice().did))!), {
      mode: 0o600,
    })
    const env = doctorEnv(
      {},
      {
        ATOAUTH_SESSION_FILE: file,
        DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/atoauth-bus',
      },
    )
    const { code, report } = await doctor([], env)
    expect(code).toBe(0)
    expect(check(report, 'secret-store').status).toBe('warn')
    expect(check(report, 'accounts')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('ATOAUTH_SESSION_FILE'),
    })
    expect(check(report, 'session:alice.test')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining(file),
    })
    expect(check(report, 'pds:alice.test').status).toBe('ok')
  })

  it('a config dir others can read warns; one they can write fails', async () => {
    try {
      await chmod(e2e.configDir, 0o755)
      const readable = await doctor()
      expect(readable.code).toBe(0)
      expect(check(readable.report, 'config-dir')).toMatchObject({
        status: 'warn',
        detail: expect.stringContaining('mode 755'),
        hint: `chmod 700 ${e2e.configDir}`,
      })

      await chmod(e2e.configDir, 0o777)
      const writable = await doctor()
      expect(writable.code).toBe(1)
      expect(writable.report.ok).toBe(false)
      expect(check(writable.report, 'config-dir')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('mode 777'),
        hint: `chmod 700 ${e2e.configDir}`,
      })
    } finally {
      await chmod(e2e.configDir, 0o700)
    }
  })

  it('an accounts.json that does not parse fails', async () => {
    const path = join(e2e.configDir, 'accounts.json')
    const original = await readFile(path, 'utf8')
    try {
      await writeFile(path, '{"version": 1, "accounts": [')
      const { code, report } = await doctor()
      expect(code).toBe(1)
      expect(check(report, 'accounts')).toMatchObject({
        status: 'fail',
        detail: `${path} is not valid JSON.`,
      })
    } finally {
      await writeFile(path, original)
    }
  })

  it('a client_id whose document cannot be fetched fails', async () => {
    const clientId = 'https://unreachable.atoauth.dev/oauth-client-metadata.json'
    const env = doctorEnv({ [clientId]: await closedPortUrl() })
    const { code, report } = await doctor(['--client-id', clientId], env)
    expect(code).toBe(1)
    expect(check(report, 'client-metadata')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`cannot fetch ${clientId}`),
    })
    // The other checks still ran.
    expect(check(report, 'session:alice.test').status).toBe('ok')
  })

  it.each([
    {
      problem: 'belongs to another client_id',
      document: async () => JSON.parse(await readFile(HOSTED_DOCUMENT_PATH, 'utf8')),
      reported: `client_id is "${HOSTED_CLIENT_ID}"`,
    },
    {
      problem: 'has no port-less loopback redirect URI',
      document: async (clientId: string) => ({
        ...(await hostedDocumentAt(clientId)),
        redirect_uris: ['http://127.0.0.1:8080/callback'],
      }),
      reported: 'redirect_uris must include "http://127.0.0.1/callback"',
    },
    {
      problem: 'does not declare the scope atoauth asks for',
      document: async (clientId: string) => ({
        ...(await hostedDocumentAt(clientId)),
        scope: 'atproto',
      }),
      reported: 'scope does not declare "transition:generic"',
    },
    {
      problem: 'is a web client, not a native one',
      document: async (clientId: string) => ({
        ...(await hostedDocumentAt(clientId)),
        application_type: 'web',
      }),
      reported: 'application_type must be "native"',
    },
    {
      problem: 'is not JSON',
      document: async () => '<html>moved</html>',
      reported: 'is not JSON',
    },
  ])('a client metadata document that $problem fails', async ({ document, reported }) => {
    const clientId = `https://doctor.atoauth.dev/${Math.random().toString(36).slice(2)}.json`
    const file = await documentFile(clientId.split('/').pop()!, await document(clientId))
    const { code, report } = await doctor(
      ['--client-id', clientId],
      doctorEnv({ [clientId]: file }),
    )
    expect(code).toBe(1)
    expect(check(report, 'client-metadata')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(reported),
      hint: `Publish the output of: atoauth client-metadata --client-id ${clientId}`,
    })
  })

  it('a valid document lacking scopes atoauth can ask for warns, and still exits 0', async () => {
    const clientId = 'https://doctor.atoauth.dev/narrow.json'
    const file = await documentFile('narrow', {
      ...(await hostedDocumentAt(clientId)),
      scope: 'atproto transition:generic',
    })
    const { code, report } = await doctor(
      ['--client-id', clientId],
      doctorEnv({ [clientId]: file }),
    )
    expect(code).toBe(0)
    expect(check(report, 'client-metadata')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('scope lacks transition:chat.bsky transition:email'),
    })
  })

  it('an account whose PDS is down fails its PDS check', async () => {
    const down = await closedPortUrl()
    const { code, report } = await withAccountsFile(
      (index) => {
        index.accounts[0]!.pds = down
      },
      () => doctor(),
    )
    expect(code).toBe(1)
    expect(check(report, 'pds:alice.test')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`cannot reach ${down}`),
    })
    // The session itself is still there.
    expect(check(report, 'session:alice.test').status).toBe('ok')
  })

  it('an account whose session is not in its store fails its session check', async () => {
    const bob = e2e.sandbox.accounts.bob!
    const { code, report } = await withAccountsFile(
      (index) => {
        index.accounts.push({ ...index.accounts[0]!, did: bob.did, handle: bob.handle })
      },
      () => doctor(),
    )
    expect(code).toBe(1)
    expect(check(report, 'pds:bob.test').status).toBe('ok')
    expect(check(report, 'session:bob.test')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`no session for ${bob.did}`),
      hint: 'Log in again: atoauth login bob.test',
    })
  })

  it('a clock hours off from the PDS fails the clock check', async () => {
    const threeHoursAhead = await listen(
      createServer((_req, res) => {
        res.setHeader('date', new Date(Date.now() + 3 * 3600_000).toUTCString())
        res.setHeader('content-type', 'application/json')
        res.end('{"version":"skewed"}')
      }),
    )
    const { code, report } = await withAccountsFile(
      (index) => {
        index.accounts[0]!.pds = threeHoursAhead
      },
      () => doctor(),
    )
    expect(code).toBe(1)
    expect(check(report, 'pds:alice.test').status).toBe('ok')
    expect(check(report, 'clock')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/clock is 3 h 0 min behind http:\/\/127\.0\.0\.1:\d+/),
      hint: expect.stringContaining('NTP'),
    })
  })

  it('a request gives up after 10 s, and a check after 15 s, whatever does not answer', async () => {
    // The client metadata host never answers: its one request ends at 10 s.
    const dropped: number[] = []
    const silent = await listen(
      createServer((req) => {
        const arrived = performance.now()
        req.socket.on('close', () => dropped.push((performance.now() - arrived) / 1000))
      }),
    )
    // The PDS answers /xrpc/_health "not here" after 9 s, then never answers
    // its resource metadata: requests alone would take 19 s, the check stops at 15.
    let probedAt = 0
    const slowPds = await listen(
      createServer((req, res) => {
        if (req.url !== '/xrpc/_health') return
        probedAt = performance.now()
        setTimeout(() => res.writeHead(404).end(), 9_000)
      }),
    )
    const clientId = 'https://silent.atoauth.dev/oauth-client-metadata.json'
    const { report, seconds } = await withAccountsFile(
      (index) => {
        index.accounts[0]!.pds = slowPds
      },
      async () => {
        const live = e2e.start(
          ['doctor', '--json', '--client-id', clientId],
          doctorEnv({ [clientId]: silent }),
        )
        // The report is printed once every check has ended; timed from the
        // PDS probe's start, as the process's own start-up varies with the load.
        await live.waitFor(/"checks"/, 30_000)
        const seconds = (performance.now() - probedAt) / 1000
        const { code, stdout } = await live.done
        expect(code).toBe(1)
        return { report: JSON.parse(stdout) as Report, seconds }
      },
    )
    expect(check(report, 'client-metadata')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('no answer within 10 s'),
    })
    expect(dropped).toHaveLength(1)
    expect(dropped[0]).toBeGreaterThanOrEqual(9.5)
    expect(dropped[0]).toBeLessThan(11.5)

    for (const name of ['pds:alice.test', 'clock']) {
      expect(check(report, name)).toMatchObject({
        status: 'fail',
        detail: 'no answer within 15 s',
      })
    }
    expect(seconds).toBeGreaterThanOrEqual(14.5)
    expect(seconds).toBeLessThan(16)
  })
})
