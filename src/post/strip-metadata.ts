// Metadata that gives people away (GPS position, camera serial, times, names) removed from an
// image before upload, by walking its container: chunks and segments are copied whole or left
// out, the pixels are never decoded or re-encoded. A broken structure is a DamagedImageError,
// never a half-stripped result.
import { DamagedImageError } from './damaged-image.js'
import { stripJpeg } from './strip-jpeg.js'

export type ImageMimeType = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif'

/** `orientation`: a JPEG's EXIF Orientation, the one tag kept (see strip-jpeg.ts). */
export function stripMetadata(
  bytes: Uint8Array,
  mimeType: ImageMimeType,
  orientation?: number,
): Uint8Array {
  switch (mimeType) {
    case 'image/jpeg':
      return stripJpeg(bytes, orientation)
    case 'image/png':
      return stripPng(bytes)
    case 'image/webp':
      return stripWebp(bytes)
    case 'image/gif':
      // GIF has no EXIF, and no camera or phone writes GIFs: no GPS, serial or capture time.
      // (Editors may add a comment or an XMP application extension; those stay.)
      return bytes
  }
}

/**
 * The PNG chunks kept: what decoding and showing the picture need (the critical ones, colour,
 * transparency, pixel size, animation). Anything else goes, so metadata under a name this list
 * does not know (text, eXIf, tIME, C2PA caBX, private chunks) is never uploaded.
 */
const PNG_KEPT = new Set(
  'IHDR PLTE IDAT IEND tRNS gAMA cHRM sRGB iCCP cICP mDCv cLLi sBIT bKGD pHYs acTL fcTL fdAT'.split(
    ' ',
  ),
)

/** Chunks after the 8-byte signature: length (4, big-endian), type (4), data, CRC (4). Kept
 * chunks are copied whole, CRC included; nothing after IEND is kept. */
function stripPng(png: Uint8Array): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.length)
  const kept: Uint8Array[] = [png.subarray(0, 8)]
  for (let at = 8; ; ) {
    if (at + 12 > png.length) throw new DamagedImageError('it ends before its IEND chunk')
    const end = at + 12 + view.getUint32(at)
    if (end > png.length) throw new DamagedImageError('a chunk runs past the end of the file')
    const type = ascii(png, at + 4, at + 8)
    if (PNG_KEPT.has(type)) kept.push(png.subarray(at, end))
    if (type === 'IEND') return Buffer.concat(kept)
    at = end
  }
}

const VP8X_EXIF_FLAG = 0x08
const VP8X_XMP_FLAG = 0x04

/** RIFF: "RIFF", size (4, little-endian, what follows it), "WEBP", then chunks: fourCC, size,
 * data and a pad byte when the size is odd. EXIF and "XMP " go, VP8X stops announcing them,
 * the RIFF size is rewritten; bytes past the RIFF size are left behind. */
function stripWebp(webp: Uint8Array): Uint8Array {
  const view = new DataView(webp.buffer, webp.byteOffset, webp.length)
  const riffEnd = 8 + view.getUint32(4, true)
  if (riffEnd > webp.length) throw new DamagedImageError('it is shorter than its RIFF header says')
  const kept: Uint8Array[] = []
  for (let at = 12; at < riffEnd; ) {
    if (at + 8 > riffEnd) throw new DamagedImageError('a chunk header runs past the RIFF data')
    const size = view.getUint32(at + 4, true)
    const end = at + 8 + size + (size % 2)
    if (end > riffEnd) throw new DamagedImageError('a chunk runs past the end of the RIFF data')
    const fourCC = ascii(webp, at, at + 4)
    if (fourCC === 'VP8X') {
      if (size < 10) throw new DamagedImageError('its VP8X header is too short')
      const header = new Uint8Array(webp.subarray(at, end)) // a copy: a Buffer's slice() is not
      header[8] = (header[8] ?? 0) & ~(VP8X_EXIF_FLAG | VP8X_XMP_FLAG)
      kept.push(header)
    } else if (fourCC !== 'EXIF' && fourCC !== 'XMP ') {
      kept.push(webp.subarray(at, end))
    }
    at = end
  }
  const header = Buffer.from('RIFF\0\0\0\0WEBP', 'latin1')
  header.writeUInt32LE(4 + kept.reduce((sum, chunk) => sum + chunk.length, 0), 4)
  return Buffer.concat([header, ...kept])
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end))
}
