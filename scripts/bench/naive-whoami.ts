// The naive baseline the benchmark compares `atoauth whoami` with: what a
// script would write with the libraries alone. It imports NodeOAuthClient and
// @atproto/api, restores the session atoauth keeps in the keychain (the same
// session, so both do the same work at the server), and calls getSession.
//
// Usage: node scripts/bench/naive-whoami.ts <did>  (with the sandbox settings
// in ATOAUTH_PLC_URL / ATOAUTH_HANDLE_RESOLVER, as atoauth reads them)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent } from '@atproto/api'
import { NodeOAuthClient, type NodeSavedSession } from '@atproto/oauth-client-node'
import { AsyncEntry } from '@napi-rs/keyring'

const did = process.argv[2]
if (!did) throw new Error('usage: naive-whoami.ts <did>')

const entry = (key: string) =>
  new AsyncEntry('atoauth', key, { linux: { store: 'secret-service' } })
const document = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '../../client-metadata/oauth-client-metadata.json'),
    'utf8',
  ),
)
const memory = new Map<string, unknown>()

const client = new NodeOAuthClient({
  clientMetadata: document,
  allowHttp: true,
  plcDirectoryUrl: process.env.ATOAUTH_PLC_URL,
  handleResolver: process.env.ATOAUTH_HANDLE_RESOLVER ?? 'https://bsky.social',
  stateStore: {
    get: async (key) => memory.get(key) as never,
    set: async (key, value) => void memory.set(key, value),
    del: async (key) => void memory.delete(key),
  },
  sessionStore: {
    get: async (key) => {
      const stored = await entry(key).getPassword()
      return stored ? (JSON.parse(stored) as NodeSavedSession) : undefined
    },
    set: async (key, value) => entry(key).setPassword(JSON.stringify(value)),
    del: async (key) => void (await entry(key).deleteCredential()),
  },
})

const session = await client.restore(did)
const agent = new Agent(session)
const { data } = await agent.com.atproto.server.getSession()
process.stdout.write(`${JSON.stringify({ did: data.did, handle: data.handle })}\n`)
