// The scripting primitives against the real PDS: `api` for any XRPC method
// (GET for queries, POST for procedures, bodies from files or stdin, XRPC
// errors as exit codes), and `post` with replies, stdin and languages.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { useE2E } from './harness.ts'

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'atoauth-api-'))
})

const e2e = useE2E({ loginAs: 'alice' })

const alice = () => e2e.sandbox.accounts.alice!

type PostRecord = {
  text: string
  langs?: string[]
  reply?: { root: { uri: string; cid: string }; parent: { uri: string; cid: string } }
}

async function getPost(uri: string): Promise<{ cid: string; value: PostRecord }> {
  const [, , repo, collection, rkey] = uri.split('/')
  const res = await fetch(
    `${e2e.sandbox.pdsUrl}/xrpc/com.atproto.repo.getRecord?repo=${repo}&collection=${collection}&rkey=${rkey}`,
  )
  expect(res.status).toBe(200)
  return (await res.json()) as { cid: string; value: PostRecord }
}

/** Changes alice's handle the way another app would (this session's scope may not). */
async function setHandle(handle: string): Promise<void> {
  const login = await fetch(`${e2e.sandbox.pdsUrl}/xrpc/com.atproto.server.createSession`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identifier: alice().did, password: alice().password }),
  })
  const { accessJwt } = (await login.json()) as { accessJwt: string }
  const res = await fetch(`${e2e.sandbox.pdsUrl}/xrpc/com.atproto.identity.updateHandle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessJwt}` },
    body: JSON.stringify({ handle }),
  })
  expect(res.status).toBe(200)
}

function postRecord(text: string) {
  return {
    repo: alice().did,
    collection: 'app.bsky.feed.post',
    record: { $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() },
  }
}

describe('api', () => {
  it('POSTs a procedure with a JSON body from a file', async () => {
    const file = join(work, 'record.json')
    await writeFile(file, JSON.stringify(postRecord('created with --input FILE')))
    const { code, stdout, stderr } = await e2e.run([
      'api',
      'com.atproto.repo.createRecord',
      '--input',
      file,
    ])
    expect(code, stderr).toBe(0)
    const created = JSON.parse(stdout)
    expect(created.uri).toMatch(new RegExp(`^at://${alice().did}/app\\.bsky\\.feed\\.post/`))
    expect((await getPost(created.uri)).value.text).toBe('created with --input FILE')
  })

  it('POSTs a procedure with a JSON body from stdin', async () => {
    const { code, stdout, stderr } = await e2e.run(
      ['api', 'com.atproto.repo.createRecord', '--input', '-', '--json'],
      e2e.env(),
      { input: JSON.stringify(postRecord('created with --input -')) },
    )
    expect(code, stderr).toBe(0)
    expect((await getPost(JSON.parse(stdout).uri)).value.text).toBe('created with --input -')
  })

  it('GETs a query with key=value and key:=json parameters', async () => {
    const { code, stdout, stderr } = await e2e.run([
      'api',
      'com.atproto.repo.listRecords',
      'repo=alice.test',
      'collection=app.bsky.feed.post',
      'limit:=1',
      'reverse:=true',
    ])
    expect(code, stderr).toBe(0)
    const { records } = JSON.parse(stdout)
    expect(records).toHaveLength(1)
    expect(records[0].value.text).toBe('created with --input FILE')
    // The call went out as a GET with those parameters.
    expect(e2e.sandbox.requests).toContainEqual(
      expect.objectContaining({ method: 'GET', path: '/xrpc/com.atproto.repo.listRecords' }),
    )
  })

  it('POSTs key=value fields as the JSON body of a procedure', async () => {
    const list = await e2e.run([
      'api',
      'com.atproto.repo.listRecords',
      `repo=${alice().did}`,
      'collection=app.bsky.feed.post',
    ])
    const uri: string = JSON.parse(list.stdout).records[0].uri
    const rkey = uri.split('/').pop()!
    const { code, stderr } = await e2e.run([
      'api',
      'com.atproto.repo.deleteRecord',
      `repo=${alice().did}`,
      'collection=app.bsky.feed.post',
      `rkey=${rkey}`,
    ])
    expect(code, stderr).toBe(0)
    const gone = await fetch(
      `${e2e.sandbox.pdsUrl}/xrpc/com.atproto.repo.getRecord?repo=${alice().did}&collection=app.bsky.feed.post&rkey=${rkey}`,
    )
    expect(gone.status).toBe(400)
  })

  it('an XRPC error exits 4 with the error in the JSON envelope', async () => {
    const { code, stdout, stderr } = await e2e.run([
      'api',
      'com.atproto.repo.getRecord',
      `repo=${alice().did}`,
      'collection=app.bsky.feed.post',
      'rkey=3zzzzzzzzzzzz',
      '--json',
    ])
    expect(code).toBe(4)
    expect(stderr).toBe('')
    const { error } = JSON.parse(stdout)
    expect(error).toMatchObject({ code: 'xrpc_error', status: 400, xrpcError: 'RecordNotFound' })
    expect(error.message).toContain('com.atproto.repo.getRecord failed: 400 RecordNotFound')
  })

  it('without --json the XRPC error goes to stderr and stdout stays empty', async () => {
    const { code, stdout, stderr } = await e2e.run([
      'api',
      'com.atproto.repo.describeRepo',
      'repo=did:plc:doesnotexist0000000000',
    ])
    expect(code).toBe(4)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^error: com\.atproto\.repo\.describeRepo failed: 400 /)
  })

  it('an NSID it does not know needs --method, and then is sent that way', async () => {
    const refused = await e2e.run(['api', 'com.example.notALexicon', '--json'])
    expect(refused.code).toBe(2)
    expect(JSON.parse(refused.stdout).error.hint).toContain('--method GET')

    const before = e2e.sandbox.requests.length
    const sent = await e2e.run(['api', 'com.example.notALexicon', '--method', 'post', 'a=b'])
    expect(sent.code).toBe(4)
    expect(sent.stderr).toContain('com.example.notALexicon failed')
    expect(e2e.sandbox.requests.slice(before)).toContainEqual(
      expect.objectContaining({ method: 'POST', path: '/xrpc/com.example.notALexicon' }),
    )
  })

  it('a body that is not JSON is a usage error, and nothing is sent', async () => {
    const before = e2e.sandbox.requests.length
    const { code, stderr } = await e2e.run(
      ['api', 'com.atproto.repo.createRecord', '--input', '-'],
      e2e.env(),
      { input: '{not json' },
    )
    expect(code).toBe(2)
    expect(stderr).toContain('The body read from stdin is not valid JSON')
    expect(e2e.sandbox.requests.length).toBe(before)
  })

  it('a non-JSON response (a CAR file) is written to stdout as is', async () => {
    const { code, stdout, stderr } = await e2e.run([
      'api',
      'com.atproto.sync.getRepo',
      `did=${alice().did}`,
    ])
    expect(code, stderr).toBe(0)
    expect(stdout.length).toBeGreaterThan(100)
    expect(() => JSON.parse(stdout)).toThrow()

    // With --json, still one JSON document: the bytes in base64.
    const json = await e2e.run(['api', 'com.atproto.sync.getRepo', `did=${alice().did}`, '--json'])
    expect(json.code, json.stderr).toBe(0)
    const { encoding, base64 } = JSON.parse(json.stdout)
    expect(encoding).toBe('application/vnd.ipld.car')
    expect(Buffer.from(base64, 'base64').length).toBeGreaterThan(100)
  })

  it('whoami notices a handle changed elsewhere, and accounts follows', async () => {
    await setHandle('alice-renamed.test')
    const whoami = await e2e.run(['whoami', '--json'])
    expect(JSON.parse(whoami.stdout).handle).toBe('alice-renamed.test')
    const { accounts } = JSON.parse((await e2e.run(['accounts', '--json'])).stdout)
    expect(accounts).toEqual([expect.objectContaining({ handle: 'alice-renamed.test' })])
    expect((await e2e.run(['whoami', '--account', 'alice-renamed.test'])).code).toBe(0)

    await setHandle('alice.test')
    expect((await e2e.run(['whoami'])).code).toBe(0)
  })
})

