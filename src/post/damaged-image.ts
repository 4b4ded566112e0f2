/** The file claims a format (its first bytes) but its structure is broken: a length runs past
 * the end, a marker is missing. The reason completes "the image is damaged: …". */
export class DamagedImageError extends Error {
  override readonly name = 'DamagedImageError'
}
