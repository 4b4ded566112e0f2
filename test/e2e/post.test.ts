// `post` and `delete` against the real PDS, as the Bluesky app would post:
// images uploaded without the metadata that gives people away (read back
// with exiftool), quotes, replies by bsky.app link, mentions that do not
// resolve, the record's limits, and refusals that send nothing.
import { execFileSync } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { noisePng } from '../support/noise-png.ts'
import { ROOT, useE2E } from './harness.ts'

const IMAGES = join(ROOT, 'test/fixtures/images')
const e2e = useE2E({ loginAs: 'alice' })
const alice = () => e2e.sandbox.accounts.alice!

let work: string
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'atoauth-post-'))
})

type Blob = { ref: { $link: string }; mimeType: string; size: number }
type ImageEmbed = { alt: string; image: Blob; aspectRatio: { width: number; height: number } }
type Post = {
  text: string
  facets?: { features: { $type: string; did?: string }[] }[]
  reply?: { root: { uri: string }; parent: { uri: string } }
  embed?: {
    $type: string
    images?: ImageEmbed[]
    record?: { uri?: string; cid?: string; record?: { uri: string; cid: string } }
    media?: { images: ImageEmbed[] }
  }
}

async function getRecord(uri: string): Promise<{ status: number; cid?: string; value?: Post }> {
  const [, , repo, collection, rkey] = uri.split('/')
  const query = new URLSearchParams({ repo: repo!, collection: collection!, rkey: rkey! })
  const res = await fetch(`${e2e.sandbox.pdsUrl}/xrpc/com.atproto.repo.getRecord?${query}`)
  return { status: res.status, ...((await res.json()) as { cid?: string; value?: Post }) }
}

/** The blob as anyone fetches it back from the PDS. */
async function fetchBlob(blob: Blob): Promise<Buffer> {
  const query = new URLSearchParams({ did: alice().did, cid: blob.ref.$link })
  const res = await fetch(`${e2e.sandbox.pdsUrl}/xrpc/com.atproto.sync.getBlob?${query}`)
  expect(res.status).toBe(200)
  return Buffer.from(await res.arrayBuffer())
}

/** Every tag exiftool finds, as "Group:Name". */
function tags(file: string): string[] {
  const [found] = JSON.parse(
    execFileSync('exiftool', ['-j', '-a', '-G1', '-s', file], { encoding: 'utf8' }),
  )
  return Object.keys(found).filter((k) => !/^(System|File|ExifTool|Composite|SourceFile)\b/.test(k))
}

/** exiftool's own removal of all metadata: what is left is the image itself. */
function withoutAnyMetadata(file: string): Buffer {
  return execFileSync('exiftool', ['-q', '-q', '-all=', '-trailer:all=', '-o', '-', file])
}

async function saveBlob(blob: Blob, name: string): Promise<string> {
  const file = join(work, name)
  await writeFile(file, await fetchBlob(blob))
  return file
}

/** Tags that tell where, when, with what or by whom; the colour profile (ICC) describes a colour space. */
const PERSONAL = /^(?!ICC).*(GPS|Serial|DateTimeOriginal|Model|Comment|XMP|IPTC|Text|TimeStamp)/i

async function post(args: string[]) {
  const run = await e2e.run(['post', ...args, '--json'])
  expect(run.code, run.stderr).toBe(0)
  const created = JSON.parse(run.stdout) as { uri: string; cid: string; url?: string }
  return { ...run, created, record: (await getRecord(created.uri)).value! }
}