describe('post', () => {
  let first: { uri: string; cid: string }

  it('reads the text from stdin with -, and tags languages', async () => {
    const { code, stdout, stderr } = await e2e.run(
      ['post', '-', '--lang', 'en', '--lang', 'pt-BR,de', '--json'],
      e2e.env(),
      { input: 'hello from stdin\n' },
    )
    expect(code, stderr).toBe(0)
    first = JSON.parse(stdout)
    const { value } = await getPost(first.uri)
    expect(value.text).toBe('hello from stdin')
    expect(value.langs).toEqual(['en', 'pt-BR', 'de'])
  })

  it('--reply to a top-level post makes it both root and parent', async () => {
    const { code, stdout, stderr } = await e2e.run([
      'post',
      '--reply',
      first.uri,
      'first reply',
      '--json',
    ])
    expect(code, stderr).toBe(0)
    const reply = JSON.parse(stdout)
    const { value } = await getPost(reply.uri)
    expect(value.reply).toEqual({
      root: { uri: first.uri, cid: first.cid },
      parent: { uri: first.uri, cid: first.cid },
    })

    // A reply to that reply keeps the thread's root.
    const nested = await e2e.run(['post', '--reply', reply.uri, 'nested reply', '--json'])
    expect(nested.code, nested.stderr).toBe(0)
    const nestedPost = await getPost(JSON.parse(nested.stdout).uri)
    expect(nestedPost.value.reply).toEqual({
      root: { uri: first.uri, cid: first.cid },
      parent: { uri: reply.uri, cid: reply.cid },
    })
  })

  it('--reply to a post that does not exist fails clearly and posts nothing', async () => {
    const missing = `at://${alice().did}/app.bsky.feed.post/3zzzzzzzzzzzz`
    const before = e2e.sandbox.requests.length
    const { code, stdout } = await e2e.run(['post', '--reply', missing, 'into the void', '--json'])
    expect(code).toBe(1)
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'reply_not_found',
      message: `The post to reply to does not exist: ${missing}`,
    })
    expect(e2e.sandbox.requests.slice(before)).not.toContainEqual(
      expect.objectContaining({ method: 'POST', path: '/xrpc/com.atproto.repo.createRecord' }),
    )
  })

  it('text past 300 graphemes from stdin is refused before any request', async () => {
    const before = e2e.sandbox.requests.length
    const { code, stderr } = await e2e.run(['post', '-'], e2e.env(), {
      input: '👩‍👩‍👧'.repeat(301),
    })
    expect(code).toBe(2)
    expect(stderr).toContain('The post is 301 characters long; the limit is 300.')
    expect(e2e.sandbox.requests.length).toBe(before)
  })
})

describe('after logout', () => {
  it('api with the revoked session exits 3 with session_ended', async () => {
    const stored = await e2e.storedSession(alice().did)
    expect((await e2e.run(['logout'])).code).toBe(0)
    const { code, stdout } = await e2e.run(
      ['api', 'com.atproto.server.getSession', '--json'],
      e2e.env({ ATOAUTH_SESSION: e2e.blobFor('alice', stored!) }),
    )
    expect(code).toBe(3)
    // The library's refresh was refused: the session ended, not just this request.
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'session_ended',
      message: expect.stringMatching(/has ended/),
    })
  })
})
