// A hosted client_id whose document the authorization server cannot use (not published yet, a
// typo, an invalid document): login stops at the pushed authorization request, before any
// browser opens, names the client_id and offers --dev-client and doctor.
import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { readJson } from '../sandbox/sandbox.ts'
import { HOSTED_DOCUMENT_PATH, useE2E } from './harness.ts'

// alice signs in first: the leak check then proves the failed logins print none of her secrets.
const e2e = useE2E({ loginAs: 'alice' })
let markers: string
beforeAll(async () => {
  markers = await mkdtemp(join(tmpdir(), 'atoauth-browser-'))
})

/** A login with this client_id, whose browser command would leave a file if it ever ran. */
async function loginWith(clientId: string) {
  const marker = join(markers, `opened-${Date.now()}`)
  const browser = `${process.execPath} -e "require('node:fs').writeFileSync(process.argv[1], '')" ${marker}`
  const started = performance.now()
  const run = await e2e.run(
    ['login', 'alice.test', '--client-id', clientId, '--json'],
    e2e.env({ ATOAUTH_BROWSER: browser }),
  )
  return { ...run, seconds: (performance.now() - started) / 1000, opened: existsSync(marker) }
}

describe('a client metadata document the authorization server cannot use', () => {
  it('not published: stops before the browser, names the URL, offers --dev-client and doctor', async () => {
    const clientId = 'https://atoauth.github.io/not-published-yet.json'
    const { code, stdout, seconds, opened } = await loginWith(clientId)
    expect(code).toBe(1)
    const { error } = JSON.parse(stdout)
    expect(error).toMatchObject({ code: 'client_metadata_unavailable' })
    expect(error.message).toContain(clientId)
    expect(error.hint).toContain('--dev-client')
    expect(error.hint).toContain('atoauth doctor')
    expect(opened).toBe(false)
    expect(seconds).toBeLessThan(25)
  })

  it('published but invalid (another client_id inside): says the server refused it', async () => {
    const clientId = 'https://atoauth.github.io/wrong-inside.json'
    const document = (await readJson(HOSTED_DOCUMENT_PATH)) as Record<string, unknown>
    e2e.sandbox.hostClientMetadata(clientId, document)
    const { code, stdout, opened } = await loginWith(clientId)
    expect(code).toBe(1)
    const { error } = JSON.parse(stdout)
    expect(error.code).toBe('client_metadata_invalid')
    expect(error.message).toContain(clientId)
    expect(error.hint).toContain('--dev-client')
    expect(opened).toBe(false)
  })
})
