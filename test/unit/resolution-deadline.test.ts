// The bound on the resolution phase of `login` holds even for work that
// ignores the abort signal (a DNS lookup, a request the OAuth client sends
// without one), and it says what was in progress.

import {
  OAuthResolverError,
  oauthAuthorizationServerMetadataSchema,
} from '@atproto/oauth-client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResolutionDeadline, stepOfRequest } from '../../src/auth/resolution-deadline.ts'
import { fromLibraryError } from '../../src/errors/library-errors.ts'
import { resolutionError } from '../../src/errors/resolution-errors.ts'
import { AtoauthError, CancelledError } from '../../src/errors.ts'
import { type BrokenServer, hangingServer } from '../support/broken-servers.ts'

const SHORT = 0.3 // seconds

let hanging: BrokenServer
beforeAll(async () => {
  hanging = await hangingServer()
})
afterAll(async () => {
  await hanging.close()
})

async function failure(promise: Promise<unknown>): Promise<AtoauthError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AtoauthError)
  return err as AtoauthError
}

describe('ResolutionDeadline', () => {
  it('ends work that ignores the signal at the deadline, naming the handle being looked up', async () => {
    const deadline = new ResolutionDeadline(SHORT)
    const never = new Promise<never>(() => {})
    const err = await failure(
      deadline.run('alice.example.com', new AbortController().signal, () => never),
    )
    expect(err.code).toBe('resolution_timeout')
    expect(err.exitCode).toBe(4)
    expect(err.details).toMatchObject({ step: 'handle', target: 'alice.example.com' })
    expect(err.message).toMatch(
      /^Could not resolve the handle alice\.example\.com: no answer within \d+ s\.$/,
    )
  })

  it('cuts a request sent without a signal, and names its URL', async () => {
    const deadline = new ResolutionDeadline(SHORT)
    const url = `${hanging.url}/.well-known/oauth-protected-resource`
    let request: Promise<Response> | undefined
    const err = await failure(
      deadline.run('did:plc:abc', new AbortController().signal, () => {
        request = deadline.fetch(url) // no signal, like the OAuth client's PAR request
        return request
      }),
    )
    expect(err.details).toMatchObject({
      step: 'protected_resource_metadata',
      target: hanging.url,
      url,
    })
    expect(err.message).toContain(`(for did:plc:abc)`)
    // The request itself was aborted, so nothing keeps the process alive.
    await expect(request).rejects.toThrow()
  })

  it('leaves a cancellation as it is', async () => {
    const deadline = new ResolutionDeadline(5)
    const cancel = new AbortController()
    const run = deadline.run('alice.example.com', cancel.signal, () => new Promise<never>(() => {}))
    cancel.abort(new CancelledError('Login cancelled.'))
    await expect(run).rejects.toBeInstanceOf(CancelledError)
  })

  it('does not bound requests made after the phase (the token exchange comes much later)', async () => {
    const deadline = new ResolutionDeadline(SHORT)
    await deadline.run('alice.example.com', new AbortController().signal, async () => 'ok')
    await new Promise((resolve) => setTimeout(resolve, SHORT * 2000)) // past that deadline
    const own = new AbortController()
    const pending = deadline.fetch(hanging.url, { signal: own.signal })
    own.abort(new Error('aborted by the caller'))
    await expect(pending).rejects.toThrow('aborted by the caller')
  })
})

describe('stepOfRequest', () => {
  it.each([
    ['https://pds.example/xrpc/com.atproto.identity.resolveHandle?handle=a.b', 'handle', 'a.b'],
    ['https://a.b/.well-known/atproto-did', 'handle', 'a.b'],
    ['https://plc.directory/did%3Aplc%3Aabc', 'did_document', 'did:plc:abc'],
    [
      'https://pds.example/.well-known/oauth-protected-resource',
      'protected_resource_metadata',
      'https://pds.example',
    ],
    [
      'https://as.example/.well-known/oauth-authorization-server',
      'authorization_server_metadata',
      'https://as.example',
    ],
    ['https://as.example/oauth/par', 'authorization_request', 'https://as.example/oauth/par'],
  ])('%s is %s of %s', (url, step, target) => {
    expect(stepOfRequest(url)).toEqual({ step, target })
  })
})

describe('resolution failures', () => {
  // What the OAuth client throws for metadata that does not parse.
  const invalidMetadata = () => {
    const parsed = oauthAuthorizationServerMetadataSchema.safeParse({
      issuer: 'https://as.example',
    })
    return OAuthResolverError.from(
      parsed.error,
      'Failed to resolve OAuth server metadata for issuer: https://as.example',
    )
  }

  it('login names the step, the target and the invalid fields on one line, with a hint', () => {
    const err = resolutionError(invalidMetadata(), 'alice.example.com')
    expect(err).toMatchObject({
      code: 'resolution_failed',
      exitCode: 4,
      details: { step: 'authorization_server_metadata', target: 'https://as.example' },
    })
    expect(err?.message).toMatch(
      /^Could not get the OAuth authorization server metadata of https:\/\/as\.example \(for alice\.example\.com\): invalid document \(authorization_endpoint: Required; token_endpoint: Required/,
    )
    expect(err?.hint).toBeTruthy()
  })

  it('elsewhere (a refresh) it is a network error on one line, with a hint', () => {
    const err = fromLibraryError(invalidMetadata())
    expect(err?.exitCode).toBe(4)
    expect(err?.message).not.toMatch(/\n/)
    expect(err?.message).toContain('authorization_endpoint: Required; token_endpoint: Required')
    expect(err?.hint).toBeTruthy()
  })
})
