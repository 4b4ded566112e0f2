// atoauth post <text | ->: a Bluesky post as the app makes it: links, mentions
// and hashtags as rich text, up to 4 images with descriptions, a quote, a
// reply. Everything that can be checked here is checked before any request;
// images are uploaded before the post, so a failed upload posts nothing.
import { text as readText } from 'node:stream/consumers'
import { Command, InvalidArgumentError } from 'commander'
import type { Context } from '../context.js'
import { UsageError } from '../errors.js'
import type { CommandResult } from '../output.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

/** app.bsky.feed.post allows at most this many language tags, app.bsky.embed.images this many images. */
const MAX_LANGS = 3
const MAX_IMAGES = 4
/** The Bluesky app's limit on a description. */
const MAX_ALT_GRAPHEMES = 2000

export type ImageOption = { file: string; alt: string | undefined }

/** `text` is `-` to read it from stdin. */
export type PostOptions = {
  text: string
  reply?: string | undefined
  quote?: string | undefined
  langs: string[]
  images?: ImageOption[]
}

export function postCommand(run: Runner): Command {
  // --alt describes the --image before it: both fill one list, in the order given.
  const images: ImageOption[] = []
  const post = new Command('post')
    .description('publish a post (links, @mentions and #hashtags become rich text)')
    .argument('<text>', 'the text of the post, or - to read it from stdin')
    .option(
      '--image <file>',
      'attach a PNG, JPEG, WebP or GIF image; repeat for up to 4',
      (file) => {
        if (file === '-') throw new InvalidArgumentError('an image is read from a file, not stdin.')
        images.push({ file, alt: undefined })
        return images
      },
    )
    .option(
      '--alt <text>',
      'describe the --image before it, for people who cannot see it',
      (alt) => {
        const image = images.at(-1)
        if (!image) throw new InvalidArgumentError('--alt describes the --image before it.')
        if (image.alt !== undefined) throw new InvalidArgumentError(`${image.file} has two --alt.`)
        image.alt = alt
        return alt
      },
    )
    .option(
      '--quote <post>',
      'quote this post (at:// URI or https://bsky.app/profile/…/post/… link)',
    )
    .option('--reply <post>', 'reply to this post (at:// URI or bsky.app link)')
    .option(
      '--lang <code>',
      'language of the post (BCP 47, e.g. en or pt-BR); repeat or comma-separate, up to 3',
      (value: string, previous: string[] = []) => [...previous, ...value.split(',')],
    )
  return withExamples(post, [
    'atoauth post "Hello from my terminal #atproto"',
    'atoauth post "Low tide" --image beach.jpg --alt "Wet sand and a boat at low tide"',
    'atoauth post "This!" --quote https://bsky.app/profile/bob.bsky.social/post/3lbxbq5ttlc2d',
    'atoauth post - --json < release-notes.txt | jq -r .url',
  ]).action((text: string, flags, command: Command) =>
    run(command, (ctx) =>
      runPost(
        { text, reply: flags.reply, quote: flags.quote, langs: flags.lang ?? [], images },
        ctx,
      ),
    ),
  )
}

