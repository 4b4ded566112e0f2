// JPEG metadata removal by walking the segments from SOI: what decoding needs stays byte for
// byte, the entropy-coded scans are copied untouched (no re-encoding), what describes the
// photo's making goes. (exif-be-gone scans raw bytes for markers; piexifjs is JPEG-only and
// unmaintained: hence this walk.)
import { DamagedImageError } from './damaged-image.js'

const TEM = 0x01
const SOI = 0xd8
const EOI = 0xd9
const SOS = 0xda
const APP0 = 0xe0
const APP1 = 0xe1
const APP2 = 0xe2
const APP14 = 0xee
const APP15 = 0xef
const COM = 0xfe

const isRestart = (marker: number) => marker >= 0xd0 && marker <= 0xd7

/**
 * Kept: JFIF (APP0; a JFXX APP0 holds a thumbnail and goes), an ICC profile (APP2; MPF and FPXR
 * go), Adobe (APP14: decoding CMYK and YCCK needs it) and every segment that is not APPn or COM.
 * Dropped: EXIF and XMP (APP1), APP3–APP13 (APP13 is Photoshop/IPTC), APP15, comments.
 */
function keeps(marker: number, body: Uint8Array): boolean {
  if (marker === COM) return false
  if (marker < APP0 || marker > APP15) return true
  if (marker === APP0) return startsWith(body, 'JFIF\0')
  if (marker === APP2) return startsWith(body, 'ICC_PROFILE\0')
  return marker === APP14
}

/**
 * `orientation` is the EXIF Orientation the original carried (image-size reads it): when it is
 * not 1 it comes back as the only EXIF tag, or phone photos would show sideways.
 */
export function stripJpeg(jpeg: Uint8Array, orientation: number | undefined): Uint8Array {
  const kept: Uint8Array[] = [jpeg.subarray(0, 2)] // SOI: the caller matched FF D8
  let exifAt = 1 // the EXIF APP1 goes right after SOI, or after a JFIF APP0 that follows it
  let at = 2
  const ended = () => new DamagedImageError('it ends before its end-of-image marker')
  for (;;) {
    if (at >= jpeg.length) throw ended()
    // Some cameras and editors leave stray bytes between segments (libjpeg only warns): skipped.
    if (jpeg[at] !== 0xff) {
      const next = jpeg.indexOf(0xff, at)
      if (next === -1) throw ended()
      at = next
    }
    let markerAt = at + 1
    while (jpeg[markerAt] === 0xff) markerAt++ // fill bytes may precede a marker
    const marker = jpeg[markerAt]
    if (marker === undefined) throw ended()
    if (marker === EOI) break // and whatever follows (Samsung/MPF trailers) is left behind
    if (marker === TEM || isRestart(marker)) {
      kept.push(jpeg.subarray(at, markerAt + 1)) // markers without a length
      at = markerAt + 1
      continue
    }
    if (marker === 0x00 || marker === SOI) throw new DamagedImageError(`a stray byte at ${at}`)
    const length = ((jpeg[markerAt + 1] ?? 0) << 8) | (jpeg[markerAt + 2] ?? 0)
    const end = markerAt + 1 + length
    if (length < 2 || end > jpeg.length) {
      throw new DamagedImageError('a segment runs past the end of the file')
    }
    const scanEnd = marker === SOS ? endOfScan(jpeg, end) : end
    if (keeps(marker, jpeg.subarray(markerAt + 3, end))) {
      if (marker === APP0 && kept.length === 1) exifAt = 2
      kept.push(jpeg.subarray(at, scanEnd))
    }
    at = scanEnd
  }
  kept.push(Uint8Array.of(0xff, EOI))
  if (orientation !== undefined && orientation >= 2 && orientation <= 8) {
    kept.splice(exifAt, 0, orientationOnlyExif(orientation))
  }
  return Buffer.concat(kept)
}

/** Where the entropy-coded data after an SOS header ends: at the first 0xFF that is not
 * stuffing (FF 00), a restart marker (RST0–7) or a fill byte, i.e. at the next real marker. */
function endOfScan(jpeg: Uint8Array, from: number): number {
  for (let at = jpeg.indexOf(0xff, from); at !== -1; at = jpeg.indexOf(0xff, at + 1)) {
    const next = jpeg[at + 1]
    if (next === undefined) break
    if (next !== 0x00 && next !== 0xff && !isRestart(next)) return at
  }
  throw new DamagedImageError('it ends inside its image data')
}

/**
 * The one EXIF tag kept, as a whole APP1 segment of 36 bytes: "Exif\0\0", a big-endian TIFF
 * header ("MM", 42, IFD0 at offset 8), IFD0 with one entry — Orientation (tag 0x0112), type
 * SHORT (3), count 1, the value in the first two of its four bytes — and no next IFD (0).
 */
function orientationOnlyExif(orientation: number): Uint8Array {
  // biome-ignore format: one row per field
  return Uint8Array.of(
    0xff, APP1, 0x00, 34,
    0x45, 0x78, 0x69, 0x66, 0x00, 0x00,
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08,
    0x00, 0x01,
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
  )
}

function startsWith(bytes: Uint8Array, ascii: string): boolean {
  return [...ascii].every((char, i) => bytes[i] === char.charCodeAt(0))
}
