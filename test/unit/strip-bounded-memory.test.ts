// A crafted image must not take memory out of proportion to its size: a JPEG cut into millions
// of restart markers or tiny segments once kept one view object per part (an 8 MB file took
// 645 MB, a 64 MiB one gigabytes). Measured in a child process with a small heap, where the old
// way dies of it, and by the child's peak RSS: no timing is asserted.
import { execFile } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { OutputTooLargeError, StrippedOutput } from '../../src/post/stripped-output.ts'

const SIZE = 8 * 1024 * 1024
/** SOI, a JFIF APP0 (image-size skips the first segment unread), a 48x32 SOF0; then `body`. */
function jpegOf(body: Buffer): Buffer {
  const head = Buffer.from(
    'ffd8ffe000104a46494600010100000100010000ffc0001108002000300301220002110103110100',
    'hex',
  )
  return Buffer.concat([head, body, Buffer.of(0xff, 0xd9)])
}

/** What prepareImage answers for `file` in a child process with a `heapMB` heap, and by how
 * much the child's peak RSS grew while it answered. */
async function prepareInChild(file: string, heapMB: number) {
  const root = (path: string) => pathToFileURL(resolve(import.meta.dirname, path)).href
  const script = `
    const { prepareImage } = await import(${JSON.stringify(root('../../src/post/image.ts'))})
    const before = process.resourceUsage().maxRSS
    const code = await prepareImage(${JSON.stringify(file)}, undefined).then(() => 'ok', (e) => e.code ?? String(e))
    const grew = (process.resourceUsage().maxRSS - before) * 1024
    console.log(JSON.stringify({ code, grew }))`
  const { stdout } = await promisify(execFile)(process.execPath, [
    `--max-old-space-size=${heapMB}`,
    '--import',
    root('../support/ts-imports.mjs'),
    '--input-type=module',
    '-e',
    script,
  ])
  return JSON.parse(stdout) as { code: string; grew: number }
}

describe('an image cut into millions of parts', () => {
  const cases: [string, Buffer][] = [
    // 4 million restart markers (FF D0 … FF D7, no length), all kept.
    ['restart markers', Buffer.alloc(SIZE, Buffer.from('ffd0ffd1ffd2ffd3ffd4ffd5ffd6ffd7', 'hex'))],
    // 800,000 pairs of a kept DRI and a dropped comment: no two kept parts touch.
    ['tiny segments', Buffer.alloc(SIZE, Buffer.from('ffdd00040000fffe0002', 'hex'))],
  ]
  it.each(cases)(
    'of %s is refused as too large in a 32 MB heap, within a few times its size',
    async (_, body) => {
      const file = join(await mkdtemp(join(tmpdir(), 'atoauth-flood-')), 'flood.jpg')
      await writeFile(file, jpegOf(body))
      const { code, grew } = await prepareInChild(file, 32)
      expect(code).toBe('image_too_large')
      expect(grew).toBeLessThan(5 * SIZE) // read once, 1 MB kept; it was 80 × the size
    },
  )
})

describe('StrippedOutput', () => {
  it('never holds more than its limit: the push that would pass it throws', () => {
    const output = new StrippedOutput(10, 8)
    output.push(Buffer.from('12345'))
    expect(() => output.push(Buffer.from('6789'))).toThrow(OutputTooLargeError)
    output.push(Buffer.from('678'))
    expect(output.result()).toEqual(Buffer.from('12345678'))
    expect(output.result().buffer.byteLength).toBe(8)
  })

  it('grows past its first guess up to the limit, and patches what it holds', () => {
    const output = new StrippedOutput(2)
    output.push(Buffer.from('ab'))
    output.push(Buffer.from('cdef'))
    output.patch(1, Buffer.from('B'))
    expect(output.result()).toEqual(Buffer.from('aBcdef'))
    expect(() => output.patch(5, Buffer.from('xy'))).toThrow(RangeError)
  })
})
