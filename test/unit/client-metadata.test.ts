import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CLIENT_ID } from '../../src/auth/client-id.ts'
import {
  assertDiscoverableClientId,
  developmentClientId,
  hostedClientMetadata,
  runtimeClientMetadata,
  validateHostedClientMetadata,
} from '../../src/auth/client-metadata.ts'
import { PRESET_NAMES, SCOPE_PRESETS } from '../../src/auth/scope-presets.ts'

describe('client metadata', () => {
  it('the committed hosted document is exactly what atoauth generates, and valid', () => {
    const committed = JSON.parse(
      readFileSync(
        new URL('../../client-metadata/oauth-client-metadata.json', import.meta.url),
        'utf8',
      ),
    )
    expect(committed).toEqual(hostedClientMetadata(DEFAULT_CLIENT_ID))
    expect(
      validateHostedClientMetadata(DEFAULT_CLIENT_ID, committed, 'atproto transition:generic'),
    ).toEqual([])
    expect(committed).toMatchObject({
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      dpop_bound_access_tokens: true,
      redirect_uris: ['http://127.0.0.1/callback'],
    })
  })

  it('the committed hosted document declares every scope of every preset, verbatim', () => {
    const committed = JSON.parse(
      readFileSync(
        new URL('../../client-metadata/oauth-client-metadata.json', import.meta.url),
        'utf8',
      ),
    )
    // The server compares scope strings exactly: each must appear as the preset writes it.
    const declared = committed.scope.split(' ')
    for (const name of PRESET_NAMES) {
      for (const scope of SCOPE_PRESETS[name].scopes) expect(declared, name).toContain(scope)
    }
    // Kept for a raw --scope, though no preset asks for them.
    expect(declared).toEqual(expect.arrayContaining(['transition:chat.bsky', 'transition:email']))
  })

  it('the run-time metadata lists the concrete loopback port first', () => {
    const meta = runtimeClientMetadata({
      clientId: DEFAULT_CLIENT_ID,
      scope: 'atproto transition:generic',
      redirectUri: 'http://127.0.0.1:49152/callback',
    })
    expect(meta.redirect_uris).toEqual([
      'http://127.0.0.1:49152/callback',
      'http://127.0.0.1/callback',
    ])
    expect(meta.scope).toBe('atproto transition:generic')
  })

  it('builds the development client id from the redirect URI and scope', () => {
    const id = developmentClientId('http://127.0.0.1:5000/callback', 'atproto transition:generic')
    const url = new URL(id)
    expect(url.origin).toBe('http://localhost')
    expect(url.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:5000/callback')
    expect(url.searchParams.get('scope')).toBe('atproto transition:generic')
    expect(runtimeClientMetadata({ clientId: id, scope: 'ignored' }).redirect_uris).toEqual([
      'http://127.0.0.1:5000/callback',
    ])
  })

  it("accepts atoauth's own client_id (login skips the check for it)", () => {
    expect(() => assertDiscoverableClientId(DEFAULT_CLIENT_ID)).not.toThrow()
  })

  it.each([
    ['http://insecure.example.org/m.json'],
    ['https://127.0.0.1/m.json'],
    ['https://host.example.org'],
    ['not a url'],
  ])('rejects %s as a hosted client_id with a usage error', (clientId) => {
    expect(() => assertDiscoverableClientId(clientId)).toThrow(
      expect.objectContaining({ code: 'usage', exitCode: 2 }),
    )
  })

  it('names each way a document falls short', () => {
    const doc = {
      ...hostedClientMetadata(DEFAULT_CLIENT_ID),
      application_type: 'web',
      redirect_uris: ['https://atoauth.github.io/cb'],
      scope: 'atproto',
      client_uri: 'https://elsewhere.example.org/',
    }
    const problems = validateHostedClientMetadata(
      DEFAULT_CLIENT_ID,
      doc,
      'atproto transition:generic',
    )
    expect(problems).toEqual([
      'application_type must be "native" (loopback redirects need it)',
      'redirect_uris must include "http://127.0.0.1/callback"',
      'scope does not declare "transition:generic"',
      'client_uri must be a parent URL of the client_id, on the same origin',
    ])
    expect(validateHostedClientMetadata(DEFAULT_CLIENT_ID, { client_id: 5 })).not.toEqual([])
  })
})
