// Where `atoauth api` writes an answer: a server's bytes never reach a terminal as they are
// (escape sequences, OSC 52 clipboard writes). A binary answer is refused there, as curl does;
// text is shown without its control characters; a pipe and --output get the bytes exactly.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { XrpcAnswer } from '../../src/auth/session.ts'
import { type ApiOptions, runApi } from '../../src/commands/api.ts'
import { AtoauthError } from '../../src/errors.ts'
import { Output } from '../../src/output.ts'
import { ALICE, fakeContext, jsonAnswer } from '../support/fake-context.ts'

/** Copies "pwned" to the clipboard (OSC 52), clears the screen, and a NUL: what a PNG may hold. */
const HOSTILE = Buffer.concat([
  Buffer.from('\x89PNG\r\n\x1a\n'),
  Buffer.from('\x1b]52;c;cHduZWQ=\x07\x1b[2J\x00'),
])
const HOSTILE_TEXT = 'line one\n\x1b]52;c;cHduZWQ=\x07\x1b[2Jline two\u202e\r\n'

function answer(bytes: Uint8Array, contentType: string | undefined): XrpcAnswer {
  return { ...jsonAnswer({}), contentType, bytes }
}

/** runApi with the server answering `reply`, stdout a terminal or a pipe, and what it wrote. */
async function api(
  reply: XrpcAnswer,
  options: Partial<ApiOptions> & { terminal?: boolean; json?: boolean } = {},
) {
  const { terminal = true, json = false, ...given } = options
  const stdout = Object.assign(new PassThrough(), { isTTY: terminal || undefined })
  const stderr = new PassThrough()
  const out = new Output({ json, color: false, streams: { stdout, stderr } })
  const requests: string[] = []
  const { ctx } = fakeContext({
    out,
    xrpc: async () => async (request) => {
      requests.push(request.path)
      return reply
    },
  })
  const run = { nsid: 'com.atproto.sync.getBlob', fields: ['did=did:plc:a', 'cid=b'], ...given }
  const opts: ApiOptions = {
    ...{ method: undefined, input: undefined, contentType: undefined, proxy: undefined },
    ...run,
  }
  let error: AtoauthError | undefined
  try {
    out.result(await runApi(opts, ctx))
  } catch (err) {
    if (!(err instanceof AtoauthError)) throw err
    error = err
    out.error(err)
  }
  const read = (s: PassThrough) => (s.read() as Buffer | null) ?? Buffer.alloc(0)
  return { error, stdout: read(stdout), stderr: String(read(stderr)), requests }
}

describe('a binary answer', () => {
  it('is refused on a terminal (binary_to_terminal, exit 2), saying how to get it', async () => {
    const { error, stdout, stderr } = await api(answer(HOSTILE, 'image/png'))
    expect(error).toMatchObject({
      code: 'binary_to_terminal',
      exitCode: 2,
      details: { contentType: 'image/png', size: HOSTILE.length },
    })
    expect(stdout.length).toBe(0)
    expect(stderr).toContain('--output <file>')
    expect(stderr).not.toContain('\x1b')
  })

  it('without a content type, is refused too', async () => {
    const { error } = await api(answer(HOSTILE, undefined))
    expect(error?.code).toBe('binary_to_terminal')
  })

  it('goes to a pipe as it is', async () => {
    const { error, stdout } = await api(answer(HOSTILE, 'image/png'), { terminal: false })
    expect(error).toBeUndefined()
    expect(stdout.equals(HOSTILE)).toBe(true)
  })

  it('goes to the terminal anyway with --output -', async () => {
    const { stdout } = await api(answer(HOSTILE, 'image/png'), { output: '-' })
    expect(stdout.equals(HOSTILE)).toBe(true)
  })

  it('is one JSON document with --json, in base64', async () => {
    const { stdout } = await api(answer(HOSTILE, 'image/png'), { json: true })
    const document = JSON.parse(String(stdout))
    expect(document.encoding).toBe('image/png')
    expect(Buffer.from(document.base64, 'base64').equals(HOSTILE)).toBe(true)
  })
})

describe('a text answer', () => {
  it('is shown on a terminal without escape sequences, control or format characters', async () => {
    const reply = answer(Buffer.from(HOSTILE_TEXT), 'text/plain; charset=utf-8')
    const { error, stdout } = await api(reply)
    expect(error).toBeUndefined()
    expect(String(stdout)).toBe('line one\nline two\n')
  })

  it('goes to a pipe as it is', async () => {
    const reply = answer(Buffer.from(HOSTILE_TEXT), 'text/plain')
    const { stdout } = await api(reply, { terminal: false })
    expect(String(stdout)).toBe(HOSTILE_TEXT)
  })

  it('as JSON, is pretty-printed with its control characters escaped', async () => {
    const { stdout } = await api(jsonAnswer({ text: '\x1b]52;c;cHduZWQ=\x07' }))
    expect(String(stdout)).toBe('{\n  "text": "\\u001b]52;c;cHduZWQ=\\u0007"\n}\n')
  })
})

describe('--output <file>', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'atoauth-api-'))

  it("writes the answer's bytes exactly, replacing the file whole, and says so", async () => {
    const folder = dir()
    const file = join(folder, 'blob.png')
    writeFileSync(file, 'an older, longer file that must not show through')
    const { error, stdout } = await api(answer(HOSTILE, 'image/png'), { output: file })
    expect(error).toBeUndefined()
    expect(readFileSync(file).equals(HOSTILE)).toBe(true)
    expect(readdirSync(folder)).toEqual(['blob.png']) // no temporary copy left behind
    expect(String(stdout)).toBe(`Wrote ${HOSTILE.length} bytes (image/png) to ${file}\n`)
  })

  it('writes a JSON answer as it came, and --json says where', async () => {
    const file = join(dir(), 'answer.json')
    const reply = jsonAnswer({ did: ALICE.did })
    const { stdout } = await api(reply, { output: file, json: true })
    expect(readFileSync(file).equals(Buffer.from(reply.bytes))).toBe(true)
    expect(JSON.parse(String(stdout))).toEqual({
      output: file,
      contentType: 'application/json',
      size: reply.bytes.length,
    })
  })

  it('refuses a folder that does not exist before making the request (exit 2)', async () => {
    const file = join(dir(), 'missing', 'blob.png')
    const { error, requests } = await api(answer(HOSTILE, 'image/png'), { output: file })
    expect(error).toMatchObject({ code: 'usage', exitCode: 2 })
    expect(requests).toEqual([])
  })

  it('refuses a folder as the file', async () => {
    const { error, requests } = await api(answer(HOSTILE, 'image/png'), { output: dir() })
    expect(error?.message).toMatch(/is a folder/)
    expect(requests).toEqual([])
  })

  // No /dev/null on Windows (NUL is a device name there, not a path under a folder).
  it.skipIf(process.platform === 'win32')('writes into a device without replacing it', async () => {
    const { error } = await api(answer(HOSTILE, 'image/png'), { output: '/dev/null' })
    expect(error).toBeUndefined()
    expect(readFileSync('/dev/null').length).toBe(0)
  })

  it('- and --json together are a usage error', async () => {
    const { error, requests } = await api(answer(HOSTILE, 'image/png'), { output: '-', json: true })
    expect(error).toMatchObject({ code: 'usage', exitCode: 2 })
    expect(requests).toEqual([])
  })
})