export async function runPost(options: PostOptions, ctx: Context): Promise<CommandResult> {
  // Each check loads its module only when there is something to check: a plain text post
  // pays for none of them.
  const [{ composePostText, resolveMentions }, langs, replyTo, quoteOf] = await Promise.all([
    import('../post/post-text.js'),
    checkedLanguages(options.langs),
    postRef(options.reply, '--reply'),
    postRef(options.quote, '--quote'),
  ])
  const draft = composePostText(options.text === '-' ? await readText(ctx.stdin) : options.text)
  const images = await prepareImages(options.images ?? [])
  if (draft.text === '' && images.length === 0 && !quoteOf) {
    throw new UsageError('The post is empty.', 'Pass the text to post, or - to read it from stdin.')
  }
  for (const { file, alt } of images) {
    if (alt === undefined) {
      ctx.out.warn(
        `${file} has no description: people who cannot see it will not know what it shows. ` +
          'Describe it with --alt "…" after its --image (--alt "" leaves it out on purpose).',
      )
    }
  }

  const resolved = await ctx.accounts.resolve()
  const [request, repo, { assertScopes }] = await Promise.all([
    ctx.xrpc(resolved),
    import('../post/repo.js'),
    import('../auth/scope-check.js'),
  ])
  // A session that may not post (or upload these images) is told so before any request.
  await assertScopes(resolved.account, [
    { repo: { collection: repo.POST_COLLECTION, action: 'create' } },
    ...images.map((image) => ({ blob: image.mimeType })),
  ])
  const [mentions, reply, quote] = await Promise.all([
    resolveMentions(draft, (handle) => repo.resolveHandle(request, handle)),
    replyTo &&
      repo.getPost(request, replyTo, { what: 'The post to reply to', code: 'reply_not_found' }),
    quoteOf &&
      repo.getPost(request, quoteOf, { what: 'The post to quote', code: 'quote_not_found' }),
  ])
  for (const handle of mentions.unresolved) {
    ctx.out.warn(
      `@${handle} is not an account (the handle does not resolve): posted as plain text.`,
    )
  }
  const embedded = await Promise.all(
    images.map(async ({ alt, aspectRatio, bytes, mimeType }) => {
      const image = await repo.uploadBlob(request, bytes, mimeType)
      return { alt: alt ?? '', image, aspectRatio }
    }),
  )
  const { postEmbed } = await import('../post/embed.js')
  const did = resolved.account.did
  const created = await repo.createPost(request, did, {
    $type: repo.POST_COLLECTION,
    text: draft.text,
    facets: mentions.facets.length > 0 ? mentions.facets : undefined,
    reply: reply && { root: reply.root ?? reply.ref, parent: reply.ref },
    embed: postEmbed(embedded, quote?.ref),
    langs: langs.length > 0 ? langs : undefined,
    createdAt: ctx.now().toISOString(),
  })
  // A bsky.app link only makes sense for a post the public network can see.
  const url = resolved.account.pds.startsWith('https://')
    ? `https://bsky.app/profile/${did}/post/${created.uri.split('/').pop()}`
    : undefined
  return {
    data: { ...created, ...(url && { url }) },
    text: url ? [created.uri, url] : [created.uri],
  }
}

/**
 * The PDS validates a record's `langs` with the strict reading of BCP 47 (@atproto/lex's
 * isLanguageString: syntax's parseLanguageString), which also wants a 2–3 letter lowercase
 * primary language; the lenient isValidLanguage passes "english", which the server then refuses.
 */
async function checkedLanguages(given: string[]): Promise<string[]> {
  const langs = given.map((l) => l.trim()).filter((l) => l !== '')
  if (langs.length === 0) return langs
  const { parseLanguageString } = await import('@atproto/syntax')
  const isLanguage = (tag: string) => parseLanguageString(tag) !== null
  const badLang = langs.find((tag) => !isLanguage(tag))
  if (badLang !== undefined) {
    const meant = meantLanguage(badLang)
    const examples = 'A language tag looks like en, pt-BR or zh-Hant.'
    throw new UsageError(
      `--lang "${badLang}" is not a language tag.`,
      meant !== undefined && isLanguage(meant)
        ? `Did you mean --lang ${meant}? ${examples}`
        : examples,
    )
  }
  if (langs.length > MAX_LANGS) {
    throw new UsageError(`A post can have at most ${MAX_LANGS} languages; got ${langs.length}.`)
  }
  return langs
}

/** en_US → en-US, PT-br → pt-BR (a locale's spelling, or a tag in the wrong case). */
function meantLanguage(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag.replaceAll('_', '-'))[0]
  } catch {
    return undefined // not even a locale
  }
}

async function postRef(input: string | undefined, flag: string) {
  if (input === undefined) return undefined
  const { parsePostRef } = await import('../post/post-ref.js')
  return parsePostRef(input, flag)
}

/** Every image read, checked and stripped of its metadata before any request. */
async function prepareImages(options: ImageOption[]) {
  if (options.length === 0) return []
  if (options.length > MAX_IMAGES) {
    throw new UsageError(`A post can have at most ${MAX_IMAGES} images; got ${options.length}.`)
  }
  const { graphemesOver } = await import('../post/post-text.js')
  for (const { file, alt } of options) {
    const length = alt === undefined ? undefined : graphemesOver(alt, MAX_ALT_GRAPHEMES)
    if (length !== undefined) {
      throw new UsageError(
        `The description of ${file} is ${length} characters long; the limit is ${MAX_ALT_GRAPHEMES}.`,
      )
    }
  }
  const { prepareImage } = await import('../post/image.js')
  return Promise.all(options.map(({ file, alt }) => prepareImage(file, alt)))
}
