// The one table of what a session may be allowed to do: each preset is a set of atproto OAuth
// scopes. The hosted client metadata declares every scope of every preset (client-id.ts), and
// the authorization server compares scopes as strings: a preset's scopes are written here once,
// in the form both the document and the request use. Plain strings only: whoami, accounts and
// status read it without loading any library.

/** The Bluesky AppView as a PDS forwards to it (`aud` of an rpc: scope). */
const APPVIEW = 'did:web:api.bsky.app#bsky_appview'

/** The AppView queries the `read` preset allows, through the PDS. */
const READ_METHODS = [
  'app.bsky.actor.getProfile',
  'app.bsky.actor.getProfiles',
  'app.bsky.feed.getAuthorFeed',
  'app.bsky.feed.getPostThread',
  'app.bsky.feed.getPosts',
  'app.bsky.feed.getTimeline',
  'app.bsky.feed.searchPosts',
  'app.bsky.graph.getFollowers',
  'app.bsky.graph.getFollows',
  'app.bsky.notification.listNotifications',
]

export const SCOPE_PRESETS = {
  full: {
    description: 'everything the account can do, as any app (the default)',
    scopes: ['transition:generic'],
  },
  post: {
    description: 'create posts and upload their images; nothing else',
    scopes: ['repo:app.bsky.feed.post?action=create', 'blob:image/*'],
  },
  delete: {
    description: "delete the account's posts (with post: --scope post,delete)",
    scopes: ['repo:app.bsky.feed.post?action=delete'],
  },
  read: {
    description: 'read profiles, feeds, threads and notifications from the Bluesky AppView',
    scopes: READ_METHODS.map((method) => `rpc:${method}?aud=${APPVIEW}`),
  },
} as const satisfies Record<string, { description: string; scopes: readonly string[] }>

export type PresetName = keyof typeof SCOPE_PRESETS

export const PRESET_NAMES = Object.keys(SCOPE_PRESETS) as PresetName[]

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(SCOPE_PRESETS, name)
}

/** The words of a `--scope` value: preset names and scopes, comma- or space-separated. */
export function scopeOptionWords(option: string): string[] {
  return option.split(/[\s,]+/).filter((word) => word !== '')
}

/** Preset names replaced by their scopes; anything else is taken as a scope. */
export function expandPresets(words: readonly string[]): string[] {
  return words.flatMap((word) => (isPresetName(word) ? SCOPE_PRESETS[word].scopes : [word]))
}

/** The scope tokens of a scope string (space-separated, as OAuth writes it). */
export function scopeTokens(scope: string): string[] {
  return scope.split(' ').filter((token) => token !== '')
}

/**
 * The presets a granted scope is made of, in table order (`['post', 'delete']`), or undefined
 * when it holds a scope no preset has: then it is shown as the scopes alone.
 */
export function presetsOf(scope: string): PresetName[] | undefined {
  const granted = new Set(scopeTokens(scope).filter((token) => token !== 'atproto'))
  const presets = PRESET_NAMES.filter((name) =>
    SCOPE_PRESETS[name].scopes.every((token) => granted.has(token)),
  )
  const covered = new Set(presets.flatMap((name) => SCOPE_PRESETS[name].scopes))
  return [...granted].every((token) => covered.has(token)) && presets.length > 0
    ? presets
    : undefined
}

/** Every scope any preset can request: what the hosted client metadata must declare. */
export function presetScopes(): string[] {
  return ['atproto', ...PRESET_NAMES.flatMap((name) => SCOPE_PRESETS[name].scopes)]
}

/**
 * The preset that grants `token`, if one does: what a scope_missing hint offers. The PDS names
 * a missing scope in its normalized form, with the `#` of an rpc: audience as `%23`.
 */
export function presetGranting(token: string): PresetName | undefined {
  const wanted = token.replaceAll('%23', '#')
  // blob:image/png is granted by blob:image/*.
  const grants = (scope: string) =>
    scope === wanted || (scope.endsWith('/*') && wanted.startsWith(scope.slice(0, -1)))
  return PRESET_NAMES.find((name) => SCOPE_PRESETS[name].scopes.some(grants))
}
