// Metadata removal walks each container and copies what stays byte for byte: the fixtures
// (test/fixtures/images, made by make-fixtures.sh) carry GPS, serials, times, XMP, IPTC and
// comments, all marked ATOAUTH-SECRET; none of it may survive, and no pixel byte may change.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DamagedImageError } from '../../src/post/damaged-image.ts'
import type { ImageMimeType } from '../../src/post/image.ts'
import { stripMetadata } from '../../src/post/strip-metadata.ts'
import { noisePng } from '../support/noise-png.ts'

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/images/${name}`, import.meta.url))
const PHOTO = fixture('phone-photo.jpg')
const TEXT_PNG = fixture('text-chunks.png')
const WEBP = fixture('exif-xmp.webp')
const GIF = fixture('small.gif')

/** The header segments of a JPEG, SOI excluded, up to and including the first SOS. */
function jpegSegments(jpeg: Buffer) {
  const segments: { marker: number; bytes: Buffer }[] = []
  for (let at = 2; ; ) {
    const marker = jpeg[at + 1]!
    const end = at + 2 + jpeg.readUInt16BE(at + 2)
    segments.push({ marker, bytes: jpeg.subarray(at, end) })
    if (marker === 0xda) return { segments, sos: at }
    at = end
  }
}
const app = (n: number) => 0xe0 + n

function pngChunks(png: Buffer) {
  const chunks: { type: string; bytes: Buffer }[] = []
  for (let at = 8; at < png.length; ) {
    const end = at + 12 + png.readUInt32BE(at)
    chunks.push({ type: png.toString('latin1', at + 4, at + 8), bytes: png.subarray(at, end) })
    at = end
  }
  return chunks
}

function webpChunks(webp: Buffer) {
  const chunks: { fourCC: string; bytes: Buffer }[] = []
  for (let at = 12; at < webp.length; ) {
    const size = webp.readUInt32LE(at + 4)
    const end = at + 8 + size + (size % 2)
    chunks.push({ fourCC: webp.toString('latin1', at, at + 4), bytes: webp.subarray(at, end) })
    at = end
  }
  return chunks
}

const strip = (bytes: Uint8Array, mimeType: ImageMimeType, orientation?: number) =>
  Buffer.from(stripMetadata(bytes, mimeType, orientation))

describe('JPEG', () => {
  const stripped = strip(PHOTO, 'image/jpeg', 6)
  const before = jpegSegments(PHOTO)
  const after = jpegSegments(stripped)

  it('the fixture has what a phone photo carries', () => {
    const markers = before.segments.map((segment) => segment.marker)
    expect(markers).toEqual(expect.arrayContaining([app(0), app(1), app(2), app(13), 0xfe]))
    expect(markers.filter((marker) => marker === app(1))).toHaveLength(2) // EXIF and XMP
  })

  it('keeps JFIF, the ICC profile and the tables, drops EXIF, XMP, IPTC and the comment', () => {
    const dropped = new Set([app(1), app(13), 0xfe])
    const kept = before.segments.filter((segment) => !dropped.has(segment.marker))
    const afterWithoutExif = after.segments.filter((segment) => segment.marker !== app(1))
    expect(afterWithoutExif.map((segment) => segment.bytes)).toEqual(kept.map((s) => s.bytes))
    expect(after.segments.map((segment) => segment.marker).slice(0, 3)).toEqual([
      app(0),
      app(1),
      app(2),
    ])
  })

  it('writes back an EXIF holding only the orientation', () => {
    const exif = after.segments.filter((segment) => segment.marker === app(1))
    expect(exif).toHaveLength(1)
    const segment = exif[0]!.bytes
    expect(segment.toString('latin1', 4, 10)).toBe('Exif\0\0')
    const tiff = segment.subarray(10)
    expect(tiff.toString('latin1', 0, 2)).toBe('MM')
    expect(tiff.readUInt16BE(tiff.readUInt32BE(4))).toBe(1) // IFD0 has one entry
    expect([tiff.readUInt16BE(10), tiff.readUInt16BE(12), tiff.readUInt32BE(14)]).toEqual([
      0x0112, 3, 1,
    ]) // Orientation, SHORT, one value
    expect(tiff.readUInt16BE(18)).toBe(6)
    expect(tiff.readUInt32BE(22)).toBe(0) // no next IFD: no thumbnail, no GPS IFD
    expect(segment.length).toBe(2 + segment.readUInt16BE(2))
  })

  it('copies every scan (SOS to EOI) byte for byte and leaves the trailer after EOI behind', () => {
    const eoiEnd = PHOTO.indexOf('ATOAUTH-SECRET-TRAILER')
    expect(PHOTO.subarray(eoiEnd - 2, eoiEnd)).toEqual(Buffer.of(0xff, 0xd9))
    expect(stripped.subarray(after.sos)).toEqual(PHOTO.subarray(before.sos, eoiEnd))
    expect(PHOTO.subarray(before.sos).includes(Buffer.of(0xff, 0xc4))).toBe(true) // progressive: tables between scans
  })

  it('writes no EXIF at all when the photo is upright', () => {
    for (const orientation of [undefined, 1]) {
      const upright = jpegSegments(strip(PHOTO, 'image/jpeg', orientation))
      expect(upright.segments.map((segment) => segment.marker)).not.toContain(app(1))
    }
  })

  it('ends a scan at the next real marker, not at stuffing, restart markers or fill bytes', () => {
    const sos = Buffer.of(0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00)
    const scan = Buffer.of(0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0xd7, 0x78, 0xff)
    const comment = Buffer.of(0xff, 0xfe, 0x00, 0x04, 0x41, 0x42)
    const jpeg = Buffer.concat([Buffer.of(0xff, 0xd8), sos, scan, comment, Buffer.of(0xff, 0xd9)])
    const expected = Buffer.concat([Buffer.of(0xff, 0xd8), sos, scan, Buffer.of(0xff, 0xd9)])
    expect(strip(jpeg, 'image/jpeg')).toEqual(expected) // the fill byte 0xff stays in the scan
  })

  it('refuses a damaged structure rather than upload half of it', () => {
    const eoi = PHOTO.indexOf('ATOAUTH-SECRET-TRAILER')
    const badLength = Buffer.from(PHOTO)
    badLength.writeUInt16BE(0xfff0, 4) // APP0's length runs past the end
    const cases: [Buffer, string][] = [
      [PHOTO.subarray(0, 100), 'a segment runs past the end of the file'], // inside EXIF
      [badLength, 'a segment runs past the end of the file'],
      [PHOTO.subarray(0, before.sos), 'it ends before its end-of-image marker'],
      [PHOTO.subarray(0, eoi - 8), 'it ends inside its image data'], // inside the last scan
      [PHOTO.subarray(0, eoi - 2), 'it ends inside its image data'], // EOI cut off
    ]
    for (const [damaged, reason] of cases) {
      expect(() => stripMetadata(damaged, 'image/jpeg', 6)).toThrow(new DamagedImageError(reason))
    }
  })
})

describe('JPEG from cameras that leave stray bytes between segments', () => {
  it('skips them, as decoders do, and strips the rest the same way', () => {
    const stray = Buffer.concat([PHOTO.subarray(0, 2), Buffer.of(0x00, 0x00), PHOTO.subarray(2)])
    expect(stripMetadata(stray, 'image/jpeg', 6)).toEqual(stripMetadata(PHOTO, 'image/jpeg', 6))
  })
})

describe('PNG', () => {
  const stripped = strip(Buffer.concat([TEXT_PNG, Buffer.from('trailing')]), 'image/png')

  it('keeps only chunks it knows are needed: metadata under an unknown name goes too', () => {
    const withPrivate = noisePng(4, 4, [['exIf', Buffer.from('ATOAUTH-SECRET-GPS')]])
    const out = Buffer.from(stripMetadata(withPrivate, 'image/png'))
    expect(out.includes('ATOAUTH-SECRET')).toBe(false)
    expect(pngChunks(out).map((chunk) => chunk.type)).toEqual(['IHDR', 'IDAT', 'IEND'])
  })

  it('drops the text, eXIf and tIME chunks and keeps the others byte for byte', () => {
    const before = pngChunks(TEXT_PNG)
    expect(before.map((chunk) => chunk.type)).toEqual(
      expect.arrayContaining(['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME']),
    )
    const metadata = new Set(['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME'])
    const kept = before.filter((chunk) => !metadata.has(chunk.type))
    expect(kept.map((chunk) => chunk.type)).toEqual(['IHDR', 'IDAT', 'IEND'])
    expect(stripped.subarray(0, 8)).toEqual(TEXT_PNG.subarray(0, 8))
    expect(pngChunks(stripped)).toEqual(kept) // and nothing after IEND
  })

  it('refuses a truncated PNG', () => {
    expect(() => stripMetadata(TEXT_PNG.subarray(0, 200), 'image/png')).toThrow(DamagedImageError)
    const noEnd = TEXT_PNG.subarray(0, TEXT_PNG.length - 12) // IEND cut off
    expect(() => stripMetadata(noEnd, 'image/png')).toThrow(DamagedImageError)
  })
})

describe('WebP', () => {
  const stripped = strip(WEBP, 'image/webp')
  const before = webpChunks(WEBP)
  const after = webpChunks(stripped)

  it('drops the EXIF and XMP chunks and keeps the image chunks byte for byte', () => {
    expect(before.map((chunk) => chunk.fourCC)).toEqual(['VP8X', 'ALPH', 'VP8 ', 'EXIF', 'XMP '])
    expect(after.map((chunk) => chunk.fourCC)).toEqual(['VP8X', 'ALPH', 'VP8 '])
    expect(after.slice(1)).toEqual(before.slice(1, 3))
  })

  it('clears the EXIF and XMP flags in VP8X, nothing else, and rewrites the RIFF size', () => {
    const flags = (chunk: Buffer) => chunk[8]!
    expect(flags(before[0]!.bytes) & 0x0c).toBe(0x0c)
    expect(flags(after[0]!.bytes)).toBe(flags(before[0]!.bytes) & ~0x0c)
    expect(after[0]!.bytes.subarray(9)).toEqual(before[0]!.bytes.subarray(9)) // canvas size
    expect(stripped.toString('latin1', 0, 4)).toBe('RIFF')
    expect(stripped.readUInt32LE(4)).toBe(stripped.length - 8)
    expect(stripped.toString('latin1', 8, 12)).toBe('WEBP')
  })

  it('refuses a WebP shorter than its RIFF size says', () => {
    expect(() => stripMetadata(WEBP.subarray(0, 100), 'image/webp')).toThrow(DamagedImageError)
  })
})

it('leaves a GIF as it is: GIF has no EXIF', () => {
  expect(stripMetadata(GIF, 'image/gif')).toEqual(GIF)
})

it('leaves no planted secret and no GPS tag in any stripped image', () => {
  const outputs = [
    strip(PHOTO, 'image/jpeg', 6),
    strip(TEXT_PNG, 'image/png'),
    strip(WEBP, 'image/webp'),
  ]
  for (const [input, output] of [PHOTO, TEXT_PNG, WEBP].map((input, i) => [input, outputs[i]!])) {
    expect(input!.includes('ATOAUTH-SECRET')).toBe(true)
    expect(output!.includes('ATOAUTH-SECRET')).toBe(false)
    expect(output!.includes('GPS')).toBe(false) // XMP's exif:GPSLatitude
    expect(output!.includes(Buffer.of(0x88, 0x25))).toBe(false) // EXIF's GPS IFD pointer tag
  }
})
