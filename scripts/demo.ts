// The sandbox demo: a local PLC + PDS with an account, then the real
// `atoauth login`, `whoami`, `post`, `accounts`, `api` and `logout` against it. Without a
// display, headless Chromium plays the person at the browser.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { atoauthEnv, readJson, startSandbox } from '../test/sandbox/sandbox.ts'

const root = resolve(import.meta.dirname, '..')
const document = (await readJson(join(root, 'client-metadata/oauth-client-metadata.json'))) as {
  client_id: string
}

console.error('Starting a local sandbox: PLC directory, PDS, accounts alice.test and bob.test…')
const sandbox = await startSandbox({ clientMetadata: { [document.client_id]: document } })
const configDir = await mkdtemp(join(tmpdir(), 'atoauth-demo-'))
const alice = sandbox.accounts.alice
if (!alice) throw new Error('the sandbox has no alice account')
// Over SSH atoauth opens no browser (it waits for a pasted URL): play the person here too.
const overSsh = Boolean(process.env.SSH_CONNECTION || process.env.SSH_CLIENT || process.env.SSH_TTY)
const hasDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY) && !overSsh

const env: NodeJS.ProcessEnv = {
  ...atoauthEnv(sandbox, { configDir, cacheDir: join(configDir, 'cache') }),
  CONSENT_PASSWORD: alice.password,
}
if (hasDisplay) {
  console.error(
    `\nYour browser will open: sign in as alice.test with the password ${alice.password}\n`,
  )
} else {
  env.ATOAUTH_BROWSER = `${process.execPath} ${join(root, 'test/support/consent-browser.ts')}`
  console.error('\nNo display: headless Chromium will sign in and press "Authorize".\n')
}

function atoauth(...args: string[]): Promise<number> {
  console.error(
    `\n$ atoauth ${args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}`,
  )
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, 'bin/atoauth.js'), ...args], {
      env,
      stdio: 'inherit',
    })
    child.on('exit', (code) => done(code ?? 1))
  })
}

let failed = false
try {
  for (const step of [
    ['login', 'alice.test'],
    ['whoami'],
    ['post', 'hello from the terminal https://atproto.com #atproto @bob.test'],
    [
      'post',
      'a photo, uploaded without its GPS position',
      '--image',
      join(root, 'test/fixtures/images/phone-photo.jpg'),
      '--alt',
      'A small test picture',
    ],
    ['whoami', '--json'],
    ['accounts'],
    [
      'api',
      'com.atproto.repo.listRecords',
      'repo=alice.test',
      'collection=app.bsky.feed.post',
      'limit:=1',
    ],
    ['logout'],
  ]) {
    const code = await atoauth(...step)
    if (code !== 0) {
      console.error(`\natoauth ${step[0]} exited with ${code}; stopping the demo.`)
      failed = true
      break
    }
  }
} finally {
  await sandbox.close()
  await rm(configDir, { recursive: true, force: true })
}
console.error(
  failed ? '\nThe demo failed.' : '\nDemo complete: the session was created, used and revoked.',
)
process.exit(failed ? 1 : 0)
