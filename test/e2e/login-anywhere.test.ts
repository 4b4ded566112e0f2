// Logging in where the browser is not: over SSH (a pasted redirect URL, or
// an `ssh -L` tunnel), on a terminal or through a pipe; Ctrl-C and the
// timeout; and hostile requests to the loopback listener of a real login.
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { freeLoopbackPort } from '../sandbox/sandbox.ts'
import { keychainEntry, type LiveRun, useE2E } from './harness.ts'

const e2e = useE2E()

const alice = () => e2e.sandbox.accounts.alice!

/** A person logged in to this machine over SSH: no display, no browser command. */
const overSsh = () =>
  e2e.env({
    SSH_CONNECTION: '192.0.2.10 50022 192.0.2.20 22',
    DISPLAY: undefined,
    WAYLAND_DISPLAY: undefined,
    ATOAUTH_BROWSER: undefined,
  })

/**
 * A person at a desktop whose browser "opens" and does nothing: atoauth shows
 * its spinner. Not in CI (ora draws no spinner there, whatever the terminal).
 */
const atTheDesktop = () => e2e.env({ ATOAUTH_BROWSER: 'true', CI: undefined })

const AUTHORIZE_URL = /http:\/\/localhost:\d+\/oauth\/authorize\?\S+/

async function authorizeUrl(live: LiveRun): Promise<string> {
  return (await live.waitFor(AUTHORIZE_URL))[0]
}

function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = ''
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function expectLoggedInAsAlice(): Promise<void> {
  const whoami = await e2e.run(['whoami', '--json'])
  expect(whoami.code, whoami.stderr).toBe(0)
  expect(JSON.parse(whoami.stdout).did).toBe(alice().did)
}

async function expectNothingStored(): Promise<void> {
  expect(await keychainEntry(alice().did)).toBeUndefined()
  const accounts = await e2e.run(['accounts', '--json'])
  expect(JSON.parse(accounts.stdout).accounts).toEqual([])
}

