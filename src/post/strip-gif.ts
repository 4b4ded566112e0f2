// GIF metadata removal by walking its blocks: what draws the picture (the screen descriptor,
// colour tables, graphic control, image descriptors and their LZW data) is copied byte for byte,
// the loop count of an animation stays, and comments, plain text and every other application
// extension (XMP, ICC, an editor's private data) go.
import { ascii } from './ascii-label.js'
import { DamagedImageError } from './damaged-image.js'
import { StrippedOutput } from './stripped-output.js'

const EXTENSION = 0x21
const IMAGE = 0x2c
const TRAILER = 0x3b
const GRAPHIC_CONTROL = 0xf9
const APPLICATION = 0xff
/** The application extensions that carry an animation's loop count (Netscape's, and the same
 * from an older ImageMagick); its loop sub-block is `1, count (2 bytes)`. */
const LOOPING = new Set(['NETSCAPE2.0', 'ANIMEXTS1.0'])
const LOOP_SUB_BLOCK_ID = 1

/** Header (6) and logical screen descriptor (7), the global colour table, then blocks up to the
 * trailer. A file that ends at a block's boundary without its trailer (browsers show those) gets
 * one; a file that ends inside a block is damaged. */
export function stripGif(gif: Uint8Array, maxBytes?: number): Uint8Array {
  const kept = new StrippedOutput(gif.length, maxBytes)
  const byteAt = (at: number) => {
    const byte = gif[at]
    if (byte === undefined) throw new DamagedImageError('it ends inside a block')
    return byte
  }
  let at = 13 + colourTableSize(byteAt(10))
  if (at > gif.length) throw new DamagedImageError('it ends inside its colour table')
  kept.push(gif.subarray(0, at))
  for (;;) {
    if (at === gif.length) break
    const introducer = byteAt(at)
    if (introducer === TRAILER) break
    if (introducer === IMAGE) {
      // Descriptor (10 bytes, its flags last), local colour table, LZW minimum code size (1).
      const dataAt = at + 10 + colourTableSize(byteAt(at + 9)) + 1
      const end = subBlocksEnd(gif, dataAt)
      kept.push(gif.subarray(at, end))
      at = end
    } else if (introducer === EXTENSION) {
      const label = byteAt(at + 1)
      const end = subBlocksEnd(gif, at + 2)
      if (label === GRAPHIC_CONTROL) keepGraphicControl(gif, at, kept)
      else if (label === APPLICATION && isLooping(gif, at + 2)) keepLoopCount(gif, at, end, kept)
      at = end
    } else {
      throw new DamagedImageError(`an unknown block (0x${introducer.toString(16)}) at byte ${at}`)
    }
  }
  kept.push(Uint8Array.of(TRAILER))
  return kept.result()
}

/** A colour table's size from the flags byte that announces it: 3 × 2^(n+1) bytes if present. */
function colourTableSize(flags: number): number {
  return flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0
}

/** Where a run of data sub-blocks (a length byte, that many bytes; 0 ends the run) ends. */
function subBlocksEnd(gif: Uint8Array, from: number): number {
  for (let at = from; ; ) {
    const length = gif[at]
    if (length === undefined || at + 1 + length > gif.length) {
      throw new DamagedImageError('it ends inside a block')
    }
    at += 1 + length
    if (length === 0) return at
  }
}

/** A graphic control extension is one 4-byte sub-block (disposal, delay, transparency): only that
 * and a terminator are kept, not sub-blocks someone added after it. One of another size says
 * nothing a decoder reads, and goes. */
function keepGraphicControl(gif: Uint8Array, at: number, kept: StrippedOutput): void {
  if (gif[at + 2] !== 4) return
  kept.push(gif.subarray(at, at + 7))
  kept.push(Uint8Array.of(0))
}

/** An application extension's first sub-block is its 11-byte identifier and code. */
function isLooping(gif: Uint8Array, subBlocksAt: number): boolean {
  return gif[subBlocksAt] === 11 && LOOPING.has(ascii(gif, subBlocksAt + 1, subBlocksAt + 12))
}

/** The extension's introducer, label and identifier, its loop-count sub-block and a terminator:
 * any other sub-block (buffering hints, or data someone hid there) goes. */
function keepLoopCount(gif: Uint8Array, at: number, end: number, kept: StrippedOutput): void {
  for (let sub = at + 14; sub < end - 1; sub += 1 + (gif[sub] ?? 0)) {
    if (gif[sub] === 3 && gif[sub + 1] === LOOP_SUB_BLOCK_ID) {
      kept.push(gif.subarray(at, at + 14))
      kept.push(gif.subarray(sub, sub + 4))
      kept.push(Uint8Array.of(0))
      return
    }
  }
  // An extension that says nothing about looping goes whole.
}
