// Least-privilege sessions against the real PDS, with atoauth's own generated client metadata
// as the hosted document: a `post` session posts and is refused a delete (before any request,
// and by the server where atoauth cannot know), a CI session from `session create --scope post`
// cannot delete either, and a scope the document does not declare is refused at login with a
// way out.
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT, useE2E } from './harness.ts'

const e2e = useE2E()
const alice = () => e2e.sandbox.accounts.alice!
const POST_SCOPES = ['atproto', 'repo:app.bsky.feed.post?action=create', 'blob:image/*']
const GIF = join(ROOT, 'test/fixtures/images/small.gif')

let work: string
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'atoauth-scopes-'))
})

async function json(args: string[], env = e2e.env()) {
  const run = await e2e.run([...args, '--json'], env)
  return { ...run, document: JSON.parse(run.stdout) }
}

describe('a session that may only post', () => {
  let postUri: string

  it('logs in with --scope post; whoami --json shows exactly the granted scopes', async () => {
    const { cli } = await e2e.login('alice', { args: ['--scope', 'post'] })
    expect(cli.code, cli.stderr).toBe(0)
    const { document } = await json(['whoami'])
    expect(document.scopes).toEqual(POST_SCOPES)
    expect(document.preset).toBe('post')
    const { document: listed } = await json(['accounts'])
    expect(listed.accounts[0]).toMatchObject({ scope: POST_SCOPES.join(' '), preset: 'post' })
  })

  it('posts, with an image', async () => {
    const { code, stderr, document } = await json(['post', 'least privilege', '--image', GIF])
    expect(code, stderr).toBe(0)
    postUri = document.uri
  })

  it('is refused a delete before any request, naming the missing scope and how to get it', async () => {
    const before = e2e.sandbox.requests.length
    const { code, document } = await json(['delete', postUri])
    expect(code).toBe(1)
    expect(document.error).toMatchObject({
      code: 'scope_missing',
      scope: 'repo:app.bsky.feed.post?action=delete',
      message: expect.stringContaining('lacks the scope "repo:app.bsky.feed.post?action=delete"'),
      hint: expect.stringContaining('atoauth login alice.test --scope post,delete'),
    })
    expect(e2e.sandbox.requests.length).toBe(before)
  })

  it("the server's refusal of a call atoauth cannot judge is scope_missing too; the session stays", async () => {
    const rkey = postUri.split('/').pop()!
    const args = ['api', 'com.atproto.repo.deleteRecord', `repo=${alice().did}`]
    const { code, document } = await json([
      ...args,
      'collection=app.bsky.feed.post',
      `rkey=${rkey}`,
    ])
    expect(code).toBe(1)
    expect(document.error).toMatchObject({
      code: 'scope_missing',
      scope: 'repo:app.bsky.feed.post?action=delete',
    })
    // Not the end of the session: it still works, and is not marked as needing a login.
    expect((await e2e.run(['whoami'])).code).toBe(0)
    const { document: listed } = await json(['accounts'])
    expect(listed.accounts[0].state).toBe('active')
  })

  it('without blob:image/*, an image is refused before any request', async () => {
    const scope = 'repo:app.bsky.feed.post?action=create'
    const { cli } = await e2e.login('alice', { args: ['--scope', scope] })
    expect(cli.code, cli.stderr).toBe(0)
    const before = e2e.sandbox.requests.length
    const { code, document } = await json(['post', 'a picture', '--image', GIF])
    expect(code).toBe(1)
    expect(document.error).toMatchObject({ code: 'scope_missing', scope: 'blob:image/gif' })
    expect(document.error.hint).toContain('--scope post')
    expect(e2e.sandbox.requests.length).toBe(before)
  })
})

describe('a CI session from session create --scope post', () => {
  it('records its scopes in the blob, posts from ATOAUTH_SESSION_FILE, and cannot delete', async () => {
    const out = join(work, 'ci-post-only.json')
    const args = ['session', 'create', 'alice.test', '--scope', 'post', '--out', out]
    const { cli } = await e2e.runWithBrowser([...args, '--timeout', '60'], 'alice')
    expect(cli.code, cli.stderr).toBe(0)
    const blob = JSON.parse(await readFile(out, 'utf8'))
    e2e.rememberSecrets(blob.session)
    expect(blob.scope).toBe(POST_SCOPES.join(' '))

    const env = e2e.env({
      ATOAUTH_SESSION_FILE: out,
      ATOAUTH_CONFIG_DIR: await mkdtemp(join(tmpdir(), 'atoauth-ci-config-')),
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/atoauth-no-bus',
    })
    const posted = await json(['post', 'release notes from CI'], env)
    expect(posted.code, posted.stderr).toBe(0)
    const refused = await json(['delete', posted.document.uri], env)
    expect(refused.code).toBe(1)
    expect(refused.document.error).toMatchObject({ code: 'scope_missing' })
    expect(refused.document.error.hint).toContain(
      'atoauth session create alice.test --scope post,delete',
    )
  })
})

describe('at login', () => {
  it('a scope the client metadata does not declare is refused before the browser, with a way out', async () => {
    const scope = 'repo:app.bsky.feed.like?action=create'
    const { code, stdout, stderr } = await e2e.run([
      'login',
      'alice.test',
      '--scope',
      scope,
      '--json',
    ])
    expect(code).toBe(2)
    const { error } = JSON.parse(stdout)
    expect(error).toMatchObject({
      code: 'scope_refused',
      message: expect.stringContaining(`Scope "${scope}" is not declared in the client metadata`),
    })
    expect(error.hint).toContain('--dev-client')
    expect(error.hint).toContain('--client-id')
    expect(stderr).not.toContain('/oauth/authorize')
  })

  it('--dev-client declares that scope in its client_id: the same login works', async () => {
    const scope = 'repo:app.bsky.feed.like?action=create'
    const { cli } = await e2e.login('alice', { args: ['--dev-client', '--scope', scope] })
    expect(cli.code, cli.stderr).toBe(0)
    const { document } = await json(['whoami'])
    expect(document.scopes).toEqual(['atproto', scope])
    expect(document.preset).toBeNull()
  })

  it('a scope atoauth cannot read is a usage error before any request', async () => {
    const before = e2e.sandbox.requests.length
    const { code, stderr } = await e2e.run([
      'login',
      'alice.test',
      '--scope',
      'post,repo:not a nsid',
    ])
    expect(code).toBe(2)
    expect(stderr).toContain('is neither a preset nor an atproto scope')
    expect(e2e.sandbox.requests.length).toBe(before)
  })

  it('full is the default and grants what it always did', async () => {
    const { cli } = await e2e.login('alice')
    expect(cli.code, cli.stderr).toBe(0)
    const { document } = await json(['whoami'])
    expect(document.scopes).toEqual(['atproto', 'transition:generic'])
    expect(document.preset).toBe('full')
  })
})