describe('over SSH, with the browser on another device', () => {
  it('on a terminal: prints the URL and a tunnel hint, and accepts the pasted redirect URL', async () => {
    const live = e2e.start(['login', 'alice.test'], overSsh(), { terminal: true })
    const url = await authorizeUrl(live)
    const port = Number((await live.waitFor(/ssh -N -L (\d+):127\.0\.0\.1:\1 \S+/))[1])
    expect(live.output).toContain('No browser opened here (this is an SSH session)')
    await live.waitFor(/Paste the URL here: $/)

    // Something that is not the callback is refused, and the login goes on.
    live.write('https://example.com/not-it\r')
    await live.waitFor(/Not accepted: that URL is not for this login/)

    const browser = await e2e.browseElsewhere(url, 'alice')
    expect(browser.ok, browser.error).toBe(true)
    expect(browser.redirectUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/callback\\?`))
    live.write(`${browser.redirectUrl}\r`)

    const result = await live.done
    expect(result.code, result.stdout).toBe(0)
    expect(result.stdout).toContain(`Logged in as alice.test (${alice().did})`)
    await expectLoggedInAsAlice()
    expect((await e2e.run(['logout'])).code).toBe(0)
  })

  it("through a pipe (ssh host 'atoauth login …'): the pasted line still works", async () => {
    const live = e2e.start(['login', 'alice.test', '--json'], overSsh())
    const url = await authorizeUrl(live)
    await live.waitFor(/copy that whole URL from its address bar and paste it here/)
    const browser = await e2e.browseElsewhere(url, 'alice')
    live.write(`${browser.redirectUrl}\n`)
    const result = await live.done
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ did: alice().did, handle: 'alice.test' })
    await expectLoggedInAsAlice()
    expect((await e2e.run(['logout'])).code).toBe(0)
  })

  it('through an ssh -L tunnel to a fixed --port: the redirect itself arrives', async () => {
    const port = await freeLoopbackPort()
    const live = e2e.start(['login', 'alice.test', '--port', String(port)], overSsh())
    const url = await authorizeUrl(live)
    await live.waitFor(new RegExp(`ssh -N -L ${port}:127\\.0\\.0\\.1:${port} `))
    const browser = await e2e.browseElsewhere(url, 'alice', { tunnel: true })
    expect(browser).toMatchObject({ ok: true, status: 200, title: 'Logged in' })
    // stdin stays open and silent: the login must end on the callback alone.
    const result = await live.done
    expect(result.code, result.stderr).toBe(0)
    await expectLoggedInAsAlice()
    expect((await e2e.run(['logout'])).code).toBe(0)
  })
})

describe('cancelling and timing out', () => {
  it('Ctrl-C at the paste prompt: exit 130, listener closed, nothing stored', async () => {
    const port = await freeLoopbackPort()
    const live = e2e.start(['login', 'alice.test', '--port', String(port)], overSsh(), {
      terminal: true,
    })
    await live.waitFor(/Paste the URL here: $/)
    expect((await get(port, '/favicon.ico')).status).toBe(404)
    live.write('\u0003')
    const result = await live.done
    expect(result.code).toBe(130)
    expect(result.stdout).toMatch(/error: Login cancelled; nothing was stored\./)
    await expect(get(port, '/callback')).rejects.toThrow(/ECONNREFUSED/)
    await expectNothingStored()
  })

  it('Ctrl-C while the spinner waits on the desktop: exit 130, nothing stored', async () => {
    // A browser "opens" (and does nothing), so atoauth shows its spinner.
    const live = e2e.start(['login', 'alice.test'], atTheDesktop(), {
      terminal: true,
    })
    await live.waitFor(/Waiting for the browser to sign in… \d:\d\d left/)
    live.write('\u0003')
    const result = await live.done
    expect(result.code).toBe(130)
    expect(result.stdout).toMatch(/error: Login cancelled; nothing was stored\./)
    await expectNothingStored()
  })

  it('SIGINT from outside (no terminal): exit 130, nothing stored', async () => {
    const live = e2e.start(['login', 'alice.test', '--json'], atTheDesktop())
    await authorizeUrl(live)
    live.kill('SIGINT')
    const result = await live.done
    expect(result.code).toBe(130)
    expect(JSON.parse(result.stdout).error.code).toBe('cancelled')
    await expectNothingStored()
  })

  it('the spinner counts down, and the timeout ends the login clearly', async () => {
    const live = e2e.start(['login', 'alice.test', '--timeout', '4'], atTheDesktop(), {
      terminal: true,
    })
    const result = await live.done
    expect(result.code).toBe(1)
    const shown = new Set(result.stdout.match(/0:0\d left/g))
    expect(shown.size).toBeGreaterThanOrEqual(2)
    expect(result.stdout).toContain('error: No answer from the browser within 4 s.')
    await expectNothingStored()
  })
})

describe('hostile requests to the listener of a real login', () => {
  it('stray requests and a forged callback are refused while it waits; the real redirect still logs in', async () => {
    const port = await freeLoopbackPort()
    const live = e2e.start(
      ['login', 'alice.test', '--no-browser', '--port', String(port), '--json'],
      overSsh(),
    )
    const url = await authorizeUrl(live)

    expect((await get(port, '/favicon.ico')).status).toBe(404)
    expect((await get(port, '/wp-admin')).status).toBe(404)
    expect((await get(port, '/callback?state=x&code=y', 'POST')).status).toBe(405)
    await live.waitFor(/ignored a POST request .*still waiting/)
    expect(live.stderr).toMatch(/ignored a request for \/wp-admin/)
    expect(live.stderr).not.toMatch(/favicon/)

    // Any local process (or a web page that finds the port) can call /callback:
    // only the authorization server's redirect, with this login's state, ends it.
    const forged = await get(port, '/callback?state=forged&code=stolen')
    expect(forged.status).toBe(400)
    expect(forged.body).toContain('Not the answer to this login')
    await live.waitFor(/ignored a callback whose state is not this login's .*still waiting/)
    expect((await get(port, '/callback?code=stolen')).status).toBe(400)
    await live.waitFor(/ignored a callback without a state/)

    const browser = await e2e.browseElsewhere(url, 'alice', { tunnel: true })
    expect(browser).toMatchObject({ ok: true, status: 200, title: 'Logged in' })
    const result = await live.done
    expect(result.code, result.stderr).toBe(0)
    await expectLoggedInAsAlice()
    expect((await e2e.run(['logout'])).code).toBe(0)
  })

  it('a --port already in use is a clear error before anything else happens', async () => {
    const busy = createServer().listen(0, '127.0.0.1')
    await new Promise((r) => busy.once('listening', r))
    const { port } = busy.address() as AddressInfo
    try {
      const result = await e2e.run(['login', 'alice.test', '--port', String(port), '--json'])
      expect(result.code).toBe(1)
      expect(JSON.parse(result.stdout).error).toMatchObject({
        code: 'listener_failed',
        message: `Port ${port} on 127.0.0.1 is already in use.`,
      })
      expect(result.stderr).not.toContain('oauth/authorize')
    } finally {
      busy.close()
    }
  })
})