describe('post with images', () => {
  it('uploads a JPEG without its GPS position, serial or times; the image itself is unchanged', async () => {
    const original = join(IMAGES, 'phone-photo.jpg')
    expect(tags(original)).toEqual(
      expect.arrayContaining([
        'GPS:GPSLatitude',
        'ExifIFD:SerialNumber',
        'ExifIFD:DateTimeOriginal',
      ]),
    )
    const { record, stderr } = await post([
      'a photo',
      '--image',
      original,
      '--alt',
      'A red square on a white table',
    ])
    expect(stderr).not.toContain('no description')
    const [image] = record.embed!.images!
    expect(record.embed!.$type).toBe('app.bsky.embed.images')
    expect(image!.alt).toBe('A red square on a white table')
    // 48×32 stored, shown rotated 90°: 32 wide, 48 high.
    expect(image!.aspectRatio).toEqual({ width: 32, height: 48 })
    expect(image!.image.mimeType).toBe('image/jpeg')
    const uploaded = await saveBlob(image!.image, 'uploaded.jpg')
    expect(tags(uploaded).filter((t) => PERSONAL.test(t))).toEqual([])
    // Kept: the orientation (else the photo shows sideways) and the colour profile.
    expect(tags(uploaded)).toEqual(
      expect.arrayContaining(['IFD0:Orientation', 'ICC_Profile:ProfileDescription']),
    )
    expect(withoutAnyMetadata(uploaded).equals(withoutAnyMetadata(original))).toBe(true)
  })

  it('posts 4 images (PNG, WebP, GIF, JPEG) in order, each without personal metadata', async () => {
    const files = ['text-chunks.png', 'exif-xmp.webp', 'small.gif', 'phone-photo.jpg']
    const args = files.flatMap((f, i) => ['--image', join(IMAGES, f), '--alt', `image ${i + 1}`])
    const { record } = await post(['four', ...args])
    const images = record.embed!.images!
    expect(images.map((i) => [i.alt, i.image.mimeType])).toEqual([
      ['image 1', 'image/png'],
      ['image 2', 'image/webp'],
      ['image 3', 'image/gif'],
      ['image 4', 'image/jpeg'],
    ])
    for (const [i, image] of images.entries()) {
      const uploaded = await saveBlob(image.image, `four-${files[i]}`)
      expect(
        tags(uploaded).filter((t) => PERSONAL.test(t)),
        files[i],
      ).toEqual([])
      const original = join(IMAGES, files[i]!)
      expect(withoutAnyMetadata(uploaded).equals(withoutAnyMetadata(original)), files[i]).toBe(true)
    }
  })

  it('an image without --alt is posted with a warning that it has no description', async () => {
    const { stderr, record } = await post(['no alt', '--image', join(IMAGES, 'small.gif')])
    expect(stderr).toContain(`${join(IMAGES, 'small.gif')} has no description`)
    expect(record.embed!.images![0]!.alt).toBe('')
    // --alt "" says it on purpose: no warning.
    const quiet = await post(['empty alt', '--image', join(IMAGES, 'small.gif'), '--alt', ''])
    expect(quiet.stderr).not.toContain('no description')
  })

  it('an image over 1,000,000 bytes is refused before any request: nothing uploaded or posted', async () => {
    const big = join(work, 'big.png')
    await writeFile(big, noisePng(600, 600))
    const before = e2e.sandbox.requests.length
    const { code, stdout } = await e2e.run([
      'post',
      'too big',
      '--image',
      join(IMAGES, 'small.gif'),
      '--image',
      big,
      '--json',
    ])
    expect(code).toBe(2)
    const { error } = JSON.parse(stdout)
    expect(error).toMatchObject({ code: 'image_too_large', file: big, limit: 1_000_000 })
    expect(error.message).toContain(big)
    expect(error.size).toBeGreaterThan(1_000_000)
    expect(e2e.sandbox.requests.length).toBe(before)
  })

  it('a file that is not an image is refused before any request, whatever its name', async () => {
    const before = e2e.sandbox.requests.length
    const fake = join(IMAGES, 'x.png')
    const { code, stderr } = await e2e.run(['post', 'not an image', '--image', fake])
    expect(code).toBe(2)
    expect(stderr).toContain(fake)
    expect(stderr).toMatch(/PNG, JPEG, WebP or GIF/)
    expect(e2e.sandbox.requests.length).toBe(before)
  })
})

