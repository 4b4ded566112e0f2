// Metadata that gives people away (GPS position, camera serial, times, names) removed from an
// image before upload, by walking its container: what showing the picture needs is kept by an
// allow-list and copied byte for byte, the pixels are never decoded or re-encoded. A broken
// structure is a DamagedImageError, never a half-stripped result.
import { stripGif } from './strip-gif.js'
import { stripJpeg } from './strip-jpeg.js'
import { stripPng } from './strip-png.js'
import { stripWebp } from './strip-webp.js'

export type ImageMimeType = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif'

/**
 * `orientation`: a JPEG's EXIF Orientation, the one tag kept (see strip-jpeg.ts). `maxBytes`:
 * the walk stops with an OutputTooLargeError as soon as what it keeps passes it, so memory stays
 * bounded whatever the file holds (see stripped-output.ts).
 */
export function stripMetadata(
  bytes: Uint8Array,
  mimeType: ImageMimeType,
  orientation?: number,
  maxBytes?: number,
): Uint8Array {
  switch (mimeType) {
    case 'image/jpeg':
      return stripJpeg(bytes, orientation, maxBytes)
    case 'image/png':
      return stripPng(bytes, maxBytes)
    case 'image/webp':
      return stripWebp(bytes, maxBytes)
    case 'image/gif':
      return stripGif(bytes, maxBytes)
  }
}
