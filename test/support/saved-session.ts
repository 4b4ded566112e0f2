// A stored session as the warm request reads it, with a fresh DPoP key.
import { generateKeyPairSync } from 'node:crypto'
import type { SavedSession } from '../../src/auth/warm-request.ts'

export const ACCESS_TOKEN = 'the-access-token'

export function savedSession(
  aud: string,
  expiresInMs = 3_600_000,
  namedCurve = 'P-256',
): SavedSession {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve })
  return {
    dpopJwk: privateKey.export({ format: 'jwk' }) as SavedSession['dpopJwk'],
    tokenSet: {
      aud,
      sub: 'did:plc:alice',
      scope: 'atproto',
      token_type: 'DPoP',
      access_token: ACCESS_TOKEN,
      expires_at: new Date(Date.now() + expiresInMs).toISOString(),
    },
  }
}
