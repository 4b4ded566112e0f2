// JPEG metadata removal by walking the segments from SOI: what decoding needs stays byte for
// byte, the entropy-coded scans are copied untouched (no re-encoding), what describes the
// photo's making goes. (exif-be-gone scans raw bytes for markers; piexifjs is JPEG-only and
// unmaintained: hence this walk.)
import { startsWithAscii } from './ascii-label.js'
import { DamagedImageError } from './damaged-image.js'
import { StrippedOutput } from './stripped-output.js'

const SOI = 0xd8
const EOI = 0xd9
const SOS = 0xda
const APP0 = 0xe0
const APP1 = 0xe1
const APP2 = 0xe2
const APP14 = 0xee
const APP15 = 0xef
const TEM = 0x01 // arithmetic coding's temporary private use: no length, nothing to decode

/** JFIF's header: "JFIF\0", version (2), units (1), densities (2 + 2), then the thumbnail's
 * width and height (1 + 1), which are written 0: the thumbnail after them goes. */
const JFIF_HEADER = 14
/** Adobe's: "Adobe", version (2), flags (2 + 2), colour transform (1). Decoding CMYK and YCCK
 * needs the transform; anything after it goes. */
const ADOBE_HEADER = 12

const isRestart = (marker: number) => marker >= 0xd0 && marker <= 0xd7

/**
 * The segments decoding needs, copied whole: SOF0–SOF15 (but C4, C8 and CC, which are DHT, JPG
 * and DAC), DHT, DAC, DQT, DNL, DRI, DHP and EXP (hierarchical mode). Every other marker with a
 * length goes: APPn but the three below, comments, JPGn (F0–FD), JPG (C8) and the reserved ones.
 */
function decodingNeeds(marker: number): boolean {
  if (marker >= 0xc0 && marker <= 0xcf) return marker !== 0xc8 // SOFn, DHT (C4), DAC (CC)
  return marker >= 0xdb && marker <= 0xdf // DQT, DNL, DRI, DHP, EXP (SOS is copied with its scan)
}

/**
 * What an APPn segment keeps, as a whole segment, or undefined when it goes: JFIF's header
 * without its thumbnail (APP0; a JFXX APP0 holds a thumbnail and goes), an ICC profile (APP2;
 * MPF and FPXR go) and Adobe's header (APP14). EXIF and XMP (APP1), APP3–APP13 (APP13 is
 * Photoshop/IPTC) and APP15 go.
 */
function keptApp(marker: number, segment: Uint8Array): Uint8Array | undefined {
  const body = segment.subarray(4)
  if (marker === APP0 && startsWithAscii(body, 'JFIF\0') && body.length >= JFIF_HEADER - 2) {
    return Buffer.concat([
      header(APP0, JFIF_HEADER),
      body.subarray(0, JFIF_HEADER - 2),
      Uint8Array.of(0, 0),
    ])
  }
  if (marker === APP2 && startsWithAscii(body, 'ICC_PROFILE\0')) return segment
  if (marker === APP14 && startsWithAscii(body, 'Adobe') && body.length >= ADOBE_HEADER) {
    return Buffer.concat([header(APP14, ADOBE_HEADER), body.subarray(0, ADOBE_HEADER)])
  }
  return undefined
}

/** A segment's marker and length (which counts itself, 2 bytes, and not the marker). */
function header(marker: number, bodyLength: number): Uint8Array {
  const length = bodyLength + 2
  return Uint8Array.of(0xff, marker, length >> 8, length & 0xff)
}

/**
 * `orientation` is the EXIF Orientation the original carried (image-size reads it): when it is
 * not 1 it comes back as the only EXIF tag, or phone photos would show sideways. `maxBytes`:
 * past it the walk stops (OutputTooLargeError).
 */
export function stripJpeg(
  jpeg: Uint8Array,
  orientation: number | undefined,
  maxBytes?: number,
): Uint8Array {
  const kept = new StrippedOutput(jpeg.length, maxBytes)
  kept.push(jpeg.subarray(0, 2)) // SOI: the caller matched FF D8
  // The EXIF APP1 goes right after SOI, or after a JFIF APP0 that follows it.
  let exif = orientation !== undefined && orientation >= 2 && orientation <= 8 ? orientation : 0
  const keep = (bytes: Uint8Array, isJfif = false) => {
    if (exif !== 0 && !isJfif) {
      kept.push(orientationOnlyExif(exif))
      exif = 0
    }
    kept.push(bytes)
  }
  const ended = () => new DamagedImageError('it ends before its end-of-image marker')
  for (let at = 2; ; ) {
    if (at >= jpeg.length) throw ended()
    // Some cameras and editors leave stray bytes between segments (libjpeg only warns): skipped.
    if (jpeg[at] !== 0xff) {
      const next = jpeg.indexOf(0xff, at)
      if (next === -1) throw ended()
      at = next
    }
    let markerAt = at + 1
    while (jpeg[markerAt] === 0xff) markerAt++ // fill bytes may precede a marker; they go
    const marker = jpeg[markerAt]
    if (marker === undefined) throw ended()
    if (marker === EOI) break // and whatever follows (Samsung/MPF trailers) is left behind
    if (isRestart(marker) || marker === TEM) {
      if (marker !== TEM) keep(jpeg.subarray(markerAt - 1, markerAt + 1)) // no length
      at = markerAt + 1
      continue
    }
    if (marker === 0x00 || marker === SOI) throw new DamagedImageError(`a stray byte at ${at}`)
    const length = ((jpeg[markerAt + 1] ?? 0) << 8) | (jpeg[markerAt + 2] ?? 0)
    const end = markerAt + 1 + length
    if (length < 2 || end > jpeg.length) {
      throw new DamagedImageError('a segment runs past the end of the file')
    }
    if (marker >= APP0 && marker <= APP15) {
      const app = keptApp(marker, jpeg.subarray(markerAt - 1, end))
      if (app !== undefined) keep(app, marker === APP0)
    } else if (decodingNeeds(marker)) {
      keep(jpeg.subarray(markerAt - 1, end))
    }
    at = end
    if (marker === SOS) {
      at = endOfScan(jpeg, end)
      keep(jpeg.subarray(markerAt - 1, at)) // its header and the scan after it
    }
  }
  keep(Uint8Array.of(0xff, EOI))
  return kept.result()
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
