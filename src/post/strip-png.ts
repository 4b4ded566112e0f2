// PNG metadata removal: the chunks after the 8-byte signature are kept by an allow-list.
import { ascii } from './ascii-label.js'
import { DamagedImageError } from './damaged-image.js'
import { StrippedOutput } from './stripped-output.js'

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

/** Chunks: length (4, big-endian), type (4), data, CRC (4). Kept chunks are copied whole, CRC
 * included; nothing after IEND is kept. */
export function stripPng(png: Uint8Array, maxBytes?: number): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.length)
  const kept = new StrippedOutput(png.length, maxBytes)
  kept.push(png.subarray(0, 8))
  for (let at = 8; ; ) {
    if (at + 12 > png.length) throw new DamagedImageError('it ends before its IEND chunk')
    const end = at + 12 + view.getUint32(at)
    if (end > png.length) throw new DamagedImageError('a chunk runs past the end of the file')
    const type = ascii(png, at + 4, at + 8)
    if (PNG_KEPT.has(type)) kept.push(png.subarray(at, end))
    if (type === 'IEND') return kept.result()
    at = end
  }
}
