// WebP metadata removal: the RIFF chunks are kept by an allow-list (what decoding and showing
// the picture need), VP8X's flags are made to announce only what is left, and the RIFF size is
// rewritten. A drop-list (EXIF and "XMP ") let `exif`, `XMP\0`, C2PA and any other chunk through.
import { ascii } from './ascii-label.js'
import { DamagedImageError } from './damaged-image.js'
import { StrippedOutput } from './stripped-output.js'

/** Image data (lossy, lossless, alpha), the extended header, animation, colour profile. */
const WEBP_KEPT = new Set(['VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANIM', 'ANMF', 'ICCP'])
/** Inside an animation frame, after its 16-byte header: the frame's image. The format lets
 * unknown chunks sit there too; they go. */
const FRAME_KEPT = new Set(['VP8 ', 'VP8L', 'ALPH'])
const ANMF_HEADER = 16

const VP8X_ICC_FLAG = 0x20
const VP8X_EXIF_FLAG = 0x08
const VP8X_XMP_FLAG = 0x04

type Chunk = { fourCC: string; start: number; dataStart: number; size: number; end: number }

/** RIFF: "RIFF", size (4, little-endian, what follows it), "WEBP", then chunks: fourCC, size,
 * data and a pad byte when the size is odd. Bytes past the RIFF size are left behind. */
export function stripWebp(webp: Uint8Array, maxBytes?: number): Uint8Array {
  const view = new DataView(webp.buffer, webp.byteOffset, webp.length)
  if (webp.length < 12) throw new DamagedImageError('it ends inside its RIFF header')
  const riffEnd = 8 + view.getUint32(4, true)
  if (riffEnd > webp.length) throw new DamagedImageError('it is shorter than its RIFF header says')
  const kept = new StrippedOutput(riffEnd, maxBytes)
  kept.push(webp.subarray(0, 12)) // "RIFF", the size (rewritten at the end), "WEBP"
  let flagsAt: number | undefined
  let iccKept = false
  for (const chunk of chunksOf(webp, view, 12, riffEnd)) {
    if (!WEBP_KEPT.has(chunk.fourCC)) continue
    if (chunk.fourCC === 'VP8X') {
      if (chunk.size < 10) throw new DamagedImageError('its VP8X header is too short')
      flagsAt = kept.length + 8
    }
    if (chunk.fourCC === 'ICCP') iccKept = true
    if (chunk.fourCC === 'ANMF') keepFrame(webp, view, chunk, kept)
    else kept.push(webp.subarray(chunk.start, chunk.end))
  }
  if (flagsAt !== undefined) {
    const stored = kept.result()[flagsAt] ?? 0
    const gone = VP8X_EXIF_FLAG | VP8X_XMP_FLAG | (iccKept ? 0 : VP8X_ICC_FLAG)
    kept.patch(flagsAt, Uint8Array.of(stored & ~gone))
  }
  kept.patch(4, uint32le(kept.length - 8))
  return kept.result()
}

/** An ANMF chunk: its header and frame position copied, its image chunks kept, its size rewritten. */
function keepFrame(webp: Uint8Array, view: DataView, frame: Chunk, kept: StrippedOutput): void {
  if (frame.size < ANMF_HEADER) throw new DamagedImageError('an animation frame is too short')
  const sizeAt = kept.length + 4
  kept.push(webp.subarray(frame.start, frame.dataStart + ANMF_HEADER))
  const framed = frame.dataStart + frame.size
  for (const chunk of chunksOf(webp, view, frame.dataStart + ANMF_HEADER, framed)) {
    if (FRAME_KEPT.has(chunk.fourCC)) kept.push(webp.subarray(chunk.start, chunk.end))
  }
  kept.patch(sizeAt, uint32le(kept.length - sizeAt - 4))
}

/** The chunks between `from` and `to`, each checked to end within them. */
function* chunksOf(webp: Uint8Array, view: DataView, from: number, to: number): Generator<Chunk> {
  for (let at = from; at < to; ) {
    if (at + 8 > to) throw new DamagedImageError('a chunk header runs past the RIFF data')
    const size = view.getUint32(at + 4, true)
    const end = at + 8 + size + (size % 2)
    if (end > to) throw new DamagedImageError('a chunk runs past the end of the RIFF data')
    yield { fourCC: ascii(webp, at, at + 4), start: at, dataStart: at + 8, size, end }
    at = end
  }
}

function uint32le(value: number): Uint8Array {
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setUint32(0, value, true)
  return bytes
}
