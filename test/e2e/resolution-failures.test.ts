// `atoauth login <identifier>` when the account cannot be resolved: a handle
// that resolves to nothing, a DID with no PDS, a PDS that is down, hangs or
// answers garbage, an authorization server with broken metadata. Each one
// fails with one line that names the step and what it was resolving, a hint,
// exit 4 (2 for bad syntax), well before the browser timeout, without
// storing anything or starting the browser.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AuthorizationServerFault,
  type BrokenServer,
  brokenAuthorizationServer,
  closedPortUrl,
  hangingServer,
  htmlServer,
  invalidJsonServer,
} from '../support/broken-servers.ts'
import { registerDid } from '../support/plc-identities.ts'
import { type CliResult, keychainEntry, listFiles, useE2E } from './harness.ts'

// alice's login gives the secrets check something to look for.
const e2e = useE2E({ loginAs: 'alice' })

/**
 * Resolving gives up after 20 s in all (README): a wait that ends between
 * these, not just "before the 300 s browser timeout", so that a change of the
 * bound is caught. The upper margin is the two processes' start on a busy machine.
 */
const RESOLUTION_BOUND_SECONDS = 20
const HANG_SECONDS: Seconds = [19, 25]
/** Failures that need no waiting at all. */
const FAST_SECONDS: Seconds = [0, 15]

type Seconds = [min: number, max: number]

let markerDir: string
const servers: BrokenServer[] = []

beforeAll(async () => {
  markerDir = await mkdtemp(join(tmpdir(), 'atoauth-browser-marker-'))
})

afterAll(async () => {
  for (const server of servers) await server.close()
  await rm(markerDir, { recursive: true, force: true })
})

async function serve(server: Promise<BrokenServer>): Promise<BrokenServer> {
  const started = await server
  servers.push(started)
  return started
}

type Failure = {
  json: {
    code: string
    message: string
    hint?: string
    step?: string
    target?: string
    seconds?: number
  }
  text: CliResult
  exitCode: number
  seconds: number
}

/**
 * Runs `login <identifier>` with --json and without, at once, with a browser
 * command that would leave a marker file; checks what every failure shares.
 */
async function failedLogin(identifier: string, [min, max] = FAST_SECONDS): Promise<Failure> {
  const marker = join(markerDir, `opened-${Date.now()}-${Math.random()}`)
  const browser = `${process.execPath} -e "require('node:fs').writeFileSync(process.argv[1], '')" ${marker}`
  const env = e2e.env({ ATOAUTH_BROWSER: browser })
  const started = performance.now()
  const [json, text] = await Promise.all([
    e2e.run(['login', identifier, '--json'], env),
    e2e.run(['login', identifier], env),
  ])
  const seconds = (performance.now() - started) / 1000

  expect(json.code, json.stdout).toBe(text.code)
  const { error } = JSON.parse(json.stdout)
  expect(error.message).not.toMatch(/\n/)
  expect(error.hint).toBeTruthy()
  // A person sees the same: one line saying what failed, one saying what to do.
  expect(text.stdout).toBe('')
  expect(text.stderr.trimEnd().split('\n')).toEqual([`error: ${error.message}`, error.hint])

  expect(seconds).toBeGreaterThanOrEqual(min)
  expect(seconds).toBeLessThan(max)
  expect(existsSync(marker), 'the browser was started').toBe(false)
  const accounts = await e2e.run(['accounts', '--json'])
  expect(JSON.parse(accounts.stdout).accounts.map((a: { did: string }) => a.did)).toEqual([
    e2e.sandbox.accounts.alice!.did,
  ])
  expect(await listFiles(join(e2e.configDir, 'insecure-sessions'))).toEqual([])
  return { json: error, text, exitCode: json.code, seconds }
}

function expectResolutionFailure(
  failure: Failure,
  expected: { step: string; target: string; says: RegExp },
): void {
  expect(failure.exitCode).toBe(4)
  expect(failure.json).toMatchObject({
    code: 'resolution_failed',
    step: expected.step,
    target: expected.target,
  })
  expect(failure.json.message).toContain(expected.target)
  expect(failure.json.message).toMatch(expected.says)
}

