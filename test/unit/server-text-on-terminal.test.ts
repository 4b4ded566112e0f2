// A hostile server's words reach the terminal as plain text: Output strips
// escape sequences and control characters from every human line, and leaves
// JSON documents and raw bytes exact.
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { AtoauthError } from '../../src/errors.ts'
import { Output } from '../../src/output.ts'

/** Clear screen, a forged hyperlink (OSC 8), a carriage return and a C1 CSI (colour red). */
const HOSTILE =
  'alice\u001b[2J.bsky\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\rme\u009b31m!\u0000'
const PLAIN = 'alice.bskyclickme!'

function output(json = false) {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const read = (s: PassThrough) => String(s.read() ?? '')
  return {
    out: new Output({ json, color: false, streams: { stdout, stderr } }),
    stdout: () => read(stdout),
    stderr: () => read(stderr),
  }
}

describe('Output, in human mode', () => {
  it('prints a result line without escape sequences or control characters, keeping tabs and newlines', () => {
    const o = output()
    o.out.result({ data: {}, text: [`handle:\t${HOSTILE}`, 'scope: atproto'] })
    expect(o.stdout()).toBe(`handle:\t${PLAIN}\nscope: atproto\n`)
  })

  it('prints warnings and messages plainly', () => {
    const o = output()
    o.out.warn(`the server said ${HOSTILE}`)
    o.out.info(HOSTILE)
    expect(o.stderr()).toBe(`warning: the server said ${PLAIN}\n${PLAIN}\n`)
  })

  it("prints an error's message and hint plainly", () => {
    const o = output()
    o.out.error(new AtoauthError('x', `The server refused: ${HOSTILE}`, { hint: HOSTILE }))
    expect(o.stderr()).toBe(`error: The server refused: ${PLAIN}\n${PLAIN}\n`)
    expect(o.stdout()).toBe('')
  })
})

describe('Output, for data', () => {
  it('keeps the JSON document exact (control characters escaped, not lost)', () => {
    const o = output(true)
    o.out.result({ data: { handle: HOSTILE }, text: [] })
    o.out.error(new AtoauthError('x', HOSTILE))
    const [result, error] = o
      .stdout()
      .split(/\n(?=\{)/)
      .map((doc) => JSON.parse(doc))
    expect(result.handle).toBe(HOSTILE)
    expect(error.error.message).toBe(HOSTILE)
  })

  it('writes raw bytes unchanged', () => {
    const o = output()
    const raw = Buffer.from(HOSTILE)
    o.out.result({ data: {}, text: [], raw })
    expect(o.stdout()).toBe(HOSTILE)
  })
})