describe('quotes, replies and delete by link', () => {
  let quoted: { uri: string; cid: string }
  const link = (uri: string) => `https://bsky.app/profile/alice.test/post/${uri.split('/').pop()}`

  it('--quote with a bsky.app link embeds the post', async () => {
    quoted = (await post(['to be quoted'])).created
    const { record } = await post(['quoting', '--quote', link(quoted.uri)])
    expect(record.embed).toEqual({ $type: 'app.bsky.embed.record', record: quoted })
  })

  it('--quote with images embeds both (recordWithMedia)', async () => {
    const { record } = await post([
      'quote and image',
      '--quote',
      quoted.uri,
      '--image',
      join(IMAGES, 'text-chunks.png'),
      '--alt',
      'a chart',
    ])
    expect(record.embed).toMatchObject({
      $type: 'app.bsky.embed.recordWithMedia',
      record: { $type: 'app.bsky.embed.record', record: quoted },
      media: { $type: 'app.bsky.embed.images', images: [{ alt: 'a chart' }] },
    })
  })

  it('--reply with a bsky.app link (handle form) answers the post', async () => {
    const { record } = await post(['a reply by link', '--reply', link(quoted.uri)])
    expect(record.reply).toEqual({ root: quoted, parent: quoted })
  })

  it('delete removes the post; again, it is post_not_found (exit 1)', async () => {
    const gone = (await post(['to be deleted'])).created
    const first = await e2e.run(['delete', link(gone.uri), '--json'])
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout)).toEqual({ uri: gone.uri, deleted: true })
    expect((await getRecord(gone.uri)).status).toBe(400)
    const again = await e2e.run(['delete', gone.uri, '--json'])
    expect(again.code).toBe(1)
    expect(JSON.parse(again.stdout).error).toMatchObject({ code: 'post_not_found' })
  })

  it("delete refuses another account's post with exit 2, before any request", async () => {
    const before = e2e.sandbox.requests.length
    const bobs = `at://${e2e.sandbox.accounts.bob!.did}/app.bsky.feed.post/3kabcdefghij2`
    const { code, stderr } = await e2e.run(['delete', bobs])
    expect(code).toBe(2)
    expect(stderr).toContain('is not a post of alice.test')
    expect(e2e.sandbox.requests.length).toBe(before)
  })
})

describe('text as people type it', () => {
  it('a warm text post is one request; the link is left out for a sandbox (http) PDS', async () => {
    const before = e2e.sandbox.requests.length
    const { created, stdout } = await post(['just words https://atproto.com #tags'])
    const made = e2e.sandbox.requests
      .slice(before)
      .filter((r) => r.userAgent.startsWith('atoauth/'))
    expect(made.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /xrpc/com.atproto.repo.createRecord',
    ])
    expect(Object.keys(JSON.parse(stdout)).sort()).toEqual(['cid', 'uri'])
    expect(created.url).toBeUndefined()
  })

  it('a mention that does not resolve stays plain text with a warning; the post goes out', async () => {
    const { record, stderr } = await post(['hi @nobody.test and @bob.test'])
    expect(stderr).toContain('@nobody.test')
    expect(record.text).toBe('hi @nobody.test and @bob.test')
    const mentions = record.facets!.flatMap((f) => f.features)
    expect(mentions).toEqual([
      { $type: 'app.bsky.richtext.facet#mention', did: e2e.sandbox.accounts.bob!.did },
    ])
  })

  it('a text within 300 characters but over 3,000 bytes is refused before any request', async () => {
    const before = e2e.sandbox.requests.length
    const text = '👩‍👩‍👧'.repeat(200) // 200 graphemes of 18 bytes each: 3,600 bytes
    const { code, stdout } = await e2e.run(['post', text, '--json'])
    expect(code).toBe(2)
    expect(JSON.parse(stdout).error).toMatchObject({ code: 'post_too_many_bytes' })
    expect(e2e.sandbox.requests.length).toBe(before)
  })
})