describe('login when the identifier cannot be resolved', () => {
  it('a handle with invalid syntax is a usage error (exit 2)', async () => {
    const failure = await failedLogin('not_a..handle')
    expect(failure.exitCode).toBe(2)
    expect(failure.json.code).toBe('usage')
    expect(failure.json.message).toContain('not_a..handle')
  })

  it('a handle that resolves to no DID names the handle and the handle resolution', async () => {
    const failure = await failedLogin('nobody.test')
    expectResolutionFailure(failure, {
      step: 'handle',
      target: 'nobody.test',
      says: /resolve the handle nobody\.test/,
    })
    expect(failure.json.hint).toMatch(/spelling/)
  })

  it('a DID the PLC directory does not know names the DID document', async () => {
    const did = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'
    const failure = await failedLogin(did)
    expectResolutionFailure(failure, {
      step: 'did_document',
      target: did,
      says: /DID document .*not registered/,
    })
  })

  it('a DID whose document has no #atproto_pds service names the DID and the missing PDS', async () => {
    const did = await registerDid(e2e.sandbox.plcUrl, {
      handle: 'nopds.test',
      pdsEndpoint: undefined,
    })
    const failure = await failedLogin(did)
    expectResolutionFailure(failure, {
      step: 'pds',
      target: did,
      says: /PDS .*#atproto_pds/,
    })
    expect(await keychainEntry(did)).toBeUndefined()
  })

  it("a DID whose PDS is down names the PDS's URL and the DID", async () => {
    const pds = await closedPortUrl()
    const did = await registerDid(e2e.sandbox.plcUrl, {
      handle: 'downpds.test',
      pdsEndpoint: pds,
    })
    const failure = await failedLogin(did)
    expectResolutionFailure(failure, {
      step: 'protected_resource_metadata',
      target: pds,
      says: /protected resource metadata .*connection refused/,
    })
    expect(failure.json.message).toContain(did)
    expect(await keychainEntry(did)).toBeUndefined()
  })

  it('a PDS URL that refuses connections', async () => {
    const pds = await closedPortUrl()
    const failure = await failedLogin(pds)
    expectResolutionFailure(failure, {
      step: 'protected_resource_metadata',
      target: pds,
      says: /connection refused/,
    })
  })

  it('a PDS that accepts connections but never answers: bounded wait, and the message says so', async () => {
    const pds = await serve(hangingServer())
    const failure = await failedLogin(pds.url, HANG_SECONDS)
    expect(failure.exitCode).toBe(4)
    expect(failure.json).toMatchObject({
      code: 'resolution_timeout',
      step: 'protected_resource_metadata',
      target: pds.url,
    })
    expect(failure.json.seconds).toBe(RESOLUTION_BOUND_SECONDS)
    expect(failure.json.message).toMatch(
      /no answer from .*\/\.well-known\/oauth-protected-resource within 20 s/,
    )
    expect(pds.requests).toContain('/.well-known/oauth-protected-resource')
  })

  it('a PDS that answers a web page instead of its metadata', async () => {
    const pds = await serve(htmlServer())
    const failure = await failedLogin(pds.url)
    expectResolutionFailure(failure, {
      step: 'protected_resource_metadata',
      target: pds.url,
      says: /text\/html, not JSON/,
    })
  })

  it('a PDS whose metadata is not valid JSON', async () => {
    const pds = await serve(invalidJsonServer())
    const failure = await failedLogin(pds.url)
    expectResolutionFailure(failure, {
      step: 'protected_resource_metadata',
      target: pds.url,
      says: /not valid JSON/,
    })
  })

  it.each<[AuthorizationServerFault, RegExp]>([
    ['wrong-issuer', /issuer is "https:\/\/someone-else\.example\.com"/],
    ['missing-fields', /authorization_endpoint: Required/],
    ['not-json', /not valid JSON/],
  ])('an authorization server whose metadata is invalid (%s)', async (fault, says) => {
    const server = await serve(brokenAuthorizationServer(fault))
    const failure = await failedLogin(server.url)
    expectResolutionFailure(failure, {
      step: 'authorization_server_metadata',
      target: server.url,
      says,
    })
    expect(failure.json.message).toMatch(/authorization server metadata/)
  })

  it('an authorization server that refuses the pushed authorization request', async () => {
    const server = await serve(brokenAuthorizationServer('par-refused'))
    const failure = await failedLogin(server.url)
    expectResolutionFailure(failure, {
      step: 'authorization_request',
      target: `${server.url}/oauth/par`,
      says: /invalid_request.*Not today/,
    })
  })

  it('an authorization request that never gets an answer (sent without a signal by the OAuth client) still ends in time', async () => {
    const server = await serve(brokenAuthorizationServer('par-hangs'))
    const failure = await failedLogin(server.url, HANG_SECONDS)
    expect(failure.exitCode).toBe(4)
    expect(failure.json).toMatchObject({
      code: 'resolution_timeout',
      step: 'authorization_request',
      target: `${server.url}/oauth/par`,
    })
    expect(failure.json.seconds).toBe(RESOLUTION_BOUND_SECONDS)
    expect(failure.json.message).toMatch(/no answer within 20 s/)
    expect(server.requests).toContain('/oauth/par')
  })
})
