// What a post embeds: images (each with its description and aspect ratio), a
// quoted post, or both (recordWithMedia), as app.bsky.embed.* define them.
import type { BlobRef, StrongRef } from './repo.js'

export type EmbeddedImage = {
  alt: string
  image: BlobRef
  aspectRatio: { width: number; height: number }
}

export function postEmbed(images: EmbeddedImage[], quote: StrongRef | undefined) {
  const media = images.length > 0 ? { $type: 'app.bsky.embed.images', images } : undefined
  const record = quote && { $type: 'app.bsky.embed.record', record: quote }
  if (media && record) return { $type: 'app.bsky.embed.recordWithMedia', record, media }
  return media ?? record
}
