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
const GIF_WITH_METADATA = fixture('comment-xmp.gif') // small.gif after exiftool

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

/** A JPEG segment: marker, length (counting itself), body. */
const segment = (marker: number, body: Buffer) =>
  Buffer.concat([Buffer.of(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff), body])
const secret = (where: string) => Buffer.from(`ATOAUTH-SECRET-${where}`)

describe('JPEG corners where metadata hid', () => {
  const { segments, sos } = jpegSegments(PHOTO)
  const eoi = PHOTO.indexOf('ATOAUTH-SECRET-TRAILER')
  const [jfif, ...rest] = segments.map((s) => s.bytes)
  const jfifBody = jfif!.subarray(4, 16) // "JFIF\0", version, units, densities
  // A JFIF APP0 with a 1x1 thumbnail (3 bytes of RGB) and text after it.
  const thumbnailed = segment(0xe0, Buffer.concat([jfifBody, Buffer.of(1, 1), secret('THUMB')]))
  const adobe = Buffer.from('Adobe\x00\x64\x00\x00\x00\x00\x01', 'latin1') // 12 bytes, YCbCr
  const planted = [
    segment(0xe0, Buffer.concat([Buffer.from('JFXX\0\x10'), secret('JFXX')])),
    segment(0xe2, Buffer.concat([Buffer.from('MPF\0'), secret('MPF')])),
    segment(0xe2, Buffer.concat([Buffer.from('FPXR\0'), secret('FPXR')])),
    segment(0xee, Buffer.concat([adobe, secret('ADOBE-TAIL')])),
    segment(0xee, Buffer.concat([Buffer.from('Ducky'), secret('DUCKY')])),
    segment(0xef, secret('APP15')),
    segment(0xc8, secret('JPG')), // JPG: reserved for JPEG extensions
    ...[0xf0, 0xf7, 0xfd].map((jpgN) => segment(jpgN, secret(`JPG${jpgN.toString(16)}`))),
    ...[0x02, 0x4f, 0xbf].map((reserved) => segment(reserved, secret(`RES${reserved}`))),
    Buffer.of(0xff, 0x01), // TEM: no length
  ]
  const crafted = Buffer.concat([
    PHOTO.subarray(0, 2),
    thumbnailed,
    ...planted,
    ...rest.slice(0, -1),
    PHOTO.subarray(sos, eoi),
  ])
  const stripped = strip(crafted, 'image/jpeg')

  it('every planted string goes', () => {
    for (const bytes of planted.slice(0, -1)) expect(crafted.includes(bytes)).toBe(true)
    expect(stripped.includes('ATOAUTH-SECRET')).toBe(false)
    expect(stripped.includes('MPF')).toBe(false)
    expect(stripped.includes('Ducky')).toBe(false)
  })

  it('cuts JFIF to its 14-byte header with no thumbnail, and Adobe to its 12 bytes', () => {
    const after = jpegSegments(stripped).segments
    expect(after[0]!.bytes).toEqual(segment(0xe0, Buffer.concat([jfifBody, Buffer.of(0, 0)])))
    expect(after[0]!.bytes.readUInt16BE(2)).toBe(16)
    expect(after.filter((s) => s.marker === app(14)).map((s) => s.bytes)).toEqual([
      segment(0xee, adobe),
    ])
  })

  it('keeps the ICC profile, the tables and the scans byte for byte', () => {
    const after = jpegSegments(stripped)
    const decoding = rest.filter((bytes) => ![0xe1, 0xed, 0xfe].includes(bytes[1]!))
    expect(after.segments.slice(2).map((s) => s.bytes)).toEqual(decoding) // ICC … SOS
    expect(stripped.subarray(after.sos, -2)).toEqual(PHOTO.subarray(sos, eoi - 2))
  })

  it('keeps a restart marker between segments, DRI, DNL and the hierarchical DHP and EXP', () => {
    const kept = [
      segment(0xdd, Buffer.of(0, 4)), // DRI
      segment(0xde, Buffer.of(8, 0, 1, 0, 1, 1, 1, 0x11, 0)), // DHP
      segment(0xdf, Buffer.of(0x11)), // EXP
      Buffer.of(0xff, 0xd0),
      segment(0xdc, Buffer.of(0, 32)), // DNL
    ]
    const jpeg = Buffer.concat([PHOTO.subarray(0, 2), ...kept, Buffer.of(0xff, 0xd9)])
    expect(strip(jpeg, 'image/jpeg')).toEqual(jpeg)
  })

  it('drops a JFIF APP0 too short to hold its header', () => {
    const short = segment(0xe0, Buffer.from('JFIF\0\x01\x02'))
    const jpeg = Buffer.concat([PHOTO.subarray(0, 2), short, Buffer.of(0xff, 0xd9)])
    expect(strip(jpeg, 'image/jpeg')).toEqual(Buffer.of(0xff, 0xd8, 0xff, 0xd9))
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

/** A RIFF chunk: fourCC, size (little-endian), data, a pad byte when the size is odd. */
function riffChunk(fourCC: string, data: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeUInt32LE(data.length)
  const pad = data.length % 2 ? Buffer.of(0) : Buffer.alloc(0)
  return Buffer.concat([Buffer.from(fourCC, 'latin1'), size, data, pad])
}
function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WEBP'), ...chunks])
  const size = Buffer.alloc(4)
  size.writeUInt32LE(body.length)
  return Buffer.concat([Buffer.from('RIFF'), size, body])
}
/** VP8X: flags, 3 reserved bytes, canvas width - 1 and height - 1 (3 bytes each). */
const vp8x = (flags: number) => riffChunk('VP8X', Buffer.of(flags, 0, 0, 0, 29, 0, 0, 19, 0, 0))
const ICC = 0x20
const ALPHA = 0x10
const EXIF = 0x08
const XMP = 0x04
const ANIMATION = 0x02

describe('WebP chunks no drop-list knew', () => {
  const image = webpChunks(WEBP).slice(1, 3) // the fixture's ALPH and VP8
  const [alph, vp8] = image.map((chunk) => chunk.bytes) as [Buffer, Buffer]
  const iccp = riffChunk('ICCP', Buffer.from('a colour profile'))
  const planted = [
    riffChunk('exif', Buffer.concat([Buffer.from('Exif\0\0'), secret('LOWER-EXIF')])),
    riffChunk('XMP\0', secret('XMP-NUL')),
    riffChunk('C2PA', secret('C2PA')),
    riffChunk('EXIF', secret('EXIF')),
    riffChunk('XMP ', secret('XMP')),
    riffChunk('IPTC', secret('IPTC-ODD')), // an odd size: a pad byte follows
  ]

  it('keeps only the image chunks, byte for byte, and makes VP8X announce only what is left', () => {
    const crafted = riff(
      vp8x(ICC | ALPHA | EXIF | XMP),
      iccp,
      ...planted.slice(0, 3),
      alph,
      vp8,
      ...planted.slice(3),
    )
    const stripped = strip(crafted, 'image/webp')
    expect(stripped.includes('ATOAUTH-SECRET')).toBe(false)
    const after = webpChunks(stripped)
    expect(after.map((chunk) => chunk.fourCC)).toEqual(['VP8X', 'ICCP', 'ALPH', 'VP8 '])
    expect(after.slice(1).map((chunk) => chunk.bytes)).toEqual([iccp, alph, vp8])
    expect(after[0]!.bytes).toEqual(vp8x(ICC | ALPHA))
    expect(stripped.readUInt32LE(4)).toBe(stripped.length - 8)
  })

  it('clears the ICC flag when there is no ICCP chunk to go with it', () => {
    const stripped = strip(riff(vp8x(ICC | ALPHA | XMP), alph, vp8), 'image/webp')
    expect(webpChunks(stripped)[0]!.bytes).toEqual(vp8x(ALPHA))
  })

  it('keeps an animation: ANIM, and in each ANMF its header and image, its size rewritten', () => {
    const anim = riffChunk('ANIM', Buffer.of(0, 0, 0, 0, 0, 0)) // background, loop count
    const frameHeader = Buffer.of(0, 0, 0, 0, 0, 0, 29, 0, 0, 19, 0, 0, 100, 0, 0, 0)
    const frame = (...inner: Buffer[]) => riffChunk('ANMF', Buffer.concat([frameHeader, ...inner]))
    const crafted = riff(
      vp8x(ANIMATION | ALPHA | EXIF),
      anim,
      frame(alph, riffChunk('XMP ', secret('IN-FRAME')), vp8, riffChunk('UNKN', secret('UNKN'))),
      frame(vp8),
      planted[0]!,
    )
    const stripped = strip(crafted, 'image/webp')
    expect(stripped.includes('ATOAUTH-SECRET')).toBe(false)
    expect(stripped).toEqual(riff(vp8x(ANIMATION | ALPHA), anim, frame(alph, vp8), frame(vp8)))
  })

  it('refuses a chunk cut short, in the file or in a frame', () => {
    const whole = riff(vp8x(ALPHA), alph, vp8)
    const cut = Buffer.from(whole.subarray(0, whole.length - 10))
    cut.writeUInt32LE(cut.length - 8, 4) // the RIFF size agrees: the VP8 chunk's does not
    expect(() => stripMetadata(cut, 'image/webp')).toThrow(
      new DamagedImageError('a chunk runs past the end of the RIFF data'),
    )
    const badFrame = riff(
      vp8x(ANIMATION),
      riffChunk('ANMF', Buffer.concat([Buffer.alloc(16), vp8.subarray(0, 20)])),
    )
    expect(() => stripMetadata(badFrame, 'image/webp')).toThrow(DamagedImageError)
    const shortFrame = riff(vp8x(ANIMATION), riffChunk('ANMF', Buffer.alloc(8)))
    expect(() => stripMetadata(shortFrame, 'image/webp')).toThrow(DamagedImageError)
  })
})

/** GIF data sub-blocks: each a length byte and that many bytes, then a 0. */
const subBlocks = (...blocks: Buffer[]) =>
  Buffer.concat([...blocks.map((b) => Buffer.concat([Buffer.of(b.length), b])), Buffer.of(0)])

describe('GIF', () => {
  it('drops the comment and the XMP that exiftool writes, and nothing else', () => {
    expect(GIF_WITH_METADATA.includes('ATOAUTH-SECRET-COMMENT')).toBe(true)
    expect(GIF_WITH_METADATA.includes('ATOAUTH-SECRET-XMP')).toBe(true)
    expect(strip(GIF_WITH_METADATA, 'image/gif')).toEqual(GIF) // the file before exiftool
    expect(strip(GIF, 'image/gif')).toEqual(GIF)
  })

  // An animated 2x2 GIF: a global colour table of 2 colours, a loop extension, and two frames
  // (the second with a local colour table), with every kind of block that may carry text.
  const screen = Buffer.concat([Buffer.from('GIF89a'), Buffer.of(2, 0, 2, 0, 0x80, 0, 0)])
  const globalTable = Buffer.of(0, 0, 0, 255, 255, 255)
  const netscape = Buffer.concat([
    Buffer.of(0x21, 0xff),
    subBlocks(Buffer.from('NETSCAPE2.0'), Buffer.of(1, 0, 0)),
  ])
  const control = Buffer.concat([Buffer.of(0x21, 0xf9), subBlocks(Buffer.of(4, 10, 0, 0))])
  const lzw = Buffer.of(2, 2, 0x84, 0x51, 0) // minimum code size, one data sub-block, end
  const image = Buffer.concat([Buffer.of(0x2c, 0, 0, 0, 0, 2, 0, 2, 0, 0), lzw])
  const localImage = Buffer.concat([
    Buffer.of(0x2c, 0, 0, 0, 0, 2, 0, 2, 0, 0x80), // a local colour table of 2 colours
    Buffer.of(255, 0, 0, 0, 0, 255),
    lzw,
  ])
  const planted = [
    Buffer.concat([Buffer.of(0x21, 0xfe), subBlocks(secret('COMMENT'), secret('COMMENT-2'))]),
    Buffer.concat([Buffer.of(0x21, 0x01), subBlocks(Buffer.alloc(12), secret('PLAIN-TEXT'))]),
    Buffer.concat([Buffer.of(0x21, 0xff), subBlocks(Buffer.from('XMP DataXMP'), secret('XMP'))]),
    Buffer.concat([Buffer.of(0x21, 0xff), subBlocks(Buffer.from('ICCRGBG1012'), secret('ICC'))]),
    Buffer.concat([Buffer.of(0x21, 0xff), subBlocks(Buffer.from('ATOAUTH1.0X'), secret('APP'))]),
    Buffer.concat([Buffer.of(0x21, 0x99), subBlocks(secret('UNKNOWN-LABEL'))]),
  ]
  const clean = Buffer.concat([
    screen,
    globalTable,
    netscape,
    control,
    image,
    control,
    localImage,
    Buffer.of(0x3b),
  ])

  it('keeps the loop, graphic control, descriptors, colour tables and LZW data byte for byte', () => {
    const crafted = Buffer.concat([
      screen,
      globalTable,
      planted[0]!,
      netscape,
      planted[2]!,
      control,
      image,
      planted[1]!,
      planted[3]!,
      control,
      localImage,
      planted[4]!,
      planted[5]!,
      Buffer.of(0x3b),
      secret('AFTER-TRAILER'),
    ])
    const stripped = strip(crafted, 'image/gif')
    expect(stripped.includes('ATOAUTH-SECRET')).toBe(false)
    expect(stripped).toEqual(clean)
  })

  it("keeps only a loop extension's loop count: other sub-blocks go", () => {
    const padded = Buffer.concat([
      Buffer.of(0x21, 0xff),
      subBlocks(
        Buffer.from('ANIMEXTS1.0'),
        secret('BEFORE'),
        Buffer.of(1, 3, 0),
        Buffer.of(2, 0, 0, 1, 0),
      ),
    ])
    const crafted = Buffer.concat([screen, globalTable, padded, image, Buffer.of(0x3b)])
    const loop = Buffer.concat([
      Buffer.of(0x21, 0xff),
      subBlocks(Buffer.from('ANIMEXTS1.0'), Buffer.of(1, 3, 0)),
    ])
    expect(strip(crafted, 'image/gif')).toEqual(
      Buffer.concat([screen, globalTable, loop, image, Buffer.of(0x3b)]),
    )
  })

  it("keeps only a graphic control extension's 4 bytes: sub-blocks added after them go", () => {
    const padded = Buffer.concat([
      Buffer.of(0x21, 0xf9),
      subBlocks(Buffer.of(4, 10, 0, 0), secret('IN-GRAPHIC-CONTROL')),
    ])
    const crafted = Buffer.concat([screen, globalTable, padded, image, Buffer.of(0x3b)])
    const stripped = strip(crafted, 'image/gif')
    expect(stripped.includes('ATOAUTH-SECRET')).toBe(false)
    expect(stripped).toEqual(Buffer.concat([screen, globalTable, control, image, Buffer.of(0x3b)]))
  })

  it('writes the trailer of a GIF that ends after a whole block, as browsers show those', () => {
    const noTrailer = clean.subarray(0, -1)
    expect(strip(noTrailer, 'image/gif')).toEqual(clean)
  })

  it('refuses a GIF that ends inside a block or holds an unknown block', () => {
    for (const cut of [12, 16, 20, 30, 40, clean.length - 3]) {
      expect(() => stripMetadata(clean.subarray(0, cut), 'image/gif')).toThrow(DamagedImageError)
    }
    const unknown = Buffer.concat([screen, globalTable, Buffer.of(0x42), image, Buffer.of(0x3b)])
    expect(() => stripMetadata(unknown, 'image/gif')).toThrow(
      new DamagedImageError('an unknown block (0x42) at byte 19'),
    )
  })
})

it('leaves no planted secret and no GPS tag in any stripped image', () => {
  const outputs = [
    strip(PHOTO, 'image/jpeg', 6),
    strip(TEXT_PNG, 'image/png'),
    strip(WEBP, 'image/webp'),
    strip(GIF_WITH_METADATA, 'image/gif'),
  ]
  const inputs = [PHOTO, TEXT_PNG, WEBP, GIF_WITH_METADATA]
  for (const [input, output] of inputs.map((input, i) => [input, outputs[i]!])) {
    expect(input!.includes('ATOAUTH-SECRET')).toBe(true)
    expect(output!.includes('ATOAUTH-SECRET')).toBe(false)
    expect(output!.includes('GPS')).toBe(false) // XMP's exif:GPSLatitude
    expect(output!.includes(Buffer.of(0x88, 0x25))).toBe(false) // EXIF's GPS IFD pointer tag
  }
})
