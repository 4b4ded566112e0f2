// prepareImage: a path in, the bytes to upload out, or a usage error (exit 2) naming the file,
// all before any request. Fixtures: test/fixtures/images (make-fixtures.sh).
import { copyFile, mkdtemp, open, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { AtoauthError, ExitCode } from '../../src/errors.ts'
import { MAX_IMAGE_BYTES, prepareImage, unreadableImageError } from '../../src/post/image.ts'
import { stripMetadata } from '../../src/post/strip-metadata.ts'
import { noisePng } from '../support/noise-png.ts'

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/images/${name}`, import.meta.url))
const scratch = () => mkdtemp(join(tmpdir(), 'atoauth-image-'))

/** The AtoauthError prepareImage fails with. */
async function failure(file: string): Promise<AtoauthError> {
  const error = await prepareImage(file, undefined).then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(AtoauthError)
  expect((error as AtoauthError).exitCode).toBe(ExitCode.usage)
  return error as AtoauthError
}

describe('prepareImage', () => {
  it('gives a phone photo stripped, as a JPEG, with the aspect ratio it is shown at', async () => {
    const photo = await prepareImage(fixture('phone-photo.jpg'), 'A gradient')
    const original = await readFile(fixture('phone-photo.jpg'))
    expect(photo).toMatchObject({ file: fixture('phone-photo.jpg'), alt: 'A gradient' })
    expect(photo.mimeType).toBe('image/jpeg')
    // 48x32 pixels stored, Orientation 6 (turned a quarter): shown 32 wide, 48 high.
    expect(photo.aspectRatio).toEqual({ width: 32, height: 48 })
    expect(Buffer.from(photo.bytes)).toEqual(Buffer.from(stripMetadata(original, 'image/jpeg', 6)))
    expect(Buffer.from(photo.bytes).includes('ATOAUTH-SECRET')).toBe(false)
  })

  it('keeps the stored width and height of an upright JPEG', async () => {
    const dir = await scratch()
    const upright = stripMetadata(await readFile(fixture('phone-photo.jpg')), 'image/jpeg')
    await writeFile(join(dir, 'upright.jpg'), upright)
    const photo = await prepareImage(join(dir, 'upright.jpg'), undefined)
    expect(photo.aspectRatio).toEqual({ width: 48, height: 32 })
    expect(photo.alt).toBeUndefined()
  })

  it('reads PNG, WebP and GIF, their size and type from their bytes', async () => {
    const png = await prepareImage(fixture('text-chunks.png'), '')
    expect([png.mimeType, png.aspectRatio, png.alt]).toEqual([
      'image/png',
      { width: 40, height: 24 },
      '',
    ])
    expect(Buffer.from(png.bytes).includes('ATOAUTH-SECRET')).toBe(false)
    const webp = await prepareImage(fixture('exif-xmp.webp'), undefined)
    expect([webp.mimeType, webp.aspectRatio]).toEqual(['image/webp', { width: 30, height: 20 }])
    expect(Buffer.from(webp.bytes).includes('ATOAUTH-SECRET')).toBe(false)
    const gif = await prepareImage(fixture('small.gif'), undefined)
    expect([gif.mimeType, gif.aspectRatio]).toEqual(['image/gif', { width: 8, height: 6 }])
    expect(Buffer.from(gif.bytes)).toEqual(await readFile(fixture('small.gif')))
  })

  it('judges the type by the bytes, not the name', async () => {
    const dir = await scratch()
    await copyFile(fixture('phone-photo.jpg'), join(dir, 'photo.png'))
    expect((await prepareImage(join(dir, 'photo.png'), undefined)).mimeType).toBe('image/jpeg')

    const text = await failure(fixture('x.png'))
    expect(text.code).toBe('image_unsupported')
    expect(text.message).toBe(`${fixture('x.png')} is not a PNG, JPEG, WebP or GIF image.`)
    expect(text.hint).toMatch(/PNG, JPEG, WebP or GIF/)
    expect(text.details).toMatchObject({ file: fixture('x.png') })
  })

  it('refuses a damaged image as unsupported', async () => {
    const dir = await scratch()
    const photo = await readFile(fixture('phone-photo.jpg'))
    await writeFile(join(dir, 'cut.jpg'), photo.subarray(0, 2000))
    const cut = await failure(join(dir, 'cut.jpg'))
    expect(cut.code).toBe('image_unsupported')
    // A prefix compared as text: a path is no pattern (Windows' backslashes, a dot in a name).
    const damaged = `${join(dir, 'cut.jpg')} is a damaged JPEG image: `
    expect(cut.message.slice(0, damaged.length)).toBe(damaged)
    await writeFile(join(dir, 'no-header.png'), Buffer.from('89504e470d0a1a0a', 'hex'))
    const headless = await failure(join(dir, 'no-header.png'))
    expect([headless.code, headless.message]).toEqual([
      'image_unsupported',
      `${join(dir, 'no-header.png')} is a damaged PNG image: Invalid PNG.`,
    ])
  })

  it('uploads a GIF without the comment and XMP an editor left in it', async () => {
    const gif = await prepareImage(fixture('comment-xmp.gif'), undefined)
    expect(gif.mimeType).toBe('image/gif')
    expect(Buffer.from(gif.bytes).includes('ATOAUTH-SECRET')).toBe(false)
    expect(Buffer.from(gif.bytes)).toEqual(await readFile(fixture('small.gif')))
  })

  it('refuses a GIF or WebP cut inside a block as a damaged image', async () => {
    const dir = await scratch()
    const gif = await readFile(fixture('comment-xmp.gif'))
    await writeFile(join(dir, 'cut.gif'), gif.subarray(0, 200)) // inside the XMP extension
    const cutGif = await failure(join(dir, 'cut.gif'))
    expect([cutGif.code, cutGif.message]).toEqual([
      'image_unsupported',
      `${join(dir, 'cut.gif')} is a damaged GIF image: it ends inside a block.`,
    ])
    const webp = Buffer.from(await readFile(fixture('exif-xmp.webp')))
    webp.writeUInt32LE(0xffff, 16) // the VP8X chunk's size runs past the RIFF data
    await writeFile(join(dir, 'long-chunk.webp'), webp)
    const badWebp = await failure(join(dir, 'long-chunk.webp'))
    expect([badWebp.code, badWebp.message]).toEqual([
      'image_unsupported',
      `${join(dir, 'long-chunk.webp')} is a damaged WebP image: a chunk runs past the end of the RIFF data.`,
    ])
  })

  it('refuses an image over 1,000,000 bytes after its metadata is removed', async () => {
    const dir = await scratch()
    const big = noisePng(580, 580)
    expect(big.length).toBeGreaterThan(MAX_IMAGE_BYTES)
    await writeFile(join(dir, 'big.png'), big)
    const error = await failure(join(dir, 'big.png'))
    expect(error.code).toBe('image_too_large')
    // The walk stops at the limit, so the size named is the file's.
    expect(error.message).toBe(
      `${join(dir, 'big.png')} is ${big.length.toLocaleString('en-US')} bytes, over the limit ` +
        'even without its metadata; the limit is 1,000,000 bytes.',
    )
    expect(error.hint).toMatch(/smaller/)
    expect(error.details).toEqual({
      file: join(dir, 'big.png'),
      size: big.length,
      limit: 1_000_000,
    })
  })

  it('accepts a file over the limit that metadata alone made too large', async () => {
    const dir = await scratch()
    const padded = noisePng(200, 200, [['tEXt', Buffer.alloc(1_100_000, 'x')]])
    expect(padded.length).toBeGreaterThan(MAX_IMAGE_BYTES)
    await writeFile(join(dir, 'padded.png'), padded)
    const image = await prepareImage(join(dir, 'padded.png'), undefined)
    expect(image.bytes.length).toBeLessThan(MAX_IMAGE_BYTES)
  })

  it('refuses a file over 64 MiB without reading it', async () => {
    const dir = await scratch()
    const file = await open(join(dir, 'huge.jpg'), 'w')
    await file.truncate(64 * 1024 * 1024 + 1) // zeros: read, they would be "not an image"
    await file.close()
    const error = await failure(join(dir, 'huge.jpg'))
    expect(error.code).toBe('image_too_large')
    expect(error.message).toBe(
      `${join(dir, 'huge.jpg')} is 67,108,865 bytes; the limit is 1,000,000 bytes.`,
    )
  })

  it('says why a file cannot be read', async () => {
    const dir = await scratch()
    const missing = await failure(join(dir, 'missing.jpg'))
    expect([missing.code, missing.message, missing.details]).toEqual([
      'image_unreadable',
      `Cannot read the image ${join(dir, 'missing.jpg')}: there is no such file.`,
      { file: join(dir, 'missing.jpg'), reason: 'ENOENT' },
    ])
    const directory = await failure(dir)
    expect([directory.code, directory.message]).toEqual([
      'image_unreadable',
      `Cannot read the image ${dir}: it is a directory.`,
    ])
    // Tests may run as root, whom no permission stops: the errno alone, as the file system gives it.
    const denied = unreadableImageError('photo.jpg', Object.assign(new Error(), { code: 'EACCES' }))
    expect([denied.code, denied.exitCode, denied.message]).toEqual([
      'image_unreadable',
      ExitCode.usage,
      'Cannot read the image photo.jpg: permission denied.',
    ])
    expect(denied.hint).toMatch(/read access/)
  })
})
