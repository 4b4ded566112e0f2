// doctor's client-metadata check against a document that lacks scopes: each warning names the
// `--scope` whose login the authorization server would refuse, since it compares scopes exactly.
import { describe, expect, it } from 'vitest'
import { DEFAULT_CLIENT_ID } from '../../src/auth/client-id.ts'
import { hostedClientMetadata } from '../../src/auth/client-metadata.ts'
import { clientMetadataCheck } from '../../src/doctor/client-metadata-check.ts'
import type { HttpProbe } from '../../src/doctor/http-probe.ts'

const DELETE = 'repo:app.bsky.feed.post?action=delete'

/** The generated document as a server would answer it, with its scope list edited. */
function served(scope: (generated: string[]) => string[]): HttpProbe {
  const document = hostedClientMetadata(DEFAULT_CLIENT_ID)
  const body = JSON.stringify({ ...document, scope: scope(document.scope.split(' ')).join(' ') })
  const headers = new Headers({ 'content-type': 'application/json' })
  return {
    url: DEFAULT_CLIENT_ID,
    sentAt: 0,
    receivedAt: 0,
    answer: { status: 200, headers, body },
  }
}

describe('doctor: scopes the client metadata lacks', () => {
  it('the generated document passes, with or without --scope naming presets', async () => {
    const check = await clientMetadataCheck(
      DEFAULT_CLIENT_ID,
      served((s) => s),
      ['post', 'read'],
    )
    expect(check.status).toBe('ok')
  })

  it('a document without a preset scope warns, naming the preset that needs it', async () => {
    const lacking = served((scopes) => scopes.filter((s) => s !== DELETE))
    const check = await clientMetadataCheck(DEFAULT_CLIENT_ID, lacking)
    expect(check).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining(`scope lacks ${DELETE} (needed by --scope delete)`),
    })
  })

  it('groups what each preset lacks, and lists scopes no preset needs on their own', async () => {
    const narrow = served(() => ['atproto', 'transition:generic'])
    const { detail } = await clientMetadataCheck(DEFAULT_CLIENT_ID, narrow)
    expect(detail).toContain(
      'scope lacks repo:app.bsky.feed.post?action=create blob:image/* (needed by --scope post)',
    )
    expect(detail).toContain(`scope lacks ${DELETE} (needed by --scope delete)`)
    expect(detail).toMatch(
      /scope lacks rpc:app\.bsky\.actor\.getProfile\?aud=\S+ .*\(needed by --scope read\)/,
    )
    expect(detail).toContain('scope lacks transition:chat.bsky transition:email')
  })

  it('doctor --scope warns for each raw scope the document does not declare', async () => {
    const check = await clientMetadataCheck(
      DEFAULT_CLIENT_ID,
      served((s) => s),
      ['post', 'account:email', 'transition:email'],
    )
    expect(check).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining(
        'scope lacks account:email (needed by --scope account:email)',
      ),
    })
    expect(check.detail).not.toContain('transition:email')
  })
})
