// An image file made ready for upload, with no network: its type read from its bytes, its size
// as displayed, its metadata removed, its size checked against the lexicon's. Every failure is a
// usage error (exit 2) naming the file, so post refuses before any request.
import { readFile, stat } from 'node:fs/promises'
// image-size's readers one by one: its index loads all twenty formats, and this runs on every
// image post.
import { GIF } from 'image-size/types/gif'
import type { IImage } from 'image-size/types/interface'
import { JPG } from 'image-size/types/jpg'
import { PNG } from 'image-size/types/png'
import { WEBP } from 'image-size/types/webp'
import { AtoauthError, ExitCode } from '../errors.js'
import { DamagedImageError } from './damaged-image.js'
import { type ImageMimeType, stripMetadata } from './strip-metadata.js'
import { OutputTooLargeError } from './stripped-output.js'

export const MAX_IMAGE_BYTES = 1_000_000 // app.bsky.embed.images' blob maxSize
/** A file larger than this is refused unread: removing metadata never saves 63 MiB. */
const MAX_READ_BYTES = 64 * 1024 * 1024

export type { ImageMimeType }

export type PreparedImage = {
  file: string // as given
  alt: string | undefined // as given (undefined = no --alt)
  mimeType: ImageMimeType
  bytes: Uint8Array // what will be uploaded: metadata removed, pixels untouched
  aspectRatio: { width: number; height: number } // as displayed (JPEG EXIF orientation 5-8 swaps)
}

type Format = { mimeType: ImageMimeType; name: string; reader: IImage }

const FORMATS: Format[] = [
  { mimeType: 'image/jpeg', name: 'JPEG', reader: JPG },
  { mimeType: 'image/png', name: 'PNG', reader: PNG },
  { mimeType: 'image/webp', name: 'WebP', reader: WEBP },
  { mimeType: 'image/gif', name: 'GIF', reader: GIF },
]

export async function prepareImage(file: string, alt: string | undefined): Promise<PreparedImage> {
  const original = await readImage(file)
  const format = formatOf(file, original)
  let size: ReturnType<IImage['calculate']>
  let bytes: Uint8Array
  try {
    size = format.reader.calculate(original)
    if (!(size.width >= 1 && size.height >= 1)) throw new DamagedImageError('it has no size')
    // Past the limit the walk stops: a file cut into millions of tiny parts costs no more memory.
    bytes = stripMetadata(original, format.mimeType, size.orientation, MAX_IMAGE_BYTES)
  } catch (error) {
    if (error instanceof OutputTooLargeError) {
      throw tooLarge(file, original.length, ', over the limit even without its metadata')
    }
    // image-size throws TypeError or, reading past the end, RangeError; the strippers DamagedImageError.
    throw damagedImage(file, format, error instanceof Error ? error.message : String(error))
  }
  // EXIF orientations 5–8 turn the picture a quarter: it is shown with width and height swapped.
  const turned = format.mimeType === 'image/jpeg' && (size.orientation ?? 1) >= 5
  const [width, height] = turned ? [size.height, size.width] : [size.width, size.height]
  return { file, alt, mimeType: format.mimeType, bytes, aspectRatio: { width, height } }
}

async function readImage(file: string): Promise<Uint8Array> {
  try {
    // stat first: a directory or a FIFO is not opened, a huge file not read.
    const stats = await stat(file)
    if (stats.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' })
    if (!stats.isFile()) throw Object.assign(new Error(), { code: 'not_a_file' })
    if (stats.size > MAX_READ_BYTES) throw tooLarge(file, stats.size, '')
    return await readFile(file)
  } catch (error) {
    throw error instanceof AtoauthError ? error : unreadableImageError(file, error)
  }
}

/** The format the bytes claim; a PNG signature without IHDR makes image-size throw: damaged. */
function formatOf(file: string, bytes: Uint8Array): Format {
  for (const format of FORMATS) {
    let claimed: boolean
    try {
      claimed = format.reader.validate(bytes)
    } catch (error) {
      throw damagedImage(file, format, error instanceof Error ? error.message : String(error))
    }
    if (claimed) return format
  }
  const what = bytes.length === 0 ? 'is empty' : 'is not a PNG, JPEG, WebP or GIF image'
  throw imageError('image_unsupported', `${file} ${what}.`, {
    hint: 'Attach a PNG, JPEG, WebP or GIF image: its type is read from its contents, not its name.',
    details: { file, accepted: FORMATS.map((format) => format.mimeType) },
  })
}

const UNREADABLE_BECAUSE: Record<string, string> = {
  ENOENT: 'there is no such file',
  ENOTDIR: 'a part of its path is not a directory',
  EISDIR: 'it is a directory',
  not_a_file: 'it is not a regular file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'its symbolic links go round in a loop',
  ENAMETOOLONG: 'its name is too long',
}

/** Why a file could not be read, from its errno code. Exported for tests: as root, no file
 * refuses to be read. */
export function unreadableImageError(file: string, error: unknown): AtoauthError {
  const code = String((error as { code?: unknown } | undefined)?.code ?? 'unknown')
  const denied = code === 'EACCES' || code === 'EPERM'
  const because = UNREADABLE_BECAUSE[code] ?? `the system said ${code}`
  return imageError('image_unreadable', `Cannot read the image ${file}: ${because}.`, {
    hint: denied
      ? 'Give yourself read access to it (e.g. chmod u+r), or attach another file.'
      : 'Check the path given to --image.',
    details: { file, reason: code },
  })
}

function damagedImage(file: string, format: Format, reason: string): AtoauthError {
  const why = reason.replace(/\.$/, '')
  return imageError('image_unsupported', `${file} is a damaged ${format.name} image: ${why}.`, {
    hint: 'Open it in an image editor and save it again, or attach another file.',
    details: { file, mimeType: format.mimeType, reason: why },
  })
}

function tooLarge(file: string, size: number, when: string): AtoauthError {
  const bytes = (count: number) => `${count.toLocaleString('en-US')} bytes`
  const message = `${file} is ${bytes(size)}${when}; the limit is ${bytes(MAX_IMAGE_BYTES)}.`
  return imageError('image_too_large', message, {
    hint: 'Make it smaller: save it with a lower JPEG quality, or with fewer pixels.',
    details: { file, size, limit: MAX_IMAGE_BYTES },
  })
}

function imageError(
  code: string,
  message: string,
  options: { hint: string; details: Record<string, unknown> },
): AtoauthError {
  return new AtoauthError(code, message, { ...options, exitCode: ExitCode.usage })
}
